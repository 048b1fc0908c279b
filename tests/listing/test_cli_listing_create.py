"""`soleflip listing create` end to end against the fake StockX, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from tests.conftest import Cli
from tests.fake_stockx import FakeStockX
from tests.fake_stockx.fixtures import find_variant
from tests.listing.helpers import SKU, add_pairs, events, listings, pair_statuses, run

CREATES = "/v2/selling/listings"
BATCH = "/v2/selling/batch/create-listing"


def test_preview_create_one_then_an_idempotent_rerun(cli: Cli, stockx: FakeStockX, engine_of: Engine) -> None:
    [pair] = add_pairs(engine_of, "10")
    stockx.op_polls_to_complete = 2
    preview, rows = run(cli, "listing", "create", str(pair), "--price", "250")
    assert preview.exit_code == 2 and "pass --yes" in preview.stderr
    assert rows == [
        {
            "item_id": pair,
            "pair": "Nike Dunk Low Panda",
            "sku": SKU,
            "size": "10",
            "cost": "100.00",
            "cost_currency": "USD",
            "ask": "250.00",
            "currency": "USD",
            "floor": "127.00",
            "payout": "215.00",
            "profit": "115.00",
            "listing": None,
            "status": "would_create",
            "message": "price 250 given",
        }
    ]
    assert stockx.count("/v2/") == 0

    done, rows = run(cli, "listing", "create", str(pair), "--price", "250", "--yes")
    assert done.exit_code == 0, done.stderr
    [row] = rows
    remote = stockx.listings[row["listing"]]
    assert (row["status"], row["message"]) == ("created", "live ask; price 250 given")
    assert (remote.status, remote.amount, remote.variant.size) == ("ACTIVE", Decimal(250), "10")
    assert stockx.count(CREATES, "POST") == 1
    assert stockx.count(f"{CREATES}/{row['listing']}/operations/", "GET") == 2  # polled to its end
    assert "1 created;" in done.stderr and "0 rate-limited" in done.stderr
    assert listings(engine_of) == [(row["listing"], pair, "active", Decimal("250.00"))]
    assert pair_statuses(engine_of, [pair]) == ["listed"]
    assert events(engine_of) == [
        ("create", pair, None, "active", Decimal("250.00"), "succeeded", "listing create")
    ]

    before = stockx.count("/v2/")
    again, rows = run(cli, "listing", "create", str(pair), "--price", "240", "--yes")
    assert again.exit_code == 0 and "Nothing to list (1 skipped)." in again.stderr
    assert [(r["status"], r["listing"]) for r in rows] == [("skipped", remote.listing_id)]
    assert rows[0]["message"] == "already listed: listing 1 (active)"
    every, rows = run(cli, "listing", "create", "--all-in-stock", "--suggested", "--yes")
    assert every.exit_code == 0 and rows == [] and "Nothing to list." in every.stderr
    assert stockx.count("/v2/") == before


def test_many_pairs_go_in_one_batch_and_a_failed_item_is_reported(
    cli: Cli, stockx: FakeStockX, engine_of: Engine
) -> None:
    pairs = add_pairs(engine_of, "9", 3) + add_pairs(engine_of, "10", 3)
    stockx.batch_polls_to_complete = 3
    stockx.fail_batch_items([4], "Ask amount is below the minimum for this product")
    result, rows = run(cli, "listing", "create", *map(str, pairs), "--price", "300", "--yes")
    assert result.exit_code == 3
    assert (
        "1 listings failed or are still pending" in result.stderr and "5 created, 1 failed" in result.stderr
    )
    assert [r["status"] for r in rows] == ["created"] * 4 + ["failed", "created"]
    assert (
        rows[4]["message"] == "Ask amount is below the minimum for this product"
        and rows[4]["listing"] is None
    )
    assert stockx.count(BATCH, "POST") == 1 and stockx.count(CREATES, "POST") == 0
    assert stockx.count(BATCH + "/", "GET") == 4  # 3 status polls, then the items
    assert {stockx.listings[r["listing"]].status for r in rows if r["listing"]} == {"ACTIVE"}
    assert pair_statuses(engine_of, pairs) == ["listed"] * 4 + ["in_stock", "listed"]
    assert [e[5] for e in events(engine_of)] == ["succeeded"] * 4 + ["failed", "succeeded"]

    retry, rows = run(cli, "listing", "create", "--all-in-stock", "--price", "300", "--yes")
    assert retry.exit_code == 0, retry.stderr
    assert [(r["item_id"], r["status"]) for r in rows] == [(pairs[4], "created")]
    assert stockx.count(CREATES, "POST") == 1 and len(stockx.listings) == 6


def test_429_during_a_batch_is_waited_out(cli: Cli, stockx: FakeStockX, engine_of: Engine) -> None:
    pairs = add_pairs(engine_of, "11", 5)
    stockx.inject("429", count=2, retry_after=0.05, path=BATCH)
    result, rows = run(cli, "listing", "create", "--all-in-stock", "--price", "280", "--yes")
    assert result.exit_code == 0, result.stderr
    assert [r["status"] for r in rows] == ["created"] * 5
    assert "5 created;" in result.stderr and "2 rate-limited" in result.stderr
    assert stockx.rate_limited == 2 and len(stockx.listings) == 5
    assert pair_statuses(engine_of, pairs) == ["listed"] * 5


def test_floor_refusal_and_suggested_asks(cli: Cli, stockx: FakeStockX, engine_of: Engine) -> None:
    cheap = add_pairs(engine_of, "8", cost="200")[0]
    suggested = add_pairs(engine_of, "12", market="260")[0]
    unpriced = add_pairs(engine_of, "13")[0]
    result, rows = run(cli, "listing", "create", str(cheap), "--price", "150", "--yes")
    assert result.exit_code == 0 and "Nothing to list (1 refused)." in result.stderr
    assert (rows[0]["status"], rows[0]["message"]) == (
        "refused",
        "150.00 is below the floor 247.00 (cost + fees + minimum margin)",
    )
    assert stockx.count("/v2/") == 0

    result, rows = run(cli, "listing", "create", "--all-in-stock", "--suggested", "--yes")
    assert result.exit_code == 0, result.stderr
    by_pair = {r["item_id"]: r for r in rows}
    assert (by_pair[cheap]["status"], by_pair[cheap]["message"]) == (
        "skipped",
        "no market data for this size; run `soleflip sync stockx --market`",
    )
    assert by_pair[unpriced]["status"] == "skipped"
    assert (by_pair[suggested]["status"], by_pair[suggested]["ask"]) == ("created", "259.00")
    assert by_pair[suggested]["message"] == "live ask; beat-lowest: lowest ask 260.00 - 1"
    assert stockx.listings[by_pair[suggested]["listing"]].amount == 259


def test_inactive_listing_with_expiry_in_another_currency(
    cli: Cli, stockx: FakeStockX, engine_of: Engine
) -> None:
    [pair] = add_pairs(engine_of, "9.5", cost="120", currency="EUR")
    args = ("listing", "create", str(pair), "--price", "260", "--inactive", "--expires-days", "30")
    result, rows = run(cli, *args, "--currency", "eur", "--yes")
    assert result.exit_code == 0, result.stderr
    remote = stockx.listings[rows[0]["listing"]]
    assert (remote.status, remote.currency, remote.amount) == ("INACTIVE", "EUR", Decimal(260))
    assert remote.expires_at is not None
    assert abs(remote.expires_at - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    assert (rows[0]["message"], rows[0]["currency"]) == (
        "inactive listing (no live ask); price 260 given",
        "EUR",
    )
    assert pair_statuses(engine_of, [pair]) == ["in_stock"]  # listed means a live ask
    assert events(engine_of)[0][2:4] == (None, "inactive")
    usd, rows = run(cli, "listing", "create", "--all-in-stock", "--price", "260", "--yes")
    assert usd.exit_code == 0 and [r["status"] for r in rows] == ["skipped"]  # in stock, listed inactive


def test_a_failed_create_operation_keeps_stockx_message(
    cli: Cli, stockx: FakeStockX, engine_of: Engine
) -> None:
    [pair] = add_pairs(engine_of, "7")
    stockx.fail_operations("Ask amount is below the minimum")
    result, rows = run(cli, "listing", "create", str(pair), "--price", "200", "--yes")
    assert result.exit_code == 3
    assert rows[0]["status"] == "failed"
    assert rows[0]["message"] == "Ask amount is below the minimum (the listing is inactive on StockX)"
    assert listings(engine_of) == [(rows[0]["listing"], pair, "inactive", Decimal("200.00"))]
    again, rows = run(cli, "listing", "create", str(pair), "--price", "210", "--yes")
    assert again.exit_code == 0
    assert (
        rows[0]["message"]
        == "already listed: listing 1 (inactive); `soleflip listing activate 1` puts it live"
    )


def test_timeout_then_the_reread_finds_the_listing(cli: Cli, stockx: FakeStockX, engine_of: Engine) -> None:
    [pair] = add_pairs(engine_of, "10.5")
    # The first /selling/listings request is the re-read of open listings; the second, the create,
    # stalls past the client's timeout and is still applied by StockX.
    stockx.inject("delay", seconds=1.5, path=CREATES, after=1)
    result, rows = run(
        cli,
        "listing",
        "create",
        str(pair),
        "--price",
        "230",
        "--yes",
        env={"SOLEFLIP_STOCKX__TIMEOUT_S": "0.5"},
    )
    assert result.exit_code == 0, result.stderr
    assert (rows[0]["status"], rows[0]["message"]) == (
        "created",
        "found on StockX after the request went unanswered; price 230 given",
    )
    variant = find_variant(stockx, SKU, "10.5")
    assert [x.listing_id for x in stockx.listings.values() if x.variant is variant] == [rows[0]["listing"]]
    assert stockx.count(CREATES, "POST") == 1
    assert pair_statuses(engine_of, [pair]) == ["listed"]


@pytest.mark.slow
def test_unanswered_create_is_never_resent_blindly(cli: Cli, stockx: FakeStockX, engine_of: Engine) -> None:
    [pair] = add_pairs(engine_of, "11.5")
    stockx.inject("reset", path=CREATES, after=1)  # the create is lost before StockX sees it
    lost, rows = run(cli, "listing", "create", str(pair), "--price", "240", "--yes")
    assert lost.exit_code == 3 and rows[0]["status"] == "pending"
    assert "re-reads the listings before sending it again" in rows[0]["message"]

    soon, rows = run(cli, "listing", "create", str(pair), "--price", "240", "--yes")
    assert soon.exit_code == 3
    assert (
        rows[0]["message"]
        == "an earlier create's outcome is still unknown; the next run re-reads StockX first"
    )
    assert stockx.count(CREATES, "POST") == 1

    with engine_of.begin() as conn:  # ten minutes later
        conn.execute(
            text("UPDATE listing_events SET created_at = :at"),
            {"at": datetime.now(UTC) - timedelta(minutes=10)},
        )
    later, rows = run(cli, "listing", "create", str(pair), "--price", "240", "--yes")
    assert later.exit_code == 0, later.stderr
    assert rows[0]["status"] == "created" and len(stockx.listings) == 1
    assert stockx.count(CREATES, "POST") == 2
    assert [(e[0], e[5]) for e in events(engine_of)] == [("create", "failed"), ("create", "succeeded")]


def test_the_batch_item_budget_holds_across_runs(cli: Cli, stockx: FakeStockX, engine_of: Engine) -> None:
    env = {"SOLEFLIP_STOCKX__BATCH_ITEMS_PER_WINDOW": "5", "SOLEFLIP_STOCKX__BATCH_WINDOW_S": "3"}
    add_pairs(engine_of, "12.5", 5)
    first, _ = run(cli, "listing", "create", "--all-in-stock", "--price", "250", "--yes", env=env)
    assert first.exit_code == 0, first.stderr
    add_pairs(engine_of, "12.5", 5)
    started = time.monotonic()  # the fake server logs requests on this clock
    second, rows = run(cli, "listing", "create", "--all-in-stock", "--price", "250", "--yes", env=env)
    assert second.exit_code == 0, second.stderr
    submits = [r.at for r in stockx.log if r.method == "POST" and r.path == BATCH]
    assert len(submits) == 2
    if started - submits[0] < 2:  # the second run began well inside the window: it had to wait
        assert "Waiting" in second.stderr and "batch item budget (5 items per 3 s)" in second.stderr
    # The budget is counted from before the first request went out: a loaded machine may deliver it late.
    assert submits[1] - submits[0] >= 2.5
    assert [r["status"] for r in rows] == ["created"] * 5


def test_usage_errors(cli: Cli, engine_of: Engine) -> None:
    add_pairs(engine_of, "10")
    cases = [
        ((), 2, "choose the pairs: pair ids or --all-in-stock"),
        (("1", "--all-in-stock", "--price", "200"), 2, "give pair ids or --all-in-stock, not both"),
        (("1",), 2, "give --price P or --suggested"),
        (("1", "--price", "200", "--suggested"), 2, "give --price P or --suggested"),
        (("1", "--price", "200.50"), 2, "--price 200.50: StockX asks are whole currency units"),
        (("1", "--price", "-3"), 2, "--price: must be a positive amount"),
        (("1", "--price", "200", "--currency", "dollars"), 2, "--currency:"),
        (("99", "--price", "200"), 1, "no pair with id 99"),
    ]
    for args, code, message in cases:
        result = cli("listing", "create", *args, "--yes")
        assert (result.exit_code, result.stdout) == (code, ""), (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
