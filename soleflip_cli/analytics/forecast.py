"""Forecasts for a level: the backtest-chosen method, its intervals, and the reasons for any fallback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from soleflip_cli.analytics.backtest import DEFAULT_METHOD, INTERVALS, bounds, choose, error_quantiles
from soleflip_cli.analytics.engine import candidates, compute
from soleflip_cli.analytics.panel import Panel
from soleflip_cli.analytics.windows import Windows

SHARE_DAYS = 182


@dataclass(frozen=True, eq=False)
class LevelForecast:
    """Forecast rows (one per series and future period) and how the method was chosen."""

    frame: pd.DataFrame
    method: str
    windows: int
    damping: float | None
    half_life_days: float | None
    intervals: str


def forecast_panel(panel: Panel, *, horizon: int, arima_max_series: int = 10) -> LevelForecast:
    """Forecast every series `horizon` periods ahead with the method that did best on recent windows.

    The frame has the panel's key columns plus `period`, `units`, `lower_80`, `upper_80`,
    `lower_95`, `upper_95` (units per period, never negative), `method` and `note` (why a
    series fell back, else None). The method is chosen, and its intervals measured, on weekly
    origins over the last year; with no scorable window it is TSB with Poisson intervals.
    """
    windows = Windows(panel, horizon)
    end = panel.n_periods
    past = windows.earlier(end)
    frames = [windows[o] for o in past]
    order = candidates(panel, arima_max_series=arima_max_series)
    method = DEFAULT_METHOD
    if any(w.rows.any() for w in frames):
        method = choose(compute(windows, order, past), frames, order)
    results = compute(windows, [method], [*past, end])[method]
    final = results[end]
    quantiles = error_quantiles(results, frames)
    values = final.values
    if quantiles:
        lower, upper = bounds(values, windows[end].width, quantiles)
        intervals = "backtest errors"
    else:
        lower, upper = _poisson(values)
        intervals = "Poisson (no backtest errors to learn from)"
    frame = _rows(panel, horizon, values, lower, upper, method, final.notes)
    damping = final.damping
    factor, half_life = (damping.factor, damping.half_life_days) if damping else (None, None)
    return LevelForecast(frame, method, len(frames), factor, half_life, intervals)


def poisson_quantile(mean: np.ndarray, q: float) -> np.ndarray:
    """Smallest k with P(X <= k) >= q for X ~ Poisson(mean), element-wise."""
    flat = np.clip(np.nan_to_num(mean.ravel()), 0.0, None)
    top = int(np.ceil(flat.max(initial=0.0) + 10 * np.sqrt(flat.max(initial=0.0)) + 10))
    k = np.arange(top + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = (
            k[None, :] * np.log(flat[:, None]) - flat[:, None] - np.cumsum(np.log(np.maximum(k, 1)))[None, :]
        )
    pmf = np.where(flat[:, None] > 0, np.exp(log_pmf), (k == 0)[None, :].astype(float))
    cdf = np.cumsum(pmf, axis=1)
    found: np.ndarray = (cdf < q - 1e-12).sum(axis=1).astype(float)
    return found.reshape(mean.shape)


def _poisson(values: np.ndarray) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    lower: dict[int, np.ndarray] = {}
    upper: dict[int, np.ndarray] = {}
    for level in INTERVALS:
        tail = (100 - level) / 200
        lower[level] = poisson_quantile(values, tail)
        upper[level] = poisson_quantile(values, 1 - tail)
    return lower, upper


def _rows(
    panel: Panel,
    horizon: int,
    values: np.ndarray,
    lower: dict[int, np.ndarray],
    upper: dict[int, np.ndarray],
    method: str,
    notes: dict[int, str],
) -> pd.DataFrame:
    periods = panel.future_periods(horizon)
    n = panel.n_series
    frame = panel.keys.loc[np.repeat(np.arange(n), horizon)].reset_index(drop=True)
    frame["period"] = np.tile(periods.date, n)
    frame["units"] = values.ravel()
    for level in INTERVALS:
        frame[f"lower_{level}"] = lower[level].ravel()
        frame[f"upper_{level}"] = upper[level].ravel()
    frame["method"] = method
    frame["note"] = [notes.get(int(series)) for series in np.repeat(np.arange(n), horizon)]
    return frame


def size_shares(sales: pd.DataFrame, as_of: date, days: int = SHARE_DAYS) -> pd.Series:
    """Each size's share of its product's units over the last `days` days (all history when none).

    `sales` has columns product, size, day, units; the result is indexed by (product, size).
    Size curves are stabler than a single size's sales, so a product forecast split by them
    is unbiased per size where a size's own intermittent series is not.
    """
    cutoff = pd.Timestamp(as_of - timedelta(days=days))
    recent = sales[sales["day"] > cutoff]
    sold_recently = recent.groupby("product")["units"].sum()
    use = sales[~sales["product"].isin(sold_recently[sold_recently > 0].index)]
    chosen = pd.concat([recent, use])
    units = chosen.groupby(["product", "size"])["units"].sum()
    return units / units.groupby(level="product").transform("sum")
