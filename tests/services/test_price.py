"""Suggestions and calibration against real SQLite and PostgreSQL databases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy.orm import Session

from soleflip_cli.config import Settings
from soleflip_cli.errors import NotFoundError, UsageError
from soleflip_cli.models import ListingEvent
from soleflip_cli.services.price import Selection, breakeven_table, pricing_policy, suggest_prices
from soleflip_cli.services.price_calibration import calibrate_fees
from tests.pricing_data import NOW, add_listing, add_market, add_pair, add_stockx_sale

POLICY = pricing_policy(Settings(), strategy="match-lowest", min_margin=D(0))
EVERY = Selection(every=True)


def test_suggests_for_pairs_in_stock_and_listed_from_the_latest_market(session: Session) -> None:
    first = add_pair(session)
    listed = add_pair(session, status="listed")
    add_pair(session, status="sold")
    add_market(session, first, "150", hours_ago=30)
    add_market(session, first, "200", hours_ago=2)
    add_listing(session, listed, "230")
    rows = suggest_prices(session, EVERY, POLICY, {}, now=NOW)
    assert [row.item_id for row in rows] == [first.id, listed.id]
    row = rows[0]
    assert (row.pair, row.sku, row.size, row.cost, row.currency) == (
        "Nike Dunk Low Panda",
        "DD1391-100",
        "10",
        D("100.00"),
        "USD",
    )
    assert (row.suggested_ask, row.payout, row.profit, row.roi, row.floor) == (
        D("200"),
        D("171.00"),
        D("71.00"),
        D("0.7100"),
        D("120"),
    )
    assert (row.market_age_days, row.current_ask, row.flag) == (0, None, None)
    # eBay nets more at the same market price (8 % and no shipping deduction).
    assert (row.best_platform, row.best_ask, row.best_payout) == ("ebay", D("200.00"), D("184.00"))
    assert rows[1].current_ask == D("230.00") and rows[1].listing_id is not None
    # 230 -> 200 is a 13 % cut: limited to 10 % per run.
    assert rows[1].suggested_ask == D("207") and "cut limited" in rows[1].reason


def test_selection_by_item_sku_and_size(session: Session) -> None:
    a = add_pair(session, size="10")
    b = add_pair(session, size="10.5")
    other = add_pair(session, sku="FQ8138-002", name="Jordan 4")
    assert [r.item_id for r in suggest_prices(session, Selection(sku="dd1391 100"), POLICY, {})] == [
        a.id,
        b.id,
    ]
    assert [
        r.item_id for r in suggest_prices(session, Selection(sku="DD1391-100", size="US 10.5"), POLICY, {})
    ] == [b.id]
    assert [r.item_id for r in suggest_prices(session, Selection(item_ids=(other.id,)), POLICY, {})] == [
        other.id
    ]
    with pytest.raises(NotFoundError, match="no pair in stock or listed with id 999999"):
        suggest_prices(session, Selection(item_ids=(a.id, 999999)), POLICY, {})
    with pytest.raises(UsageError, match="choose the pairs"):
        suggest_prices(session, Selection(), POLICY, {})


def test_missing_stale_and_foreign_currency_market_data_are_flagged(session: Session) -> None:
    none = add_pair(session, size="9")
    stale = add_pair(session, size="11")
    euro = add_pair(session, size="12", currency="EUR")
    add_market(session, stale, hours_ago=24 * 9)
    add_market(session, euro)
    rows = {r.item_id: r for r in suggest_prices(session, EVERY, POLICY, {}, now=NOW)}
    assert (rows[none.id].flag, rows[none.id].suggested_ask, rows[none.id].market_age_days) == (
        "no_market_data",
        None,
        None,
    )
    assert (rows[stale.id].flag, rows[stale.id].market_age_days) == ("stale_market_data", 9)
    assert (
        rows[euro.id].flag == "currency_mismatch"
        and "cost EUR but the market data is in USD" in rows[euro.id].reason
    )
    assert all(r.best_platform is None for r in rows.values())


def test_fee_overrides_and_other_marketplaces_market_data(session: Session) -> None:
    pair = add_pair(session)
    add_market(session, pair, "200")
    add_market(session, pair, "260", source="ebay")
    rows = suggest_prices(session, EVERY, POLICY, {"stockx": {"level": 5}, "ebay": {"per_order_fee": "0.30"}})
    assert rows[0].payout == D("175.00")  # 7 %: 200 - 14 - 6 - 5
    assert (rows[0].best_platform, rows[0].best_ask, rows[0].best_payout) == (
        "ebay",
        D("260.00"),
        D("239.20"),
    )


def test_a_cut_applied_today_is_the_reference_of_the_per_run_cap(session: Session) -> None:
    pair = add_pair(session, status="listed")
    add_market(session, pair, "150")
    listing = add_listing(session, pair, "225")
    session.add_all(
        [
            ListingEvent(
                listing_id=listing.id,
                inventory_item_id=pair.id,
                action="price_change",
                old_amount=D("250"),
                new_amount=D("225"),
                currency="USD",
                status="succeeded",
                created_at=NOW - timedelta(hours=2),
            ),
            ListingEvent(
                listing_id=listing.id,
                inventory_item_id=pair.id,
                action="price_change",
                old_amount=D("400"),
                new_amount=D("250"),
                currency="USD",
                status="succeeded",
                created_at=NOW - timedelta(days=3),
            ),
        ]
    )
    session.flush()
    row = suggest_prices(session, EVERY, POLICY, {}, now=NOW)[0]
    assert row.suggested_ask == D("225") and "cut limited to -10% of 250.00 per run" in row.reason


def test_breakeven_table_side_by_side() -> None:
    rows = breakeven_table(D("180"), "USD", {}, roi=D("0.2"))
    assert [(r.platform, r.breakeven, r.target) for r in rows] == [
        ("stockx", D("210.23"), D("251.13")),
        ("alias", D("210.36"), D("251.33")),
        ("ebay", D("195.65"), D("234.78")),
    ]
    assert rows[0].profit == D("36.00") and rows[0].cost == D("180.00")


def test_calibration_says_which_setting_differs(session: Session) -> None:
    # 2022-style EU sales: 6.5 % transaction fee, EUR 8 minimum left out of the export, no shipping.
    add_stockx_sale(
        session, "1-1", "189", "171.05", [("Seller Fee", "12.29"), ("Payment Processing", "5.67")]
    )
    add_stockx_sale(session, "1-2", "134", "121.27", [("Seller Fee", "8.71"), ("Payment Processing", "4.02")])
    add_stockx_sale(session, "1-3", "117", "105.49", [("Payment Processing", "3.51")])
    add_stockx_sale(session, "1-4", "45", "30.65", [("Payment Processing", "1.35"), ("Shipping Fee", "5")])
    rows = {row.setting: row for row in calibrate_fees(session, {}, last=10)}
    rate = rows["transaction_rate"]
    assert (rate.configured, rate.observed, rate.sales, rate.matching) == (D("0.09"), D("0.0650"), 2, 0)
    assert rate.advice == (
        'differs: set [fees.stockx] transaction_rate = "6.5%" '
        '(that is level = 4 and bonuses = ["quick_ship"])'
    )
    minimum = rows["minimum_fee"]
    assert (minimum.configured, minimum.observed, minimum.sales, minimum.difference) == (
        D("5.00"),
        D("8.00"),
        2,
        D("3.00"),
    )
    assert rows["processing_rate"].advice == "ok" and rows["processing_rate"].matching == 4
    assert rows["shipping"].observed == D("5.00") and rows["shipping"].difference == D("0.50")
    tuned = {"stockx": {"transaction_rate": "6.5%", "minimum_fee": 8}}
    assert {row.setting: row.advice for row in calibrate_fees(session, tuned, last=3)}[
        "transaction_rate"
    ] == "ok"


def test_calibration_needs_sales(session: Session) -> None:
    with pytest.raises(NotFoundError, match="no StockX sales"):
        calibrate_fees(session, {})
