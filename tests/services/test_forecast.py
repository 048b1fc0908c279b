"""Forecast services on SQLite and PostgreSQL: SQL loading, levels, backtests and stock."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from soleflip_cli.errors import NotFoundError, UsageError
from soleflip_cli.models import MarketSale
from soleflip_cli.services.forecast import default_as_of, forecast_sales, load_sales
from soleflip_cli.services.forecast_backtest import backtest_sales
from soleflip_cli.services.forecast_stock import stock_outlook
from soleflip_cli.services.products import get_or_create_product
from tests.forecast_seed import LAST_DAY, seed_market, seed_own

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


def test_market_sales_are_aggregated_per_day_product_and_size(session: Session) -> None:
    ids = seed_market(session)
    frame = load_sales(session, source="market", skus=(), as_of=date(2024, 1, 7))
    assert frame["units"].sum() == 7 * 2 + 4 + 4  # size 10, size 9 on even days, Off-White
    day_one = frame[(frame["day"] == "2024-01-01") & (frame["product"] == str(ids["yeezy"]))]
    assert sorted(zip(day_one["size"], day_one["units"], day_one["revenue"], strict=True)) == [
        ("10", 2.0, Decimal("600.00")),
        ("9", 1.0, Decimal("280.50")),
    ]
    assert set(frame["brand"]) == {"Yeezy", "Off-White"}
    assert default_as_of(session, "market") == LAST_DAY


def test_sku_filter_matches_sku_or_the_name_of_a_product_without_one(session: Session) -> None:
    seed_market(session)
    by_sku = load_sales(session, source="market", skus=["bb2222 002"], as_of=LAST_DAY)
    assert set(by_sku["sku"]) == {"BB2222-002"}
    nameless = get_or_create_product(session, sku=None, name="Air Max 90 Off-White Desert Ore")
    session.add(
        MarketSale(
            source="t",
            row_key="1",
            product_id=nameless.id,
            sale_date=LAST_DAY,
            sale_price=Decimal("300"),
            currency="USD",
        )
    )
    session.flush()
    by_name = load_sales(session, source="market", skus=["air max 90 off white desert ore"], as_of=LAST_DAY)
    assert by_name["name"].tolist() == ["Air Max 90 Off-White Desert Ore"]


def test_own_sales_count_on_their_utc_day(session: Session) -> None:
    seed_own(session)
    frame = load_sales(session, source="own", skus=(), as_of=date(2024, 1, 11))
    assert frame["day"].dt.date.tolist() == [date(2024, 1, 11)]
    assert frame["units"].tolist() == [1.0]
    assert frame["revenue"].tolist() == [Decimal("320.00")]


def test_forecast_rows_carry_revenue_at_the_recent_price(session: Session) -> None:
    seed_market(session)
    result = forecast_sales(session, by="sku-size", source="market", horizon=2, arima_max_series=0)
    assert (result.by, result.freq, result.horizon, result.as_of) == ("sku-size", "day", 2, LAST_DAY)
    rows = {(r.sku, r.size, r.period): r for r in result.rows}
    assert len(rows) == 6
    ten = rows[("AA1111-001", "10", date(2024, 8, 8))]
    # 2 a day exactly; Croston-SBA (chosen here on the other, irregular sizes) discounts by 5 %.
    assert result.method == "croston_sba"
    assert ten.units == pytest.approx(1.9, abs=0.001)
    assert ten.currency == "USD" and ten.brand == "Yeezy" and ten.name == "Yeezy Test"
    assert ten.revenue == (Decimal(str(round(ten.units, 6))) * 300).quantize(Decimal("0.01"))
    assert ten.lower_95 <= ten.lower_80 <= ten.units <= ten.upper_80 <= ten.upper_95


def test_weekly_total_forecast(session: Session) -> None:
    seed_market(session)
    result = forecast_sales(session, by="total", freq="week", source="market")
    assert result.horizon == 4
    assert [r.period for r in result.rows] == [
        date(2024, 8, 5),
        date(2024, 8, 12),
        date(2024, 8, 19),
        date(2024, 8, 26),
    ]
    assert all(r.brand is None and r.sku is None for r in result.rows)
    assert 20 < result.rows[0].units < 30


def test_backtest_every_level(session: Session) -> None:
    seed_market(session)
    results = backtest_sales(session, source="market", windows=2, arima_max_series=1)
    assert [r.by for r in results] == ["total", "brand", "sku", "sku-size"]
    total, sku = results[0], results[2]
    assert sku.series == 2 and len(sku.window_choices) == 2 and sku.note is None
    assert sku.chosen_method in {m.method for m in sku.methods}
    assert sku.rmsse is not None and sku.seasonal_naive_rmsse is not None
    assert sku.ratio_to_seasonal_naive == round(sku.rmsse / sku.seasonal_naive_rmsse, 4)
    assert {"arima", "arima_tsb"} <= {m.method for m in total.methods}
    assert "arima" not in {m.method for m in sku.methods}  # more series than arima_max_series


def test_backtest_with_too_little_history_has_no_result(session: Session) -> None:
    seed_market(session)
    (result,) = backtest_sales(session, levels=["sku"], source="market", as_of=date(2024, 3, 1))
    assert (result.series, result.chosen_method, result.rmsse, result.methods) == (0, None, None, [])
    assert result.note == "not enough history: a series needs 112 days of sales to score one window"


def test_stock_days_to_sell_and_restock_ranking(session: Session) -> None:
    seed_own(session)
    outlook = stock_outlook(session, source="own", as_of=date(2024, 6, 30))
    rows = {(r.size, r.pairs): r for r in outlook.stock}
    assert set(rows) == {("10", 2), ("9", 1)}
    ten = rows[("10", 2)]
    assert ten.cost == Decimal("460.00") and ten.currency == "USD"
    assert ten.forecast_per_day is not None and ten.days_to_sell is not None
    assert ten.days_to_sell == pytest.approx(2 / ten.forecast_per_day, rel=0.01)
    assert rows[("9", 1)].note == "this size has no own sales" and rows[("9", 1)].days_to_sell is None
    (best,) = outlook.restock
    assert (best.sku, best.sold, best.avg_days_to_sell) == ("AA1111-001", 50, 10.0)
    assert (best.cost, best.payout, best.profit) == (
        Decimal("11000.00"),
        Decimal("14500.00"),
        Decimal("3500.00"),
    )
    assert best.roi == pytest.approx(0.3182, abs=1e-4)
    assert best.roi_per_30_days == pytest.approx(0.9545, abs=1e-4)
    assert outlook.skipped_sales == 0


def test_errors_say_what_to_do(session: Session) -> None:
    with pytest.raises(NotFoundError, match="no market sales"):
        forecast_sales(session, source="market")
    with pytest.raises(NotFoundError, match="no own sales"):
        forecast_sales(session, source="own", as_of=date(2024, 1, 1))
    with pytest.raises(UsageError, match="unknown level"):
        forecast_sales(session, by="color")
