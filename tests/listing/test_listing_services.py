"""Listing services with the real client on the fake StockX: unfinished writes, the next run, findings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.clients.stockx import StockXClient
from soleflip_cli.config import Settings
from soleflip_cli.models import InventoryItem, Listing, ListingEvent
from soleflip_cli.services.listing_change import change_listings
from soleflip_cli.services.listing_create import create_listings
from soleflip_cli.services.listing_plan import CreateRequest, plan_create
from soleflip_cli.services.listing_reconcile import find_problems
from soleflip_cli.services.listing_settle import pending_writes, settle_pending
from soleflip_cli.services.price import pricing_policy
from tests.fake_stockx import FakeStockX
from tests.fake_stockx import add_listing as remote_listing
from tests.pricing_data import add_listing, add_pair, stockx_client

POLICY = pricing_policy(Settings())


def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def client(fake_stockx: FakeStockX, tmp_path: Path) -> Iterator[StockXClient]:
    with stockx_client(fake_stockx, tmp_path) as api:
        yield api


def settle(session: Session, client: StockXClient) -> int:
    now = datetime.now(UTC)
    return settle_pending(session, client, now=now, checkpoint=session.commit, sleep=no_sleep, actor="test")


def test_a_batch_still_running_is_finished_by_the_next_run(
    session: Session, client: StockXClient, fake_stockx: FakeStockX
) -> None:
    items = [add_pair(session, size=size) for size in ("8", "9", "10", "11", "12")]
    request = CreateRequest(item_ids=tuple(i.id for i in items), price=D(300))
    fake_stockx.batch_polls_to_complete = 10_000
    plan = plan_create(session, request, POLICY, {})
    results = create_listings(session, client, plan, request, checkpoint=session.commit, sleep=no_sleep)
    assert {r.status for r in results} == {"pending"}
    assert results[0].message.startswith("batch still IN_PROGRESS")
    assert pending_writes(session) == 5 and session.scalars(select(Listing)).all() == []
    again = plan_create(session, request, POLICY, {})
    assert {r.status for r in again} == {"pending"}  # never a second ask while the first is unknown

    fake_stockx.settle()
    assert settle(session, client) == 5
    assert pending_writes(session) == 0
    assert {item.status for item in session.scalars(select(InventoryItem))} == {"listed"}
    assert (
        len(fake_stockx.listings) == 5 and fake_stockx.count("/v2/selling/batch/create-listing", "POST") == 1
    )


def test_a_status_change_still_running_is_finished_by_the_next_run(
    session: Session, client: StockXClient, fake_stockx: FakeStockX
) -> None:
    item = add_pair(session, status="listed")
    theirs = remote_listing(fake_stockx, "DD1391-100", "10", 250)
    listing = add_listing(session, item, "250", external_id=theirs.listing_id, status="active")
    fake_stockx.op_polls_to_complete = 10_000
    [outcome] = change_listings(
        session, client, [listing], "deactivate", checkpoint=session.commit, sleep=no_sleep, actor="test"
    )
    assert outcome.status == "pending" and outcome.message.startswith("operation still PENDING")
    fake_stockx.settle()
    assert settle(session, client) == 1
    event = session.scalars(select(ListingEvent)).one()
    assert (event.status, event.old_status, event.new_status) == ("succeeded", "active", "inactive")
    assert listing.status == "inactive" and item.status == "in_stock"
    assert fake_stockx.listings[theirs.listing_id].status == "INACTIVE"


def test_an_unanswered_status_change_is_checked_against_the_listing(
    session: Session, client: StockXClient, fake_stockx: FakeStockX
) -> None:
    item = add_pair(session, status="listed")
    theirs = remote_listing(fake_stockx, "DD1391-100", "10", 250)
    listing = add_listing(session, item, "250", external_id=theirs.listing_id, status="active")
    fake_stockx.inject("reset", path=f"/v2/selling/listings/{theirs.listing_id}/deactivate")
    [outcome] = change_listings(
        session, client, [listing], "deactivate", checkpoint=session.commit, sleep=no_sleep, actor="test"
    )
    assert outcome.status == "pending" and "the outcome is unknown" in outcome.message
    assert settle(session, client) == 1
    event = session.scalars(select(ListingEvent)).one()
    assert (event.status, event.message) == (
        "failed",
        "not applied: StockX did not answer and the listing is active",
    )
    assert fake_stockx.count("/v2/selling/listings/", "PUT") == 1  # never re-sent by itself


def test_findings_keep_the_active_listing_of_a_pair_listed_twice(session: Session) -> None:
    item = add_pair(session, status="listed")
    add_listing(session, item, "260", external_id="inactive-one", status="inactive")
    kept = add_listing(session, item, "250", external_id="active-one", status="ACTIVE")
    [finding] = find_problems(session)
    assert (finding.listing, finding.problem, finding.action) == ("inactive-one", "listed_twice", "delete")
    assert finding.message == f"pair {item.id} is already listed by listing {kept.id}"
    assert find_problems(session, deactivate=True) == []  # an inactive extra listing cannot sell
    spare = add_pair(session)
    [moved] = find_problems(session, deactivate=True)
    assert (moved.action, moved.relink_to, moved.ask) == ("relink", spare.id, D("260.00"))
