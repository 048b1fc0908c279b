"""`soleflip listing reconcile` end to end: a sale on eBay or Alias, a pair listed twice, cron safety."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from soleflip_cli.locking import run_lock
from tests.conftest import Cli
from tests.fake_stockx import FakeStockX, add_listing
from tests.importers.conftest import FIXTURES
from tests.listing.helpers import SKU, events, listings, pair_statuses, run

PURCHASES = "SKU,Name,Size,Cost,Currency,Purchase_Date,Quantity\n"
ALIAS = "USERNAME,ORDER_NUMBER,SKU,SIZE,NAME,PRODUCT_PRICE_CENTS_SALE_PRICE,CREDIT_DATE,PURCHASED_DATE\n"


def import_csv(cli: Cli, path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    result = cli("import", "csv", str(path))
    assert result.exit_code == 0, result.stderr


def bought(cli: Cli, tmp_path: Path, size: str, quantity: int) -> None:
    """Pairs of the Panda Dunk bought through a purchases import."""
    import_csv(
        cli,
        tmp_path / f"buy-{size}.csv",
        PURCHASES + f"{SKU},Panda,{size},110.00,USD,2024-03-01,{quantity}\n",
    )


def sold_on_alias(cli: Cli, tmp_path: Path, size: str, order: str) -> None:
    """A sale of that size in an Alias sales report, imported (it consumes the oldest pair)."""
    row = f"me,{order},DD1391 100,{size},Nike Dunk Low Panda,240,20/12/24,18/12/24\n"
    import_csv(cli, tmp_path / f"alias-{order}.csv", ALIAS + row)


def test_a_pair_sold_through_an_ebay_import_is_taken_off_stockx(
    cli: Cli, stockx: FakeStockX, engine_of: Engine, tmp_path: Path
) -> None:
    bought(cli, tmp_path, "10", 1)
    created, rows = run(cli, "listing", "create", "--all-in-stock", "--price", "250", "--yes")
    assert created.exit_code == 0, created.stderr
    remote = rows[0]["listing"]
    clean, found = run(cli, "listing", "reconcile")
    assert (clean.exit_code, found) == (0, [])

    ebay = cli("import", "csv", str(FIXTURES / "ebay-orders.csv"))  # order 12-11111-11111: Panda, US 10
    assert ebay.exit_code == 0 and "1 sales matched to pairs in stock" in " ".join(ebay.stderr.split())
    assert pair_statuses(engine_of, [1]) == ["sold"]
    report, found = run(cli, "listing", "reconcile")
    assert report.exit_code == 3
    assert "1 StockX listings could sell a pair twice" in report.stderr and "--yes" in report.stderr
    assert found == [
        {
            "id": 1,
            "listing": remote,
            "status": "active",
            "item_id": 1,
            "pair": "Panda",
            "sku": SKU,
            "size": "10",
            "pair_status": "sold",
            "ask": "250.00",
            "currency": "USD",
            "problem": "pair_sold",
            "action": "delete",
            "relink_to": None,
            "result": "found",
            "message": "pair 1 is sold",
        }
    ]
    assert stockx.count("/v2/selling/listings/", "DELETE") == 0

    fixed, found = run(cli, "listing", "reconcile", "--yes")
    assert fixed.exit_code == 0, fixed.stderr
    assert [(f["result"], f["message"]) for f in found] == [("deleted", "pair_sold: pair 1 is sold")]
    assert stockx.listings[remote].status == "DELETED"
    assert listings(engine_of)[0][2] == "deleted" and pair_statuses(engine_of, [1]) == ["sold"]
    assert events(engine_of)[-1][:4] == ("delete", 1, "active", "deleted")
    assert events(engine_of)[-1][5:] == ("succeeded", "listing reconcile")
    again, found = run(cli, "listing", "reconcile", "--yes")
    assert (again.exit_code, found) == (0, [])


def test_an_ask_moves_to_a_free_pair_and_extra_asks_come_down(
    cli: Cli, stockx: FakeStockX, engine_of: Engine, tmp_path: Path
) -> None:
    bought(cli, tmp_path, "9", 2)
    created, rows = run(cli, "listing", "create", "1", "--price", "250", "--yes")
    assert created.exit_code == 0, created.stderr
    remote = rows[0]["listing"]
    sold_on_alias(cli, tmp_path, "9", "200000002")  # consumes pair 1, the listed one
    report, found = run(cli, "listing", "reconcile")
    assert report.exit_code == 3
    assert [(f["problem"], f["action"], f["relink_to"]) for f in found] == [("pair_sold", "relink", 2)]
    fixed, found = run(cli, "listing", "reconcile", "--yes")
    assert fixed.exit_code == 0 and found[0]["result"] == "relinked"
    assert found[0]["message"] == "pair_sold: the ask now sells pair 2 instead of pair 1"
    assert listings(engine_of) == [(remote, 2, "active", listings(engine_of)[0][3])]
    assert pair_statuses(engine_of, [1, 2]) == ["sold", "listed"]
    assert stockx.listings[remote].status == "ACTIVE"

    extra = add_listing(stockx, SKU, "9", 245)  # listed again by hand on StockX: one pair, two asks
    report, found = run(cli, "listing", "reconcile", "--deactivate")
    assert report.exit_code == 3
    assert [(f["listing"], f["problem"], f["action"]) for f in found] == [
        (extra.listing_id, "no_free_pair", "deactivate")
    ]
    fixed, found = run(cli, "listing", "reconcile", "--deactivate", "--yes")
    assert fixed.exit_code == 0 and found[0]["result"] == "deactivated"
    assert (stockx.listings[extra.listing_id].status, stockx.listings[remote].status) == (
        "INACTIVE",
        "ACTIVE",
    )
    quiet, found = run(cli, "listing", "reconcile", "--deactivate")
    assert (quiet.exit_code, found) == (0, [])  # an inactive extra listing cannot sell
    strict, found = run(cli, "listing", "reconcile", "--yes")
    assert strict.exit_code == 0 and [(f["problem"], f["result"]) for f in found] == [
        ("no_free_pair", "deleted")
    ]
    assert stockx.listings[extra.listing_id].status == "DELETED"


def test_reconcile_is_cron_safe(cli: Cli, stockx: FakeStockX, engine_of: Engine) -> None:
    with run_lock(engine_of, "sync"):
        locked = cli("listing", "reconcile", "--yes")
    assert locked.exit_code == 5 and "another soleflip sync (pid " in locked.stderr
    assert stockx.count("/v2/") == 0
