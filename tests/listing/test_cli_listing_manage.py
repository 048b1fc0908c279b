"""`soleflip listing list|show|activate|deactivate|delete` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, text

from tests.conftest import Cli
from tests.fake_stockx import FakeStockX
from tests.listing.helpers import SKU, add_pairs, events, pair_statuses, run


def listed(cli: Cli, engine: Engine, size: str, price: str) -> tuple[int, str]:
    """A pair listed through `listing create`: (pair id, StockX listing id)."""
    [pair] = add_pairs(engine, size)
    result, rows = run(cli, "listing", "create", str(pair), "--price", price, "--yes")
    assert result.exit_code == 0, result.stderr
    return pair, rows[0]["listing"]


def test_list_and_show_with_payout_profit_and_history(
    cli: Cli, stockx: FakeStockX, engine_of: Engine
) -> None:
    pair, remote = listed(cli, engine_of, "10", "250")
    other, _ = listed(cli, engine_of, "11", "130")
    result, rows = run(cli, "listing", "list")
    assert result.exit_code == 0 and result.stderr == ""
    assert rows[0] == {
        "id": 1,
        "listing": remote,
        "status": "active",
        "item_id": pair,
        "pair": "Nike Dunk Low Panda",
        "sku": SKU,
        "size": "10",
        "pair_status": "listed",
        "cost": "100.00",
        "cost_currency": "USD",
        "ask": "250.00",
        "currency": "USD",
        "payout": "215.00",
        "profit": "115.00",
        "days_listed": 0,
        "expires_at": None,
    }
    assert (rows[1]["item_id"], rows[1]["ask"], rows[1]["payout"], rows[1]["profit"]) == (
        other,
        "130.00",
        "109.40",  # 130 - 11.70 (9 %) - 3.90 (3 %) - 5.00 shipping
        "9.40",
    )
    csv = cli("listing", "list", "--status", "active,inactive", "--format", "csv")
    assert csv.stdout.splitlines()[0].startswith("id,listing,status,item_id,pair,sku,size,pair_status,cost")
    assert len(csv.stdout.splitlines()) == 3
    assert run(cli, "listing", "list", "--status", "matched")[1] == []
    bad = cli("listing", "list", "--status", "sold")
    assert bad.exit_code == 2 and "--status: unknown status 'sold'" in bad.stderr

    shown, story = run(cli, "listing", "show", remote)
    assert shown.exit_code == 0
    [event] = story.pop("events")
    assert story == rows[0] | {"inventory_type": "STANDARD", "order_number": None}
    assert event.pop("at").endswith("Z") and event.pop("operation_id")
    assert event == {
        "action": "create",
        "actor": "listing create",
        "old_status": None,
        "new_status": "active",
        "old_amount": None,
        "new_amount": "250.00",
        "currency": "USD",
        "status": "succeeded",
        "message": None,
    }
    table = cli("listing", "show", "1")
    assert "History" in table.stdout and "listing create" in table.stdout and "succeeded" in table.stdout
    missing = cli("listing", "show", "99")
    assert missing.exit_code == 1 and "no StockX listing '99'" in missing.stderr


def test_deactivate_activate_delete_through_operations(
    cli: Cli, stockx: FakeStockX, engine_of: Engine
) -> None:
    pair, remote = listed(cli, engine_of, "9", "260")
    off, rows = run(cli, "listing", "deactivate", "1")
    assert off.exit_code == 0, off.stderr
    assert [(r["old_status"], r["new_status"], r["status"]) for r in rows] == [
        ("active", "inactive", "deactivated")
    ]
    assert stockx.listings[remote].status == "INACTIVE" and pair_statuses(engine_of, [pair]) == ["in_stock"]

    before = stockx.count("/v2/")
    again, rows = run(cli, "listing", "deactivate", remote)
    assert again.exit_code == 0 and (rows[0]["status"], rows[0]["message"]) == (
        "unchanged",
        "already inactive",
    )
    assert stockx.count("/v2/") == before and "1 unchanged" in again.stderr
    with engine_of.begin() as conn:  # a stale local status: StockX refuses, and the listing tells why
        conn.execute(text("UPDATE listings SET status = 'active'"))
    stale, rows = run(cli, "listing", "deactivate", "1")
    assert stale.exit_code == 0
    assert (rows[0]["status"], rows[0]["message"]) == ("unchanged", "already inactive on StockX")

    on, rows = run(cli, "listing", "activate", "1")
    assert on.exit_code == 0 and rows[0]["status"] == "activated"
    assert stockx.listings[remote].status == "ACTIVE" and pair_statuses(engine_of, [pair]) == ["listed"]
    gone, rows = run(cli, "listing", "delete", "1")
    assert gone.exit_code == 0 and rows[0]["status"] == "deleted"
    assert stockx.listings[remote].status == "DELETED" and pair_statuses(engine_of, [pair]) == ["in_stock"]
    twice, rows = run(cli, "listing", "delete", "1")
    assert (twice.exit_code, rows[0]["status"], rows[0]["message"]) == (0, "unchanged", "already deleted")
    assert [(e[0], e[2], e[3], e[5]) for e in events(engine_of)] == [
        ("create", None, "active", "succeeded"),
        ("deactivate", "active", "inactive", "succeeded"),
        ("deactivate", "active", "inactive", "failed"),  # StockX: "already inactive"
        ("activate", "inactive", "active", "succeeded"),
        ("delete", "active", "deleted", "succeeded"),
    ]
    history = run(cli, "listing", "show", "1")[1]["events"]
    assert [e["actor"] for e in history][1:] == ["listing deactivate"] * 2 + [
        "listing activate",
        "listing delete",
    ]


def test_matched_listings_and_sold_pairs_are_reported_not_fatal(
    cli: Cli, stockx: FakeStockX, engine_of: Engine
) -> None:
    pair, remote = listed(cli, engine_of, "8", "240")
    other, second = listed(cli, engine_of, "8.5", "240")
    stockx.listings[remote].status = "MATCHED"  # sold on StockX since the last sync
    run(cli, "listing", "deactivate", "2")
    with engine_of.begin() as conn:
        conn.execute(text("UPDATE inventory_items SET status = 'sold' WHERE id = :id"), {"id": other})
    result, rows = run(cli, "listing", "deactivate", "1", "--format", "json")
    assert result.exit_code == 0
    assert (rows[0]["status"], rows[0]["message"]) == ("skipped", "the listing is matched on StockX")
    result, rows = run(cli, "listing", "activate", "2", "1")
    assert result.exit_code == 0, result.stderr
    assert [(r["status"], r["message"]) for r in rows] == [
        ("refused", "the pair is sold: a live ask would sell it twice"),
        ("skipped", "the listing is matched; nothing to activate"),
    ]
    assert stockx.listings[second].status == "INACTIVE" and pair_statuses(engine_of, [pair]) == ["listed"]
    failing = stockx.listings[second]
    with engine_of.begin() as conn:
        conn.execute(text("UPDATE inventory_items SET status = 'in_stock' WHERE id = :id"), {"id": other})
    stockx.fail_operations("Your seller account cannot list this product")
    result, rows = run(cli, "listing", "activate", "2")
    assert result.exit_code == 3 and "1 listings could not be activated" in result.stderr
    assert (rows[0]["status"], rows[0]["message"]) == (
        "failed",
        "Your seller account cannot list this product",
    )
    assert failing.status == "INACTIVE" and Decimal(rows[0]["ask"]) == 240


def test_inventory_show_tells_the_listing_history(cli: Cli, stockx: FakeStockX, engine_of: Engine) -> None:
    pair, remote = listed(cli, engine_of, "12", "270")
    assert run(cli, "listing", "deactivate", remote)[0].exit_code == 0
    assert run(cli, "listing", "delete", "1")[0].exit_code == 0
    shown, story = run(cli, "inventory", "show", str(pair))
    assert shown.exit_code == 0, shown.stderr
    assert [
        (e["action"], e["old_status"], e["new_status"], e["new_amount"], e["status"], e["actor"])
        for e in story["events"]
    ] == [
        ("create", None, "active", "270.00", "succeeded", "listing create"),
        ("deactivate", "active", "inactive", "270.00", "succeeded", "listing deactivate"),
        ("delete", "inactive", "deleted", "270.00", "succeeded", "listing delete"),
    ]
    assert [(x["external_id"], x["status"]) for x in story["listings"]] == [(remote, "deleted")]
    table = cli("inventory", "show", str(pair))
    assert "Listing history" in table.stdout and "listing deactivate" in table.stdout
