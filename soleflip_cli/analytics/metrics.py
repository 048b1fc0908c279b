"""Forecast accuracy: RMSSE, MASE, WAPE, bias and interval coverage over backtest windows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scores:
    """Accuracy of one method on one level, over every (series, window) scored.

    `rmsse` and `mase` average per-series values (each series scaled by its own in-sample
    one-step naive error, so a slow and a fast seller weigh the same); `wape` and `bias` pool
    all units (bias > 0 means over-forecasting); coverage is the share of actual values
    inside the 80 % and 95 % intervals (None when no interval could be scored).
    """

    rmsse: float | None
    mase: float | None
    wape: float | None
    bias: float | None
    coverage_80: float | None
    coverage_95: float | None
    scored: int


def series_rmsse(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """RMSSE per series: sqrt(mean squared error / scale); NaN where the scale is zero or unknown."""
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.sqrt(np.mean((actual - forecast) ** 2, axis=-1) / scale)
    return np.where(scale > 0, value, np.nan)


def series_mase(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """MASE per series: mean absolute error / mean absolute one-step change."""
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.mean(np.abs(actual - forecast), axis=-1) / scale
    return np.where(scale > 0, value, np.nan)


def score(
    actual: np.ndarray,
    forecast: np.ndarray,
    mse_scale: np.ndarray,
    mae_scale: np.ndarray,
    lower: dict[int, np.ndarray] | None = None,
    upper: dict[int, np.ndarray] | None = None,
) -> Scores:
    """Scores over rows of (actual, forecast) windows, shape (rows, horizon), with per-row scales.

    `lower`/`upper` map 80 and 95 to interval bounds of the same shape (rows without
    bounds hold NaN and are left out of coverage).
    """
    rmsse = series_rmsse(actual, forecast, mse_scale)
    mase = series_mase(actual, forecast, mae_scale)
    total = float(actual.sum())
    error = float(np.abs(actual - forecast).sum())
    coverage: dict[int, float | None] = {80: None, 95: None}
    for level in (80, 95):
        if lower is None or upper is None:
            continue
        known = ~np.isnan(lower[level])
        if known.any():
            inside = (actual >= lower[level] - 1e-9) & (actual <= upper[level] + 1e-9)
            coverage[level] = float(inside[known].mean())
    return Scores(
        rmsse=_mean(rmsse),
        mase=_mean(mase),
        wape=error / total if total > 0 else None,
        bias=float((forecast - actual).sum()) / total if total > 0 else None,
        coverage_80=coverage[80],
        coverage_95=coverage[95],
        scored=int(actual.shape[0]),
    )


def _mean(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None
