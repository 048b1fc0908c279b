"""Backtests: scales, the damping fit, honest per-window choice, intervals and their coverage."""

from __future__ import annotations

import numpy as np
import pytest

from soleflip_cli.analytics.backtest import backtest, choose
from soleflip_cli.analytics.engine import candidates, compute, fade, fit_damping
from soleflip_cli.analytics.metrics import score
from soleflip_cli.analytics.windows import Windows
from tests.analytics.helpers import intermittent, make_panel


def test_scales_are_the_in_sample_one_step_naive_errors_from_the_first_sale() -> None:
    panel = make_panel([[0, 0, 0, 1, 3, 0, 2, 9, 9]])
    mse, mae = Windows(panel, 2).scales(7)
    # history from the first sale: 1, 3, 0, 2 -> changes 2, -3, 2
    assert mse[0] == pytest.approx((4 + 9 + 4) / 3)
    assert mae[0] == pytest.approx(7 / 3)
    assert np.isnan(Windows(panel, 2).scales(4)[0][0])  # one period of history: no scale


def test_scores_of_a_perfect_and_of_a_biased_forecast() -> None:
    actual = np.array([[1.0, 0.0, 3.0], [2.0, 2.0, 2.0]])
    scale = np.array([4.0, 1.0])
    perfect = score(actual, actual, scale, scale)
    assert (perfect.rmsse, perfect.mase, perfect.wape, perfect.bias) == (0.0, 0.0, 0.0, 0.0)
    high = score(actual, actual + 1.0, scale, scale)
    assert high.rmsse == pytest.approx((1 / 2 + 1 / 1) / 2)
    assert high.bias == pytest.approx(6 / 10)
    assert high.wape == pytest.approx(6 / 10)


def test_damping_learns_how_fast_demand_fades() -> None:
    # Each product sells 6 a day at launch, halving every 61 days: the 28-day mean lags the
    # level by a factor c = mean(2 ** (j / 61), j = 1..28), and the fade goes on over the horizon.
    rows = [[0.0] * (20 * i) + list(6.0 * 0.5 ** (np.arange(300 - 20 * i) / 61)) for i in range(5)]
    windows = Windows(make_panel(rows), 28)
    base = compute(windows, ["moving_mean"], windows.earlier(300))["moving_mean"]
    damping = fit_damping(base, 300, windows)
    lag = np.mean(2 ** (np.arange(1, 29) / 61))
    assert damping is not None
    assert damping.half_life_days == 61
    assert damping.factor == pytest.approx(1 / lag, abs=0.011)


def test_steady_demand_is_neither_damped_nor_faded() -> None:
    windows = Windows(make_panel([[2.0, 1.0] * 200, [0.0, 3.0] * 200]), 28)
    base = compute(windows, ["moving_mean"], windows.earlier(400))["moving_mean"]
    damping = fit_damping(base, 400, windows)
    assert damping is not None
    assert (damping.factor, damping.half_life_days) == (1.0, None)


def test_fade_halves_every_half_life_in_days() -> None:
    assert fade(None, 3, 1).tolist() == [1.0, 1.0, 1.0]
    assert fade(7, 3, 7).tolist() == [1.0, 0.5, 0.25]
    assert fade(14, 3, 1) == pytest.approx(0.5 ** (np.arange(3) / 14))


def test_damping_without_earlier_windows_is_undamped_and_says_so() -> None:
    panel = make_panel([[2.0, 1.0] * 50])
    windows = Windows(panel, 28)
    result = compute(windows, ["damped_tsb"], [100])["damped_tsb"][100]
    assert result.damping is None
    assert result.notes[0] == "no earlier window to fit the damping factor: undamped"


def test_the_choice_for_a_window_never_sees_that_window() -> None:
    # Weekly pattern for a year, then flat demand in the last window only: a method chosen
    # with knowledge of the last window would not be seasonal naive.
    rng = np.random.default_rng(3)
    week = np.tile([1, 1, 1, 1, 1, 12, 12.0], 60)[:392] + rng.poisson(0.2, 392)
    last = np.full(28, 4.0)
    panel = make_panel([np.concatenate([week, last])])
    result = backtest(panel, horizon=28, windows=1, arima_max_series=0)
    assert result is not None
    assert result.windows[0].method == "seasonal_naive"
    scores = {m.method: m.scores.rmsse for m in result.methods}
    assert result.rmsse == pytest.approx(scores["seasonal_naive"])
    assert min(scores.values()) < scores["seasonal_naive"]


def test_seasonal_series_chooses_seasonal_naive_with_perfect_scores() -> None:
    panel = make_panel([[0, 0, 0, 0, 0, 10, 12] * 60])
    result = backtest(panel, horizon=28, windows=3, arima_max_series=0)
    assert result is not None
    assert result.chosen_method == "seasonal_naive"
    assert result.rmsse == 0.0
    assert result.chosen.coverage_95 == 1.0
    assert [w.method for w in result.windows] == ["seasonal_naive"] * 3


def test_intervals_cover_about_as_promised_on_stable_demand() -> None:
    rng = np.random.default_rng(5)
    rows = [list(rng.poisson(rate, 420).astype(float)) for rate in (0.3, 1.0, 3.0, 8.0)]
    result = backtest(make_panel(rows), horizon=28, windows=3, arima_max_series=0)
    assert result is not None
    tsb = next(m for m in result.methods if m.method == "tsb")
    assert tsb.scores.coverage_80 is not None and 0.7 <= tsb.scores.coverage_80 <= 0.9
    assert tsb.scores.coverage_95 is not None and 0.88 <= tsb.scores.coverage_95 <= 0.99


def test_too_short_for_a_window_gives_none() -> None:
    assert backtest(make_panel([[1.0] * 100]), horizon=28, windows=3) is None


def test_intermittent_series_are_scored_and_every_method_reported() -> None:
    rows = [intermittent(p, 400) for p in (2, 3, 5, 7)]
    panel = make_panel(rows)
    result = backtest(panel, horizon=28, windows=2, arima_max_series=0)
    assert result is not None
    assert [m.method for m in result.methods] == candidates(panel, arima_max_series=0)
    assert result.series == 4 and len(result.windows) == 2
    naive = next(m for m in result.methods if m.method == "seasonal_naive")
    assert naive.ratio_to_seasonal_naive == 1.0


def test_choose_without_windows_is_tsb() -> None:
    assert choose({}, [], ["moving_mean"]) == "tsb"
