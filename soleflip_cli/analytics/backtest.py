"""Rolling-origin backtests, the method choice per level, and intervals from past errors."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from soleflip_cli.analytics.engine import Computed, candidates, compute
from soleflip_cli.analytics.metrics import Scores, score, series_rmsse
from soleflip_cli.analytics.panel import Panel
from soleflip_cli.analytics.windows import Window, Windows

DEFAULT_METHOD = "tsb"
INTERVALS = (80, 95)


@dataclass(frozen=True)
class MethodResult:
    """One method's scores over the backtest windows (intervals from the windows before each)."""

    method: str
    scores: Scores
    ratio_to_seasonal_naive: float | None
    fallbacks: int
    seconds: float


@dataclass(frozen=True)
class WindowChoice:
    """The method chosen for one window on earlier windows only, and how it then scored."""

    first_period: date
    method: str
    rmsse: float | None
    series: int


@dataclass(frozen=True)
class Backtest:
    """Every method's scores on one level, and the honest score of choosing among them."""

    series: int
    windows: list[WindowChoice]
    methods: list[MethodResult]
    chosen: Scores
    chosen_method: str
    seasonal_naive_rmsse: float | None

    @property
    def rmsse(self) -> float | None:
        """RMSSE of the choice procedure (each window scored with the method chosen before it)."""
        return self.chosen.rmsse


def selection_score(results: dict[int, Computed], windows: list[Window]) -> float:
    """Mean RMSSE over the scored series of the windows (inf when nothing could be scored)."""
    parts = [
        series_rmsse(w.actual[w.rows], results[w.origin].values[w.rows], w.mse_scale[w.rows]) for w in windows
    ]
    values = np.concatenate(parts) if parts else np.empty(0)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("inf")


def choose(forecasts: dict[str, dict[int, Computed]], windows: list[Window], order: list[str]) -> str:
    """The method with the lowest mean RMSSE over `windows` (the simplest on a tie; TSB without windows)."""
    if not windows:
        return DEFAULT_METHOD
    best = min((selection_score(forecasts[name], windows), i, name) for i, name in enumerate(order))
    return best[2] if np.isfinite(best[0]) else DEFAULT_METHOD


def error_quantiles(results: dict[int, Computed], windows: list[Window]) -> dict[int, tuple[float, float]]:
    """Quantiles of scaled errors (actual - forecast) / width for the 80 % and 95 % intervals."""
    errors = []
    for w in windows:
        ok = w.rows & (w.width > 0)
        diff = w.actual[ok] - results[w.origin].values[ok]
        errors.append((diff / w.width[ok][:, None]).ravel())
    pooled = np.concatenate(errors) if errors else np.empty(0)
    pooled = pooled[np.isfinite(pooled)]
    if pooled.size == 0:
        return {}
    tails = {level: (100 - level) / 200 for level in INTERVALS}
    return {
        level: (float(np.quantile(pooled, tail)), float(np.quantile(pooled, 1 - tail)))
        for level, tail in tails.items()
    }


def bounds(
    values: np.ndarray, width: np.ndarray, quantiles: dict[int, tuple[float, float]]
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Lower and upper interval bounds, clipped at zero; NaN where no quantiles are known."""
    lower: dict[int, np.ndarray] = {}
    upper: dict[int, np.ndarray] = {}
    for level in INTERVALS:
        if level in quantiles:
            lo, hi = quantiles[level]
            lower[level] = np.clip(values + lo * width[:, None], 0.0, None)
            upper[level] = np.clip(values + hi * width[:, None], 0.0, None)
        else:
            lower[level] = np.full_like(values, np.nan)
            upper[level] = np.full_like(values, np.nan)
    return lower, upper


class _Run:
    """One backtest: the scored windows, the earlier windows of each, every method's forecasts."""

    def __init__(self, panel: Panel, horizon: int, windows: int, arima_max_series: int) -> None:
        self.windows = Windows(panel, horizon)
        self.outer = self.windows.back_to_back(panel.n_periods, windows)
        self.inner = {o: self.windows.earlier(o) for o in [*self.outer, panel.n_periods]}
        origins = sorted({*self.outer, *(o for v in self.inner.values() for o in v)})
        self.order = candidates(panel, arima_max_series=arima_max_series)
        self.seconds: dict[str, float] = {}
        self.forecasts = compute(self.windows, self.order, origins, self.seconds)

    def before(self, origin: int) -> list[Window]:
        return [self.windows[o] for o in self.inner[origin]]

    def scores(self, picks: dict[int, str]) -> Scores:
        """Scores over the scored windows, using method picks[origin] in each."""
        columns: list[list[np.ndarray]] = [[], [], [], []]
        lower: dict[int, list[np.ndarray]] = {level: [] for level in INTERVALS}
        upper: dict[int, list[np.ndarray]] = {level: [] for level in INTERVALS}
        for origin in self.outer:
            w = self.windows[origin]
            results = self.forecasts[picks[origin]]
            values = results[origin].values[w.rows]
            lo, hi = bounds(values, w.width[w.rows], error_quantiles(results, self.before(origin)))
            for column, value in zip(
                columns, (w.actual[w.rows], values, w.mse_scale[w.rows], w.mae_scale[w.rows]), strict=True
            ):
                column.append(value)
            for level in INTERVALS:
                lower[level].append(lo[level])
                upper[level].append(hi[level])
        actual, forecast, mse, mae = (np.concatenate(c) for c in columns)
        return score(
            actual,
            forecast,
            mse,
            mae,
            {level: np.concatenate(v) for level, v in lower.items()},
            {level: np.concatenate(v) for level, v in upper.items()},
        )

    def method_result(self, name: str) -> MethodResult:
        results = self.forecasts[name]
        fallbacks = sum(sum(1 for s in results[o].notes if self.windows[o].rows[s]) for o in self.outer)
        picks = dict.fromkeys(self.outer, name)
        return MethodResult(name, self.scores(picks), None, fallbacks, self.seconds.get(name, 0.0))


def backtest(panel: Panel, *, horizon: int, windows: int, arima_max_series: int = 10) -> Backtest | None:
    """Score every candidate method on the last `windows` back-to-back windows of `horizon` periods.

    Each window's method is chosen on weekly origins over the year before it, and its
    intervals come from those earlier errors, so no score peeks at its own window. None when
    the panel is too short for a single scored window.
    """
    run = _Run(panel, horizon, windows, arima_max_series)
    if not run.outer:
        return None
    results = [run.method_result(name) for name in run.order]
    naive = next(r.scores.rmsse for r in results if r.method == "seasonal_naive")
    results = [replace(r, ratio_to_seasonal_naive=_ratio(r.scores.rmsse, naive)) for r in results]
    picks = {o: choose(run.forecasts, run.before(o), run.order) for o in run.outer}
    choices = [
        WindowChoice(
            first_period=panel.periods[o].date(),
            method=picks[o],
            rmsse=_finite(selection_score(run.forecasts[picks[o]], [run.windows[o]])),
            series=int(run.windows[o].rows.sum()),
        )
        for o in run.outer
    ]
    scored = np.any([run.windows[o].rows for o in run.outer], axis=0)
    return Backtest(
        series=int(scored.sum()),
        windows=choices,
        methods=results,
        chosen=run.scores(picks),
        chosen_method=choose(run.forecasts, run.before(panel.n_periods), run.order),
        seasonal_naive_rmsse=naive,
    )


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def _ratio(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base == 0:
        return None
    return value / base
