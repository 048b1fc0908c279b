"""The batch item budget: items per window and per day, waited out, persisted between runs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from soleflip_cli.clients.stockx import NewListing
from soleflip_cli.clients.stockx.limits import ItemBudget
from soleflip_cli.errors import ApiError
from soleflip_cli.secrets import open_store
from tests.clients.stockx_mock import API, FakeClock, ScriptedApi, make_client, reply, seed_store

QUEUED = {"batchId": "b1", "status": "QUEUED", "totalItems": 1, "itemStatuses": {"queued": 1}}


def budget(clock: FakeClock, state: Path | None = None, **limits: float) -> ItemBudget:
    values = {"per_window": 10, "window_s": 300, "per_day": 25} | limits
    return ItemBudget(
        per_window=int(values["per_window"]),
        window_s=values["window_s"],
        per_day=int(values["per_day"]),
        clock=clock,
        state_file=state,
    )


def test_items_wait_for_the_oldest_submissions_to_leave_the_window() -> None:
    clock = FakeClock()
    items = budget(clock)
    items.take(6)
    clock.advance(100)
    items.take(4)
    assert items.wait_for(1) == pytest.approx(200)  # the 6 of t=0 leave at t=300
    assert items.wait_for(7) == pytest.approx(300)  # the 4 of t=100 must leave too
    clock.advance(50)
    items.take(3)
    assert clock.sleeps == [pytest.approx(150)]
    assert items.wait_for(3) == 0 and items.used_today == 13


def test_a_batch_larger_than_the_window_and_the_daily_budget_are_errors() -> None:
    clock = FakeClock(datetime(2026, 11, 1, 23, 0, tzinfo=UTC))
    items = budget(clock)
    with pytest.raises(ApiError, match="exceeds StockX's budget of 10 items per 300 s"):
        items.wait_for(11)
    for _ in range(3):
        items.take(8)
        clock.advance(301)
    with pytest.raises(ApiError, match="daily batch budget of 25 items is used up") as info:
        items.take(2)
    assert info.value.status == 429
    clock.advance(3600)  # past 00:00 UTC
    items.take(2)
    assert items.used_today == 2


def test_usage_persists_between_runs(tmp_path: Path) -> None:
    state = tmp_path / "items.json"
    clock = FakeClock()
    budget(clock, state).take(9)
    clock.advance(60)
    second = budget(clock, state)
    assert second.used_today == 9
    assert second.wait_for(2) == pytest.approx(240)
    state.write_text("{not json", encoding="utf-8")
    assert budget(clock, state).wait_for(10) == 0  # an unreadable file only loses the history


def test_the_client_counts_batch_items_before_submitting(tmp_path: Path) -> None:
    store = open_store(tmp_path, None)
    seed_store(store)
    api = ScriptedApi()
    api.on("POST", API + "/selling/batch/create-listing", reply(200, QUEUED))
    api.on("POST", API + "/selling/batch/delete-listing", reply(200, QUEUED))
    clock = FakeClock()
    overrides = {"batch_items_per_window": 5, "batch_window_s": 60}
    with make_client(api, store, clock, tmp_path, **overrides) as client:
        client.create_listings_batch([NewListing("v1", Decimal(100), quantity=3)])
        client.delete_listings_batch(["l1", "l2", "l3"])
    assert clock.sleeps[-1] == pytest.approx(60)  # 3 + 3 > 5: the delete waited for the window
    with make_client(api, store, clock, tmp_path, **overrides) as again:
        assert again.item_budget is not None and again.item_budget.used_today == 6
