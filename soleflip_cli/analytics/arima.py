"""statsmodels ARIMA with guard rails: enough history, tested seasonal terms, fallbacks that say why."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from soleflip_cli.analytics.methods import Forecasts, tsb_levels
from soleflip_cli.analytics.panel import Panel
from soleflip_cli.analytics.windows import MIN_HISTORY_DAYS

# Weekly (or yearly) seasonal terms only when STL finds at least this seasonal strength.
SEASONAL_STRENGTH = 0.5
SEASONS_NEEDED = 3
# Parameters are re-estimated every 91 days of origins; in between the last fit is re-run
# on the longer history (a Kalman filter pass, ~50x cheaper than a fit).
REFIT_DAYS = 91


def seasonal_strength(values: np.ndarray, season: int) -> float | None:
    """STL seasonal strength max(0, 1 - var(remainder) / var(seasonal + remainder)); None if too short."""
    if season < 2 or values.size < SEASONS_NEEDED * season or not np.any(values):
        return None
    from statsmodels.tsa.seasonal import STL

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = STL(values, period=season).fit()
    detrended = np.asarray(fit.seasonal) + np.asarray(fit.resid)
    spread = float(np.var(detrended))
    if spread <= 0:
        return 0.0
    return max(0.0, 1.0 - float(np.var(np.asarray(fit.resid))) / spread)


def fit_arima(values: np.ndarray, season: int) -> tuple[Any, str | None]:
    """ARIMA(1,0,1) with a constant, plus (1,0,1) seasonal terms when the STL test supports them.

    Returns (statsmodels results, None), or (None, reason) when the fit failed or did not converge.
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    if values.size and np.ptp(values) == 0:
        # Nothing for ARIMA to model; some statsmodels releases fit it, others fail: decide here.
        return None, f"ARIMA needs a series that varies (every period is {values[0]:g})"
    strength = seasonal_strength(values, season)
    seasonal = (1, 0, 1, season) if strength is not None and strength >= SEASONAL_STRENGTH else (0, 0, 0, 0)
    with warnings.catch_warnings():
        # Convergence is judged from mle_retvals below; statsmodels' warnings are not errors here.
        warnings.simplefilter("ignore")
        try:
            result = SARIMAX(values, order=(1, 0, 1), seasonal_order=seasonal, trend="c").fit(
                disp=False, maxiter=200
            )
        except Exception as exc:  # numerical code raises many types; every failure falls back
            return None, f"ARIMA fit failed ({type(exc).__name__}: {exc})"
    if not result.mle_retvals.get("converged", True):
        return None, "ARIMA did not converge"
    return result, None


def _predict(result: Any, values: np.ndarray, horizon: int, refit: bool) -> tuple[np.ndarray, str | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = result if refit else result.apply(values)
            forecast = np.asarray(model.forecast(horizon), dtype=float)
        except Exception as exc:  # as above: any failure falls back
            return np.empty(0), f"ARIMA forecast failed ({type(exc).__name__}: {exc})"
    if not np.all(np.isfinite(forecast)):
        return np.empty(0), "ARIMA produced non-finite forecasts"
    return np.clip(forecast, 0.0, None), None


def arima(panel: Panel, origins: Sequence[int], horizon: int) -> Forecasts:
    """ARIMA per series and origin; TSB (with the reason noted) where a guard rail or the fit fails."""
    fallback = tsb_levels(panel)
    minimum = panel.periods_for_days(MIN_HISTORY_DAYS)
    refit_every = panel.periods_for_days(REFIT_DAYS)
    out = np.full((len(origins), panel.n_series, horizon), np.nan)
    notes: dict[tuple[int, int], str] = {}
    for series in range(panel.n_series):
        start = int(panel.start[series])
        # (results or None, origin of the fit, why it failed): a failed fit is retried only
        # when a refit is due, not at every origin.
        fitted: tuple[Any, int, str | None] | None = None
        for j, origin in enumerate(origins):
            history = origin - start
            if history <= 0:
                continue
            reason: str | None = f"history of {history} periods < {minimum}: no ARIMA"
            if history >= minimum:
                values = panel.units[series, start:origin]
                refit = fitted is None or not 0 <= origin - fitted[1] < refit_every
                if fitted is None or refit:
                    result, failure = fit_arima(values, panel.season)
                    fitted = (result, origin, failure)
                model, _, reason = fitted
                if model is not None:
                    forecast, reason = _predict(model, values, horizon, refit)
                    if reason is None:
                        out[j, series] = forecast
                        continue
            out[j, series] = max(float(fallback[series, origin - 1]), 0.0)
            notes[(j, series)] = f"{reason}; TSB instead"
    return Forecasts(out, notes)
