"""Named forecasting methods: the numpy primitives, ARIMA, blends and damped (decay-fitted) variants."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from soleflip_cli.analytics import methods
from soleflip_cli.analytics.arima import arima
from soleflip_cli.analytics.panel import DAYS_PER_PERIOD, Panel
from soleflip_cli.analytics.windows import Window, Windows

# Equal-weight blends of other methods.
BLENDS: dict[str, tuple[str, ...]] = {
    "blend": ("croston_sba", "tsb", "moving_mean"),
    "arima_tsb": ("arima", "tsb"),
}
# A damped method scales its base by k x 0.5 ** (days ahead / half-life), both fitted per level
# on earlier windows: sneaker demand fades after a release, so a level carried forward overshoots,
# and the more the further ahead. Half-lives: never, a year, half a year, a quarter, 2 months, a month.
DAMPED: dict[str, str] = {"damped_tsb": "tsb", "damped_mean": "moving_mean", "damped_blend": "blend"}
ARIMA_METHODS = ("arima", "arima_tsb")
DAMPING_GRID = np.round(np.arange(0.30, 1.2001, 0.02), 2)
HALF_LIVES_DAYS: tuple[float | None, ...] = (None, 365, 182, 91, 61, 30)
# RMSSE alone would damp sparse series towards zero (forecasting nothing scores well on a
# mostly empty window); the fit must keep the pooled units within 25 % of what sold.
MAX_DAMPING_BIAS = 0.25


@dataclass(frozen=True)
class Damping:
    """A fitted damping: the factor on the first forecast period and the half-life of the fade."""

    factor: float
    half_life_days: float | None

    def profile(self, horizon: int, days_per_period: int) -> np.ndarray:
        """The multiplier of each of `horizon` periods ahead."""
        return self.factor * fade(self.half_life_days, horizon, days_per_period)


def fade(half_life_days: float | None, horizon: int, days_per_period: int) -> np.ndarray:
    """0.5 ** (days after the first forecast period / half-life) per period; ones without a half-life."""
    if half_life_days is None:
        return np.ones(horizon)
    result: np.ndarray = 0.5 ** (np.arange(horizon) * days_per_period / half_life_days)
    return result


@dataclass(frozen=True, eq=False)
class Computed:
    """One method's forecasts at one origin: (series, horizon) values, fallback notes, fitted damping."""

    values: np.ndarray
    notes: dict[int, str]
    damping: Damping | None = None


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
        cache: dict[int, _FitWindow | None] = {}
        return {o: _damp(base, o, windows, cache) for o in origins}
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


@dataclass(frozen=True, eq=False)
class _FitWindow:
    """One earlier window's part of a damping fit: summed RMSSE per (half-life, factor) and units."""

    rmsse_sums: np.ndarray
    forecast_units: np.ndarray
    actual_units: float


def _fit_window(values: np.ndarray, window: Window, fades: np.ndarray) -> _FitWindow | None:
    rows = window.rows & (window.mse_scale > 0)
    if not rows.any():
        return None
    actual = window.actual[rows]
    shaped = values[rows][None, :, :] * fades[:, None, :]
    k = DAMPING_GRID[None, None, :]
    a2 = np.mean(actual**2, axis=1)[None, :, None]
    af = np.mean(actual[None] * shaped, axis=2)[:, :, None]
    f2 = np.mean(shaped**2, axis=2)[:, :, None]
    mse = np.clip(a2 - 2 * k * af + k**2 * f2, 0.0, None)
    sums = np.sqrt(mse / window.mse_scale[rows][None, :, None]).sum(axis=1)
    return _FitWindow(sums, shaped.sum(axis=(1, 2)), float(actual.sum()))


def fit_damping(
    base: dict[int, Computed],
    origin: int,
    windows: Windows,
    cache: dict[int, _FitWindow | None] | None = None,
) -> Damping | None:
    """The damping minimising the mean RMSSE of the damped base over the windows before `origin`.

    Pooled over the level's series, among fits that keep the pooled forecast within 25 % of
    the units sold (the least fade, then the smallest factor, on a tie). None when nothing can
    be scored. `cache` keeps each earlier window's part between fits of the same base.
    """
    days = DAYS_PER_PERIOD[windows.panel.freq]
    fades = np.array([fade(h, windows.horizon, days) for h in HALF_LIVES_DAYS])
    parts = cache if cache is not None else {}
    for fit_origin in windows.earlier(origin):
        if fit_origin not in parts:
            parts[fit_origin] = _fit_window(base[fit_origin].values, windows[fit_origin], fades)
    used = [part for o in windows.earlier(origin) if (part := parts[o]) is not None]
    if not used:
        return None
    sums = np.sum([part.rmsse_sums for part in used], axis=0)
    forecast = np.sum([part.forecast_units for part in used], axis=0)
    actual = sum(part.actual_units for part in used)
    allowed = np.abs(DAMPING_GRID[None, :] * forecast[:, None] - actual) <= MAX_DAMPING_BIAS * actual
    if allowed.any():
        sums = np.where(allowed, sums, np.inf)
    which, factor = np.unravel_index(int(np.argmin(sums)), sums.shape)
    return Damping(float(DAMPING_GRID[factor]), HALF_LIVES_DAYS[which])


def _damp(
    base: dict[int, Computed], origin: int, windows: Windows, cache: dict[int, _FitWindow | None]
) -> Computed:
    damping = fit_damping(base, origin, windows, cache)
    values = base[origin].values
    if damping is None:
        started = np.flatnonzero(~np.isnan(values[:, 0])).tolist()
        notes = dict.fromkeys(started, "no earlier window to fit the damping factor: undamped")
        return Computed(values, {**base[origin].notes, **notes})
    profile = damping.profile(windows.horizon, DAYS_PER_PERIOD[windows.panel.freq])
    return Computed(values * profile, base[origin].notes, damping)
