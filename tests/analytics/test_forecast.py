"""Level forecasts: the chosen method, intervals clipped at zero, Poisson when nothing was scored."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from soleflip_cli.analytics.forecast import forecast_panel, poisson_quantile, size_shares
from soleflip_cli.analytics.panel import build_panel, last_complete_period
from tests.analytics.helpers import make_panel


def test_constant_demand_is_forecast_exactly_with_poisson_intervals() -> None:
    result = forecast_panel(make_panel([[2.0] * 200]), horizon=3)
    frame = result.frame
    assert list(frame.columns) == [
        "series",
        "period",
        "units",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
        "method",
        "note",
    ]
    assert frame["units"].tolist() == [2.0, 2.0, 2.0]
    assert frame["period"].tolist() == [date(2024, 7, 19), date(2024, 7, 20), date(2024, 7, 21)]
    assert (frame["lower_80"].iloc[0], frame["upper_80"].iloc[0]) == (0.0, 4.0)
    assert (frame["lower_95"].iloc[0], frame["upper_95"].iloc[0]) == (0.0, 5.0)
    assert result.intervals == "Poisson (no backtest errors to learn from)"


def test_noisy_demand_gets_backtest_intervals_that_bracket_the_forecast() -> None:
    rng = np.random.default_rng(11)
    rows = [list(rng.poisson(rate, 300).astype(float)) for rate in (0.2, 2.0, 6.0)]
    result = forecast_panel(make_panel(rows), horizon=7)
    frame = result.frame
    assert result.intervals == "backtest errors"
    # weekly origins from day 84 (the first scorable) to 293 (its 7 days end on day 300)
    assert result.windows == (293 - 84) // 7 + 1
    assert (frame["lower_95"] <= frame["lower_80"]).all()
    assert (frame["lower_80"] <= frame["units"] + 1e-9).all()
    assert (frame["units"] <= frame["upper_80"] + 1e-9).all()
    assert (frame["upper_80"] <= frame["upper_95"]).all()
    assert (frame[["units", "lower_95"]] >= 0).all().all()


def test_a_short_history_is_still_forecast() -> None:
    result = forecast_panel(make_panel([[0.0] * 5 + [1.0, 0.0, 2.0]]), horizon=2)
    assert result.method == "tsb" and result.windows == 0
    assert len(result.frame) == 2 and (result.frame["units"] > 0).all()


def test_poisson_quantiles() -> None:
    means = np.array([0.0, 0.5, 2.0, 10.0])
    assert poisson_quantile(means, 0.975).tolist() == [0.0, 2.0, 5.0, 17.0]
    assert poisson_quantile(means, 0.1).tolist() == [0.0, 0.0, 0.0, 6.0]


def test_build_panel_drops_the_unfinished_week() -> None:
    sales = pd.DataFrame(
        {
            "day": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-17"]),
            "sku": ["A", "A", "B"],
            "units": [1.0, 2.0, 5.0],
        }
    )
    panel = build_panel(sales, ["sku"], "week", date(2024, 1, 17))
    assert list(panel.periods.date) == [date(2024, 1, 1), date(2024, 1, 8)]
    assert panel.units.tolist() == [[1.0, 2.0]]
    assert panel.keys["sku"].tolist() == ["A"]
    assert last_complete_period(date(2024, 1, 21), "week") == pd.Timestamp("2024-01-15")
    assert last_complete_period(date(2024, 2, 29), "month") == pd.Timestamp("2024-02-01")


def test_size_shares_prefer_recent_sales() -> None:
    sales = pd.DataFrame(
        {
            "product": ["1", "1", "1", "2"],
            "size": ["9", "10", "10", "8"],
            "day": pd.to_datetime(["2023-01-01", "2024-06-01", "2024-06-02", "2023-01-01"]),
            "units": [5.0, 1.0, 3.0, 2.0],
        }
    )
    shares = size_shares(sales, date(2024, 6, 30))
    assert shares.to_dict() == {("1", "10"): 1.0, ("2", "8"): 1.0}
    assert shares.sum() == pytest.approx(2.0)
