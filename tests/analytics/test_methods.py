"""The numpy methods on series whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from soleflip_cli.analytics import methods
from tests.analytics.helpers import intermittent, make_panel


def test_constant_series_every_level_method_returns_the_constant() -> None:
    panel = make_panel([[5.0] * 60])
    for name in ("moving_mean", "tsb", "seasonal_naive"):
        values = methods.PRIMITIVES[name](panel, [60], 7).values
        assert values.shape == (1, 1, 7)
        np.testing.assert_allclose(values, 5.0)
    # Croston-SBA keeps its (1 - alpha/2) bias correction even on a constant series.
    np.testing.assert_allclose(methods.croston_sba(panel, [60], 3).values, 5.0 * 0.95)


def test_intermittent_series_converges_to_its_rate() -> None:
    panel = make_panel([intermittent(4, 400, size=2.0)])
    # TSB's probability dips between sales and recovers on each one: over a cycle it is the rate.
    cycle = methods.tsb(panel, [397, 398, 399, 400], 1).values
    assert cycle.mean() == pytest.approx(0.5, rel=0.02)
    np.testing.assert_allclose(methods.moving_mean(panel, [400], 1).values, 0.5)
    np.testing.assert_allclose(methods.croston_sba(panel, [400], 1).values, 0.95 * 2.0 / 4, rtol=1e-4)


def test_tsb_decays_after_sales_stop_but_croston_does_not() -> None:
    history = [1.0] * 50 + [0.0] * 60
    panel = make_panel([history])
    tsb = methods.tsb(panel, [50, 110], 1).values[:, 0, 0]
    sba = methods.croston_sba(panel, [50, 110], 1).values[:, 0, 0]
    assert tsb[1] < 0.1 * tsb[0]
    assert sba[1] == pytest.approx(sba[0])


def test_seasonal_naive_repeats_the_last_week() -> None:
    week = [0, 0, 0, 0, 0, 10, 12]
    panel = make_panel([week * 8])
    values = methods.seasonal_naive(panel, [56], 14).values[0, 0]
    np.testing.assert_array_equal(values, week * 2)


def test_seasonal_naive_falls_back_to_the_mean_on_short_history() -> None:
    panel = make_panel([[0.0] * 10 + [3.0, 1.0, 2.0]])
    result = methods.seasonal_naive(panel, [13], 2)
    np.testing.assert_allclose(result.values[0, 0], 2.0)
    assert "shorter than one season" in result.notes[(0, 0)]


def test_no_forecast_before_the_first_sale_and_never_negative() -> None:
    rng = np.random.default_rng(7)
    rows = [[0.0] * 30 + list(rng.poisson(0.3, 30)), list(rng.poisson(2.0, 60))]
    panel = make_panel(rows)
    for name, function in methods.PRIMITIVES.items():
        values = function(panel, [20, 60], 5).values
        assert np.isnan(values[0, 0]).all(), name
        finite = values[~np.isnan(values)]
        assert (finite >= 0).all(), name


def test_mean_levels_use_only_days_since_the_first_sale() -> None:
    panel = make_panel([[0.0] * 40 + [4.0, 0.0]])
    levels = methods.mean_levels(panel, 28)
    assert levels[0, 41] == pytest.approx(2.0)
    assert np.isnan(levels[0, 39])
