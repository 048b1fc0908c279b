"""`soleflip sync stockx` end to end against the fake StockX: first sync, re-sync, changes, links, market."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from soleflip_cli.models import Listing, MarketPrice, Sale, SaleFee, SyncState
from tests.conftest import Cli
from tests.fake_stockx import FakeStockX, add_listing, add_orders, set_order_status
from tests.sync.helpers import add_pairs, count, statuses, sync_json


def test_first_sync_then_noop_resync(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    add_orders(stockx, 250, style_id="DD1391-100", size="10")
    add_orders(stockx, 2, status="AUTHENTICATING", start=datetime(2025, 3, 8, tzinfo=UTC))
    add_listing(stockx, "HQ4540", "10", 300)
    pairs = add_pairs(synced_db, "DD1391-100", "10", 3)

    first = sync_json(cli)
    assert first == {
        "orders": {"fetched": 252, "inserted": 252, "updated": 0},
        "listings": {"fetched": 1, "inserted": 1, "updated": 0},
        "market": {"observations": 0},
        "requests": 5,  # 1 active page + 3 history pages + 1 listings page
        "rate_limited": 0,
    }
    assert count(synced_db, Sale.id, Sale.platform == "stockx") == 252
    assert count(synced_db, SaleFee.id) == 252 * 3
    assert statuses(synced_db, pairs) == ["sold", "sold", "sold"]
    stockx.reset_counters()

    again = sync_json(cli)
    assert again["orders"]["inserted"] == again["orders"]["updated"] == 0
    assert again["listings"] == {"fetched": 1, "inserted": 0, "updated": 0}
    assert again["requests"] == 3 and stockx.count("/v2/") == 3
    with Session(synced_db) as session:
        state = session.scalar(select(SyncState).where(SyncState.resource == "orders"))
        assert state is not None and state.cursor is None
        assert state.high_water == max(o.created_at for o in stockx.orders.values())


def test_sale_rows_and_fee_lines(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    (order,) = add_orders(stockx, 1, style_id="DZ5485-612", size="9.5", amount="117", currency="EUR")
    order.extra_adjustments = [("InPersonDropOff", Decimal("6.17"))]
    (hidden,) = add_orders(stockx, 1, style_id="HQ4540", size="11", amount="50", list_payout=False)
    result = sync_json(cli, "--orders")
    assert result["orders"] == {"fetched": 2, "inserted": 2, "updated": 0}
    assert result["requests"] == 3 and stockx.count(f"/v2/selling/orders/{hidden.order_number}") == 1
    with Session(synced_db) as session:
        sale = session.scalars(select(Sale).where(Sale.external_id == order.order_number)).one()
        assert (sale.platform, sale.source, sale.status, sale.currency) == (
            "stockx",
            "api",
            "completed",
            "EUR",
        )
        assert (sale.sku, sale.size, sale.sold_at) == ("DZ5485-612", "9.5", order.created_at)
        assert (sale.sale_price, sale.fees_total, sale.payout) == (
            Decimal("117.00"),
            Decimal("12.37"),
            Decimal("104.63"),
        )
        fees = [(f.kind, f.name, f.amount, f.rate) for f in sale.fees]
        assert fees == [
            ("transaction", "Transaction Fee (9.0%)", Decimal("10.53"), Decimal("0.09")),
            ("processing", "Payment Proc. (3%)", Decimal("3.51"), Decimal("0.03")),
            ("shipping", "Shipping", Decimal("4.50"), Decimal("0")),
            ("other", "InPersonDropOff", Decimal("-6.17"), Decimal("0")),
        ]
        small = session.scalars(select(Sale).where(Sale.external_id == hidden.order_number)).one()
        assert [f.kind for f in small.fees] == ["transaction", "processing", "shipping"]
        assert small.fees[0].name == "Minimum Transaction Fee" and small.payout == Decimal("39.50")


def test_sync_after_new_orders_and_status_changes(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    add_orders(stockx, 120)
    (pending,) = add_orders(stockx, 1, status="SHIPPED", start=datetime(2025, 1, 2, tzinfo=UTC))
    (doomed,) = add_orders(stockx, 1, status="CREATED", style_id="BB550WT1", size="9")
    (pair,) = add_pairs(synced_db, "BB550WT1", "9")
    sync_json(cli, "--orders")
    assert statuses(synced_db, [pair]) == ["sold"]

    latest = max(o.created_at for o in stockx.orders.values())
    add_orders(stockx, 5, start=latest + timedelta(hours=1))
    set_order_status(stockx, pending, "COMPLETED")
    set_order_status(stockx, doomed, "CANCELED")
    stockx.reset_counters()
    result = sync_json(cli, "--orders")
    assert result["orders"]["inserted"] == 5 and result["orders"]["updated"] == 2
    with Session(synced_db) as session:
        got = dict(session.execute(select(Sale.external_id, Sale.status)).all())
    assert (got[pending.order_number], got[doomed.order_number]) == ("completed", "canceled")
    assert statuses(synced_db, [pair]) == ["in_stock"]  # the canceled sale gave its pair back
    assert count(synced_db, Sale.id) == 127


def test_csv_and_api_share_one_sale_per_order(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    (order,) = add_orders(stockx, 1)
    with Session(synced_db) as session:
        session.add(
            Sale(
                platform="stockx",
                external_id=order.order_number,
                sold_at=order.created_at,
                sale_price=Decimal(1),
                currency="USD",
                source="csv",
            )
        )
        session.commit()
    result = sync_json(cli, "--orders")
    assert result["orders"] == {"fetched": 1, "inserted": 0, "updated": 1}
    assert count(synced_db, Sale.id) == 1


def test_listings_link_pairs_and_release_them(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    old, new = add_pairs(synced_db, "HQ4540", "10", 2)
    inactive_pair, other = add_pairs(synced_db, "DD1391-100", "9", 2)
    live = add_listing(stockx, "HQ4540", "10", 300)
    add_listing(stockx, "DD1391-100", "9", 150, status="INACTIVE")
    add_listing(stockx, "BB550WT1", "12", 180)  # nothing in stock for it
    result = sync_json(cli, "--listings")
    assert result["listings"] == {"fetched": 3, "inserted": 3, "updated": 0}
    assert statuses(synced_db, [old, new, inactive_pair, other]) == [
        "listed",
        "in_stock",
        "in_stock",
        "in_stock",
    ]

    live.status = "DELETED"
    stockx.reset_counters()
    result = sync_json(cli, "--listings")
    assert result["listings"] == {"fetched": 2, "inserted": 0, "updated": 1}
    assert result["requests"] == 2  # the page, then the vanished listing by id
    assert statuses(synced_db, [old, new]) == ["in_stock", "in_stock"]
    with Session(synced_db) as session:
        gone = session.scalars(select(Listing).where(Listing.external_id == live.listing_id)).one()
        assert (gone.status, gone.inventory_item_id, gone.amount) == ("deleted", old, Decimal("300.00"))


def test_sale_of_a_listed_pair_consumes_that_pair(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    first, second = add_pairs(synced_db, "HQ4540", "10", 2)
    listing = add_listing(stockx, "HQ4540", "10", 300)
    add_listing(stockx, "HQ4540", "10", 310)
    sync_json(cli, "--listings")
    with Session(synced_db) as session:
        linked = session.scalar(
            select(Listing.inventory_item_id).where(Listing.external_id == listing.listing_id)
        )
    (order,) = add_orders(stockx, 1, style_id="HQ4540", size="10")
    order.listing_id = listing.listing_id
    listing.status = "MATCHED"
    sync_json(cli)
    with Session(synced_db) as session:
        sale = session.scalars(select(Sale)).one()
    assert sale.inventory_item_id == linked
    assert sorted(statuses(synced_db, [first, second])) == ["listed", "sold"]


def test_market_data_for_held_products(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    add_pairs(synced_db, "HQ4540", "10")
    add_pairs(synced_db, "NOT-ON-STOCKX", "9")
    result = sync_json(cli, "--market")
    assert result["market"] == {"observations": 13}
    assert result["requests"] == 4  # search the SKU, market data, variants (sizes), search the unknown SKU
    with Session(synced_db) as session:
        rows = session.scalars(select(MarketPrice)).all()
        ten = [r for r in rows if r.variant_id is not None and r.lowest_ask == Decimal("280.00")]
    assert len(rows) == 13 and all(r.variant_id is not None for r in rows) and len(ten) == 1
    assert (ten[0].highest_bid, ten[0].currency, ten[0].source) == (Decimal("265.00"), "USD", "stockx")
    stockx.reset_counters()
    assert sync_json(cli, "--market")["requests"] == 2  # known product: one call; unknown SKU: one search


def test_dry_run_writes_nothing(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    add_orders(stockx, 3)
    result = sync_json(cli, "--dry-run")
    assert result["orders"] == {"fetched": 3, "inserted": 3, "updated": 0}
    assert count(synced_db, Sale.id) == 0 and count(synced_db, SyncState.id) == 0


def test_since_limits_the_first_history_walk(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    add_orders(stockx, 40, start=datetime(2025, 1, 1, tzinfo=UTC), step=timedelta(days=1))
    result = sync_json(cli, "--orders", "--since", "2025-02-01")
    assert result["orders"]["inserted"] == 9
    full = sync_json(cli, "--orders", "--full")
    assert full["orders"] == {"fetched": 40, "inserted": 31, "updated": 0}
