"""`soleflip inventory sell` and `inventory show`: sale, fee lines, payout, profit and the pair's story."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from soleflip_cli.models import Listing, ListingEvent, Sale
from tests.conftest import Cli
from tests.inventory_helpers import ago, db_session, ok


def _add(cli: Cli, *extra: str) -> None:
    ok(cli, "inventory", "add", "--sku", "DM7866-200", "--size", "10", "--cost", "180", *extra)


def test_sell_with_given_fees(cli: Cli) -> None:
    _add(cli, "--date", ago(20))
    sold = ok(
        cli,
        "inventory",
        "sell",
        "1",
        "--price",
        "260",
        "--platform",
        "Local",
        "--fees",
        "10.5",
        "--date",
        ago(5),
    )
    assert sold == {
        "item_id": 1,
        "sale": {
            "id": 1,
            "platform": "local",
            "external_id": "manual-1",
            "sold_at": f"{ago(5)}T12:00:00Z",
            "price": "260.00",
            "currency": "USD",
            "fees": [{"name": "fees", "kind": "other", "rate": None, "amount": "10.50", "currency": "USD"}],
            "fees_total": "10.50",
            "payout": "249.50",
            "status": "completed",
            "source": "manual",
        },
        "cost": "180.00",
        "cost_currency": "USD",
        "profit": "69.50",
        "roi_pct": "38.6",
        "profit_note": None,
        "days_in_stock": 15,
        "fees_estimated": False,
    }
    assert ok(cli, "inventory", "list", "--status", "sold")[0]["days_in_stock"] == 15
    assert ok(cli, "inventory", "list") == []


def test_sell_on_a_marketplace_uses_its_fee_schedule(cli: Cli) -> None:
    _add(cli)
    sold = ok(cli, "inventory", "sell", "1", "--price", "300", "--platform", "stockx")
    assert [(f["name"], f["rate"], f["amount"]) for f in sold["sale"]["fees"]] == [
        ("transaction_fee", "0.09", "27.00"),
        ("payment_processing", "0.03", "9.00"),
        ("shipping", None, "5.00"),
    ]
    assert (sold["sale"]["payout"], sold["profit"], sold["fees_estimated"]) == ("259.00", "79.00", True)
    with db_session(cli) as session:
        sale = session.scalars(select(Sale)).one()
        assert (sale.fees_total, sale.payout, sale.inventory_item_id) == (
            Decimal("41.00"),
            Decimal("259.00"),
            1,
        )
        assert [f.kind for f in sale.fees] == ["transaction", "processing", "shipping"]


def test_sell_refuses_bad_input_and_writes_nothing(cli: Cli) -> None:
    _add(cli, "--date", ago(10))
    for args, code, message in [
        (["--price", "0"], 2, "price must be more than zero"),
        (["--price", "100", "--fees", "150"], 2, "more than the price"),
        (["--price", "100", "--date", ago(11)], 2, "before the purchase date"),
        (["--price", "100", "--date", "2999-01-01"], 2, "sale date 2999-01-01 is in the future"),
        (["--price", "100", "--currency", "ZZZ"], 2, "unknown currency code"),
        (["--price", "100", "--platform", "my shop!"], 2, "use a short name"),
    ]:
        platform = [] if "--platform" in args else ["--platform", "local"]
        result = cli("inventory", "sell", "1", *args, *platform)
        assert (result.exit_code, message in result.stderr) == (code, True), result.stderr
    assert cli("inventory", "sell", "2", "--price", "100", "--platform", "local").exit_code == 1
    assert ok(cli, "inventory", "list")[0]["status"] == "in_stock"
    ok(cli, "inventory", "sell", "1", "--price", "100", "--platform", "local")
    again = cli("inventory", "sell", "1", "--price", "100", "--platform", "local")
    assert again.exit_code == 2 and "pair 1 is sold" in again.stderr


def test_show_tells_the_whole_story(cli: Cli) -> None:
    ok(cli, "supplier", "add", "SNKRS", "--kind", "raffle")
    _add(cli, "--date", ago(30), "--supplier", "SNKRS", "--location", "Shelf A", "--notes", "raffle win")
    with db_session(cli) as session:
        listing = Listing(
            platform="stockx",
            external_id="L-1",
            inventory_item_id=1,
            amount=Decimal("320"),
            currency="USD",
            status="ACTIVE",
            created_at=datetime(2024, 5, 1, tzinfo=UTC),
        )
        session.add(listing)
        session.flush()
        session.add_all(
            ListingEvent(
                listing_id=listing.id,
                inventory_item_id=1,
                action=action,
                old_status=before,
                new_status="active",
                old_amount=old,
                new_amount=new,
                currency="USD",
                status="done",
                created_at=datetime(2024, 5, day, tzinfo=UTC),
            )
            for action, before, old, new, day in [
                ("create", None, None, Decimal("320"), 1),
                ("price", "active", Decimal("320"), Decimal("299"), 3),
            ]
        )
    sold = cli("inventory", "sell", "1", "--price", "299", "--platform", "stockx", "--json")
    assert "listing(s) 1 still ask for this pair" in sold.stderr
    story = ok(cli, "inventory", "show", "1")
    sale = json.loads(sold.stdout)["sale"]
    assert story == {
        "id": 1,
        "status": "sold",
        "product_id": 1,
        "sku": "DM7866-200",
        "name": None,
        "brand": None,
        "size": "10",
        "condition": "new",
        "box": "good",
        "location": "Shelf A",
        "notes": "raffle win",
        "purchase": {
            "date": ago(30),
            "cost": "180.00",
            "currency": "USD",
            "supplier_id": 1,
            "supplier": "SNKRS",
            "source": "manual",
            "import_batch_id": None,
        },
        "listings": [
            {
                "id": 1,
                "platform": "stockx",
                "external_id": "L-1",
                "status": "ACTIVE",
                "amount": "320.00",
                "currency": "USD",
                "created_at": "2024-05-01T00:00:00Z",
            },
        ],
        "events": [
            {
                "at": "2024-05-01T00:00:00Z",
                "listing_id": 1,
                "action": "create",
                "old_status": None,
                "new_status": "active",
                "old_amount": None,
                "new_amount": "320.00",
                "currency": "USD",
                "status": "done",
                "actor": "cli",
                "message": None,
            },
            {
                "at": "2024-05-03T00:00:00Z",
                "listing_id": 1,
                "action": "price",
                "old_status": "active",
                "new_status": "active",
                "old_amount": "320.00",
                "new_amount": "299.00",
                "currency": "USD",
                "status": "done",
                "actor": "cli",
                "message": None,
            },
        ],
        "sale": sale,
        "profit": "78.12",
        "roi_pct": "43.4",
        "profit_note": None,
        "days_in_stock": 30,
    }
    assert sale["payout"] == "258.12" and sale["sold_at"].endswith("Z")
    table = cli("inventory", "show", "1")
    assert table.exit_code == 0
    for text in ("from SNKRS (manual)", "Listing history", "payment_processing", "78.12 USD (43.4%)"):
        assert text in table.stdout


def test_show_unsold_and_unknown(cli: Cli) -> None:
    _add(cli, "--date", ago(4))
    story = ok(cli, "inventory", "show", "1")
    assert (story["sale"], story["profit"], story["profit_note"], story["days_in_stock"]) == (
        None,
        None,
        "not sold",
        4,
    )
    missing = cli("inventory", "show", "2")
    assert missing.exit_code == 1 and "no pair with ID 2" in missing.stderr
