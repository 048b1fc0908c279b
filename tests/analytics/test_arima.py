"""ARIMA guard rails: history, the seasonality test, and fallbacks that say why."""

from __future__ import annotations

import numpy as np
import pytest

from soleflip_cli.analytics.arima import arima, fit_arima, seasonal_strength
from tests.analytics.helpers import make_panel


def _seasonal(weeks: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.tile([0, 0, 0, 0, 0, 10, 10.0], weeks) + rng.poisson(1.0, 7 * weeks)


def test_seasonality_test_tells_a_weekly_pattern_from_noise() -> None:
    rng = np.random.default_rng(1)
    strong = seasonal_strength(_seasonal(20), 7)
    noise = seasonal_strength(rng.poisson(3.0, 140).astype(float), 7)
    assert strong is not None and strong > 0.9
    assert noise is not None and noise < 0.5
    assert seasonal_strength(np.ones(10), 7) is None  # under three seasons: no test


def test_seasonal_terms_only_where_the_test_supports_them() -> None:
    rng = np.random.default_rng(2)
    seasonal, reason = fit_arima(_seasonal(20), 7)
    assert reason is None
    assert seasonal.model.seasonal_periods == 7
    flat, reason = fit_arima(rng.poisson(3.0, 140).astype(float), 7)
    assert reason is None
    assert flat.model.seasonal_periods in (0, None)


def test_arima_forecasts_a_seasonal_series_and_clips_at_zero() -> None:
    panel = make_panel([_seasonal(20)])
    result = arima(panel, [140], 7)
    forecast = result.values[0, 0]
    assert result.notes == {}
    assert (forecast >= 0).all()
    assert forecast[5] > 5 and forecast[6] > 5 and forecast[:5].max() < 5


def test_no_arima_under_twelve_weeks_of_history() -> None:
    panel = make_panel([[0.0] * 100 + [2.0] * 50])
    result = arima(panel, [150], 3)
    assert result.notes[(0, 0)] == "history of 50 periods < 84: no ARIMA; TSB instead"
    np.testing.assert_allclose(result.values[0, 0], 2.0)


@pytest.mark.parametrize("values", [np.full(120, 3.0), np.array([1.0, 2.0])])
def test_a_failed_fit_says_why(values: np.ndarray) -> None:
    result, reason = fit_arima(values, 7)
    assert result is None
    assert reason is not None and reason.startswith("ARIMA")


def test_a_failed_fit_falls_back_to_tsb_with_the_reason() -> None:
    panel = make_panel([[3.0] * 120])
    result = arima(panel, [120], 2)
    assert result.notes[(0, 0)].endswith("; TSB instead")
    np.testing.assert_allclose(result.values[0, 0], 3.0)
