"""Forecasting methods in numpy, vectorised over every series of a panel.

Each method forecasts all series from several origins at once: `origins` are period indexes
(a forecast from origin o sees periods < o) and the result is an (origins, series, horizon)
array, NaN where a series had no sale before the origin. Forecasts are never negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from soleflip_cli.analytics.panel import Panel

MEAN_WINDOW_DAYS = 28
SBA_ALPHA = 0.1
TSB_ALPHA = 0.1
TSB_BETA = 0.05


@dataclass(frozen=True, eq=False)
class Forecasts:
    """Point forecasts of one method, and why a series fell back to something simpler."""

    values: np.ndarray
    notes: dict[tuple[int, int], str] = field(default_factory=dict)


def _flat(levels: np.ndarray, panel: Panel, origins: Sequence[int], horizon: int) -> np.ndarray:
    """Repeat each series' level after period o-1 over the horizon; NaN before its first sale."""
    out = np.full((len(origins), panel.n_series, horizon), np.nan)
    for j, origin in enumerate(origins):
        started = panel.start < origin
        out[j, started, :] = np.clip(levels[started, origin - 1], 0.0, None)[:, None]
    return out


def mean_levels(panel: Panel, window: int) -> np.ndarray:
    """Mean of the last `window` periods (fewer right after the first sale), after each period."""
    units = panel.units
    n, t_len = units.shape
    cumsum = np.concatenate([np.zeros((n, 1)), np.cumsum(units, axis=1)], axis=1)
    ends = np.arange(1, t_len + 1)[None, :]
    begins = np.maximum(ends - window, panel.start[:, None])
    counts = ends - begins
    with np.errstate(invalid="ignore", divide="ignore"):
        sums = cumsum[:, 1:] - np.take_along_axis(cumsum, np.clip(begins, 0, t_len), axis=1)
        return np.where(counts > 0, sums / counts, np.nan)


def tsb_levels(panel: Panel, alpha: float = TSB_ALPHA, beta: float = TSB_BETA) -> np.ndarray:
    """Teunter-Syntetos-Babai: demand size smoothed on sales, probability smoothed every period.

    The probability decays through runs of zeros, so a product that stopped selling is
    forecast towards zero (Croston's method would keep forecasting its old rate).
    """
    units = panel.units
    n, t_len = units.shape
    size = np.zeros(n)
    prob = np.zeros(n)
    out = np.full((n, t_len), np.nan)
    for t in range(t_len):
        y = units[:, t]
        first = panel.start == t
        active = panel.start < t
        sold = y > 0
        size = np.where(first, y, np.where(active & sold, size + alpha * (y - size), size))
        prob = np.where(first, 1.0, np.where(active, prob + beta * (sold - prob), prob))
        out[:, t] = np.where(panel.start <= t, prob * size, np.nan)
    return out


def sba_levels(panel: Panel, alpha: float = SBA_ALPHA) -> np.ndarray:
    """Croston's method with the Syntetos-Boylan bias correction (1 - alpha/2) * size / interval."""
    units = panel.units
    n, t_len = units.shape
    size = np.zeros(n)
    interval = np.ones(n)
    since = np.ones(n)
    out = np.full((n, t_len), np.nan)
    for t in range(t_len):
        y = units[:, t]
        first = panel.start == t
        update = (panel.start < t) & (y > 0)
        size = np.where(first, y, np.where(update, size + alpha * (y - size), size))
        interval = np.where(first, 1.0, np.where(update, interval + alpha * (since - interval), interval))
        since = np.where(first | update, 1.0, since + 1.0)
        out[:, t] = np.where(panel.start <= t, (1 - alpha / 2) * size / interval, np.nan)
    return out


def moving_mean(panel: Panel, origins: Sequence[int], horizon: int) -> Forecasts:
    """Mean of the last 28 days' worth of periods."""
    window = panel.periods_for_days(MEAN_WINDOW_DAYS)
    return Forecasts(_flat(mean_levels(panel, window), panel, origins, horizon))


def tsb(panel: Panel, origins: Sequence[int], horizon: int) -> Forecasts:
    """TSB(0.1, 0.05), flat over the horizon."""
    return Forecasts(_flat(tsb_levels(panel), panel, origins, horizon))


def croston_sba(panel: Panel, origins: Sequence[int], horizon: int) -> Forecasts:
    """Croston-SBA(0.1), flat over the horizon."""
    return Forecasts(_flat(sba_levels(panel), panel, origins, horizon))


def seasonal_naive(panel: Panel, origins: Sequence[int], horizon: int) -> Forecasts:
    """The last full season repeated; series with less than one season get the moving mean."""
    season = panel.season
    fallback = moving_mean(panel, origins, horizon).values
    out = fallback.copy()
    notes: dict[tuple[int, int], str] = {}
    steps = np.arange(horizon) % season
    for j, origin in enumerate(origins):
        history = panel.history(origin)
        full = history >= season
        if origin >= season:
            last = panel.units[:, origin - season : origin]
            out[j, full, :] = last[full][:, steps]
        for series in np.flatnonzero((history > 0) & ~full):
            notes[(j, int(series))] = (
                f"history of {int(history[series])} periods is shorter than one season "
                f"({season}): moving mean instead"
            )
    return Forecasts(out, notes)


PRIMITIVES = {
    "seasonal_naive": seasonal_naive,
    "moving_mean": moving_mean,
    "croston_sba": croston_sba,
    "tsb": tsb,
}
