"""`apply_prices` with the real client against the fake StockX, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.clients.stockx import StockXClient
from soleflip_cli.config import Settings
from soleflip_cli.errors import UsageError
from soleflip_cli.models import Listing, ListingEvent
from soleflip_cli.services.price import Selection, pricing_policy
from soleflip_cli.services.price_apply import (
    PriceChange,
    apply_prices,
    pending_changes,
    plan_changes,
    price_history,
    resolve_pending,
)
from tests.fake_stockx import FakeStockX
from tests.pricing_data import listed_on_stockx, stockx_client

POLICY = pricing_policy(Settings(), strategy="match-lowest", min_margin=D(0))
EVERY = Selection(every=True)
PATCHES = "/v2/selling/listings/"


def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def client(fake_stockx: FakeStockX, tmp_path: Path) -> Iterator[StockXClient]:
    with stockx_client(fake_stockx, tmp_path) as api:
        yield api


def run(session: Session, client: StockXClient, **options: object) -> list[PriceChange]:
    plan = plan_changes(session, EVERY, POLICY, {}, **options)  # type: ignore[arg-type]
    return apply_prices(session, client, plan, checkpoint=session.commit, sleep=no_sleep)


def remote_amount(fake: FakeStockX, session: Session, item_id: int) -> D:
    listing = session.scalars(select(Listing).where(Listing.inventory_item_id == item_id)).one()
    return fake.listings[listing.external_id].amount


def test_patch_polls_records_and_a_rerun_applies_nothing_new(
    session: Session, client: StockXClient, fake_stockx: FakeStockX
) -> None:
    fake_stockx.op_polls_to_complete = 2
    moved = listed_on_stockx(session, fake_stockx, "10", "250", "240")
    same = listed_on_stockx(session, fake_stockx, "11", "230", "230")
    preview = plan_changes(session, EVERY, POLICY, {})
    assert [(c.status, c.old_ask, c.new_ask) for c in preview] == [
        ("would_update", D("250.00"), D("240")),
        ("unchanged", D("230.00"), D("230")),
    ]
    results = run(session, client)
    assert [(c.item_id, c.status) for c in results] == [(moved.id, "updated"), (same.id, "unchanged")]
    assert results[0].payout == D("206.20")  # 240 - 21.60 - 7.20 - 5
    assert remote_amount(fake_stockx, session, moved.id) == D("240")
    event = session.scalars(select(ListingEvent)).one()
    assert (event.action, event.old_amount, event.new_amount, event.status) == (
        "price_change",
        D("250.00"),
        D("240.00"),
        "succeeded",
    )
    assert event.operation_id and fake_stockx.count(PATCHES, "PATCH") == 1
    assert fake_stockx.count(PATCHES, "GET") == 2  # polled until SUCCEEDED
    again = run(session, client)
    assert {c.status for c in again} == {"unchanged"}
    assert fake_stockx.count(PATCHES, "PATCH") == 1
    history = price_history(session, sku="DD1391-100")
    assert [(h.item_id, h.old_ask, h.new_ask, h.status) for h in history] == [
        (moved.id, D("250.00"), D("240.00"), "succeeded")
    ]


def test_failed_operation_is_reported_and_nothing_changes_locally(
    session: Session, client: StockXClient, fake_stockx: FakeStockX
) -> None:
    pair = listed_on_stockx(session, fake_stockx, "10", "250", "240")
    fake_stockx.fail_operations("The ask amount is not allowed")
    result = run(session, client)[0]
    assert (result.status, result.message) == ("failed", "The ask amount is not allowed")
    assert session.scalars(select(Listing)).one().amount == D("250.00")
    assert remote_amount(fake_stockx, session, pair.id) == D("250")
    assert session.scalars(select(ListingEvent.status)).all() == ["failed"]


def test_429s_are_waited_out_through_the_limiter(
    session: Session, client: StockXClient, fake_stockx: FakeStockX
) -> None:
    listed_on_stockx(session, fake_stockx, "10", "250", "240")
    fake_stockx.inject("429", count=2, retry_after=0.05, path=PATCHES)
    assert run(session, client)[0].status == "updated"
    assert client.stats.rate_limited == 2 and fake_stockx.rate_limited == 2


def test_many_changes_go_through_one_batch_with_per_item_outcomes(
    session: Session, client: StockXClient, fake_stockx: FakeStockX
) -> None:
    sizes = ["7", "7.5", "8", "8.5", "9", "9.5"]
    pairs = [listed_on_stockx(session, fake_stockx, size, "300", "280") for size in sizes]
    fake_stockx.batch_polls_to_complete = 2
    fake_stockx.fail_batch_items([1], "Listing cannot be updated")
    results = run(session, client)
    assert [c.status for c in results] == ["updated", "failed", "updated", "updated", "updated", "updated"]
    assert results[1].message == "Listing cannot be updated"
    assert fake_stockx.count(PATCHES, "PATCH") == 0
    assert fake_stockx.count("/v2/selling/batch/update-listing", "POST") == 1
    assert remote_amount(fake_stockx, session, pairs[0].id) == D("280")
    assert remote_amount(fake_stockx, session, pairs[1].id) == D("300")
    operations = session.scalars(select(ListingEvent.operation_id)).all()
    assert len(set(operations)) == 1 and operations[0].startswith("batch:")


def test_never_below_the_floor(session: Session, client: StockXClient, fake_stockx: FakeStockX) -> None:
    listed_on_stockx(session, fake_stockx, "10", "150", "100", cost="100")
    change = run(session, client)[0]
    assert (change.status, change.new_ask, change.floor) == ("updated", D("135"), D("120"))  # capped at -10 %
    refused = plan_changes(session, EVERY, POLICY, {}, price=D("119"))[0]
    assert (refused.status, refused.message) == ("refused", "119 is below the floor 120")
    with pytest.raises(UsageError, match="whole currency units"):
        plan_changes(session, EVERY, POLICY, {}, price=D("129.50"))


def test_interrupted_while_polling_resumes_without_resending(
    session: Session, client: StockXClient, fake_stockx: FakeStockX
) -> None:
    listed_on_stockx(session, fake_stockx, "10", "250", "240")
    fake_stockx.op_polls_to_complete = 100

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    plan = plan_changes(session, EVERY, POLICY, {})
    with pytest.raises(KeyboardInterrupt):
        apply_prices(session, client, plan, checkpoint=session.commit, sleep=interrupt)
    event = session.scalars(select(ListingEvent)).one()
    assert event.status == "pending" and event.operation_id
    assert pending_changes(session) == 1
    assert plan_changes(session, EVERY, POLICY, {})[0].status == "would_update"
    fake_stockx.op_polls_to_complete = 1
    assert resolve_pending(session, client, checkpoint=session.commit, sleep=no_sleep) == 1
    assert event.status == "succeeded" and pending_changes(session) == 0
    assert plan_changes(session, EVERY, POLICY, {})[0].status == "unchanged"
    assert fake_stockx.count(PATCHES, "PATCH") == 1


def test_unknown_outcome_is_confirmed_from_the_listing(
    session: Session, fake_stockx: FakeStockX, tmp_path: Path
) -> None:
    listed_on_stockx(session, fake_stockx, "10", "250", "240")
    fake_stockx.inject("delay", seconds=1.5, path=PATCHES)
    with stockx_client(fake_stockx, tmp_path, timeout_s=0.5) as slow:
        result = run(session, slow)[0]
    assert result.status == "pending" and "outcome is unknown" in result.message
    deadline = time.monotonic() + 5
    while fake_stockx.count(PATCHES, "PATCH") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # the fake answers the PATCH after its delay
    with stockx_client(fake_stockx, tmp_path) as client:
        assert resolve_pending(session, client, checkpoint=session.commit, sleep=no_sleep) == 1
    event = session.scalars(select(ListingEvent)).one()
    assert (event.status, session.scalars(select(Listing)).one().amount) == ("succeeded", D("240.00"))
    assert fake_stockx.count(PATCHES, "PATCH") == 1
