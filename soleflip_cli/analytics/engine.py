"""Named forecasting methods: the numpy primitives, ARIMA, blends and damped (decay-fitted) variants."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from soleflip_cli.analytics import methods
from soleflip_cli.analytics.arima import arima
from soleflip_cli.analytics.panel import Panel
from soleflip_cli.analytics.windows import Windows

# Equal-weight blends of other methods.
BLENDS: dict[str, tuple[str, ...]] = {
    "blend": ("croston_sba", "tsb", "moving_mean"),
    "arima_tsb": ("arima", "tsb"),
}
# A damped method multiplies its base by one factor per level, fitted on earlier windows.
DAMPED: dict[str, str] = {"damped_tsb": "tsb", "damped_mean": "moving_mean", "damped_blend": "blend"}
ARIMA_METHODS = ("arima", "arima_tsb")
DAMPING_GRID = np.round(np.arange(0.30, 1.2001, 0.02), 2)
# RMSSE alone would damp sparse series towards zero (forecasting nothing scores well on a
# mostly empty window); the factor must keep the pooled units within 25 % of what sold.
MAX_DAMPING_BIAS = 0.25


@dataclass(frozen=True, eq=False)
class Computed:
    """One method's forecasts at one origin: (series, horizon) values, fallback notes, damping factor."""

    values: np.ndarray
    notes: dict[int, str]
    factor: float | None = None


def candidates(panel: Panel, *, arima_max_series: int) -> list[str]:
    """Methods tried on a panel, simplest first; ARIMA only on levels with few series (~0.1 s a fit)."""
    names = ["seasonal_naive", "moving_mean", "croston_sba", "tsb", "blend", *DAMPED]
    if panel.n_series <= arima_max_series:
        names += list(ARIMA_METHODS)
    return names


def compute(
    windows: Windows,
    names: Iterable[str],
    origins: Iterable[int],
    seconds: dict[str, float] | None = None,
) -> dict[str, dict[int, Computed]]:
    """Forecasts of every named method at every origin (plus whatever their parts need).

    `seconds`, when given, receives each method's compute time including its parts'.
    """
    needed: dict[str, set[int]] = {}
    for name in names:
        _require(name, sorted(set(origins)), windows, needed)
    done: dict[str, dict[int, Computed]] = {}
    timing = seconds if seconds is not None else {}
    for name in sorted(needed, key=_rank):
        began = time.perf_counter()
        done[name] = _compute_one(name, sorted(needed[name]), windows, done)
        own = time.perf_counter() - began
        timing[name] = own + sum(timing.get(part, 0.0) for part in _parts(name))
    return done


def _parts(name: str) -> tuple[str, ...]:
    if name in BLENDS:
        return BLENDS[name]
    return (DAMPED[name],) if name in DAMPED else ()


def _rank(name: str) -> int:
    return 1 + max((_rank(part) for part in _parts(name)), default=-1)


def _require(name: str, origins: list[int], windows: Windows, needed: dict[str, set[int]]) -> None:
    needed.setdefault(name, set()).update(origins)
    if name in DAMPED:
        origins = sorted({*origins, *(o for origin in origins for o in windows.earlier(origin))})
    for part in _parts(name):
        _require(part, origins, windows, needed)


def _compute_one(
    name: str, origins: list[int], windows: Windows, done: dict[str, dict[int, Computed]]
) -> dict[int, Computed]:
    if name in BLENDS:
        parts = [done[part] for part in BLENDS[name]]
        return {o: _blend([p[o] for p in parts]) for o in origins}
    if name in DAMPED:
        base = done[DAMPED[name]]
        return {o: _damp(base, o, windows) for o in origins}
    function = arima if name == "arima" else methods.PRIMITIVES[name]
    result = function(windows.panel, origins, windows.horizon)
    out: dict[int, Computed] = {}
    for j, origin in enumerate(origins):
        notes = {series: note for (k, series), note in result.notes.items() if k == j}
        out[origin] = Computed(result.values[j], notes)
    return out


def _blend(parts: list[Computed]) -> Computed:
    notes: dict[int, str] = {}
    for part in parts:
        notes.update(part.notes)
    return Computed(np.mean([p.values for p in parts], axis=0), notes)


def damping_factor(base: dict[int, Computed], origin: int, windows: Windows) -> float | None:
    """The factor k minimising the mean RMSSE of k x base over the windows before `origin`.

    Sneaker demand fades after a release, so a level carried forward overshoots; the fitted
    k says by how much, pooled over the level's series, among factors that keep the pooled
    forecast within 25 % of the units sold. None when nothing can be scored.
    """
    sums = np.zeros(DAMPING_GRID.size)
    count = 0
    total_actual = total_forecast = 0.0
    k = DAMPING_GRID[:, None]
    for fit_origin in windows.earlier(origin):
        w = windows[fit_origin]
        rows = w.rows & (w.mse_scale > 0)
        if not rows.any():
            continue
        actual = w.actual[rows]
        forecast = base[fit_origin].values[rows]
        a2 = np.mean(actual**2, axis=1)
        af = np.mean(actual * forecast, axis=1)
        f2 = np.mean(forecast**2, axis=1)
        mse = np.clip(a2 - 2 * k * af + k**2 * f2, 0.0, None)
        sums += np.sqrt(mse / w.mse_scale[rows]).sum(axis=1)
        count += int(rows.sum())
        total_actual += float(actual.sum())
        total_forecast += float(forecast.sum())
    if count == 0:
        return None
    allowed = np.abs(DAMPING_GRID * total_forecast - total_actual) <= MAX_DAMPING_BIAS * total_actual
    if allowed.any():
        sums = np.where(allowed, sums, np.inf)
    return float(DAMPING_GRID[int(np.argmin(sums))])


def _damp(base: dict[int, Computed], origin: int, windows: Windows) -> Computed:
    factor = damping_factor(base, origin, windows)
    values = base[origin].values
    if factor is None:
        started = np.flatnonzero(~np.isnan(values[:, 0])).tolist()
        notes = dict.fromkeys(started, "no earlier window to fit the damping factor: undamped")
        return Computed(values, {**base[origin].notes, **notes})
    return Computed(values * factor, base[origin].notes, factor)
