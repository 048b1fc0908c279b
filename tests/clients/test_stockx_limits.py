"""One limiter for all StockX calls: pace, daily budget reset at 00:00 UTC, persisted between runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soleflip_cli.clients.stockx.limits import RateLimiter, retry_after_seconds
from soleflip_cli.errors import ApiError
from soleflip_cli.secrets import open_store
from tests.clients.stockx_mock import API, T0, FakeClock, ScriptedApi, make_client, reply, seed_store

EMPTY = {"count": 0, "pageSize": 50, "pageNumber": 1, "hasNextPage": False, "products": []}


@pytest.mark.parametrize(("rps", "gap"), [(1.0, 1.0), (4.0, 0.25)])
def test_requests_are_spaced(tmp_path: Path, rps: float, gap: float) -> None:
    store = open_store(tmp_path, None)
    seed_store(store)
    api = ScriptedApi()
    api.on("GET", API + "/catalog/search", reply(200, EMPTY))
    clock = FakeClock()
    starts: list[float] = []
    api.on(
        "GET",
        API + "/catalog/products/p/variants",
        lambda r: (starts.append(clock.monotonic()), reply(200, []))[1],
    )
    with make_client(api, store, clock, requests_per_second=rps) as client:
        for _ in range(5):
            client.get_variants("p")
    assert [b - a for a, b in zip(starts, starts[1:], strict=False)] == [pytest.approx(gap)] * 4


def test_daily_budget_resets_at_midnight_utc(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 1, 23, 59, 50, tzinfo=UTC))
    limiter = RateLimiter(requests_per_second=1, daily_budget=3, clock=clock)
    for _ in range(3):
        limiter.acquire()
    with pytest.raises(ApiError) as info:
        limiter.acquire()
    assert "daily budget of 3 requests is used up" in str(info.value) and "00:00 UTC" in str(info.value)
    clock.advance(10)  # 00:00 UTC
    limiter.acquire()
    assert limiter.used_today == 1


def test_budget_and_pace_persist_between_runs(tmp_path: Path) -> None:
    state = tmp_path / "rate.json"
    clock = FakeClock()
    first = RateLimiter(requests_per_second=1, daily_budget=5, clock=clock, state_file=state)
    for _ in range(3):
        first.acquire()
    clock.advance(0.25)
    second = RateLimiter(requests_per_second=1, daily_budget=5, clock=clock, state_file=state)
    assert second.used_today == 3
    before = clock.monotonic()
    second.acquire()
    assert clock.monotonic() - before == pytest.approx(0.75)  # the previous run's last request was 0.25 s ago
    second.acquire()
    with pytest.raises(ApiError):
        second.acquire()
    clock.advance(86400)
    assert RateLimiter(requests_per_second=1, daily_budget=5, clock=clock, state_file=state).used_today == 0


def test_client_persists_its_count_in_the_state_dir(tmp_path: Path) -> None:
    store = open_store(tmp_path, None)
    seed_store(store)
    api = ScriptedApi()
    api.on("GET", API + "/catalog/search", reply(200, EMPTY))
    clock = FakeClock()
    with make_client(api, store, clock, state_dir=tmp_path, daily_budget=2) as client:
        client.search_catalog("a")
        client.search_catalog("b")
    with (
        make_client(api, store, clock, state_dir=tmp_path, daily_budget=2) as client,
        pytest.raises(ApiError),
    ):
        client.search_catalog("c")
    assert len(api.requests) == 2


def test_a_429_holds_every_caller(tmp_path: Path) -> None:
    clock = FakeClock()
    limiter = RateLimiter(requests_per_second=1, daily_budget=10, clock=clock)
    limiter.acquire()
    limiter.hold(30)
    start = clock.monotonic()
    limiter.acquire()
    assert clock.monotonic() - start == pytest.approx(30)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("12", 12.0), ("0", 0.0), (None, None), ("soon", None), ("Sun, 01 Nov 2026 12:00:30 GMT", 30.0)],
)
def test_retry_after_forms(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header, T0) == expected


def test_unreadable_state_file_is_ignored(tmp_path: Path) -> None:
    state = tmp_path / "rate.json"
    state.write_text("{not json")
    limiter = RateLimiter(
        requests_per_second=1, daily_budget=5, clock=FakeClock(T0 + timedelta(hours=1)), state_file=state
    )
    limiter.acquire()
    assert limiter.used_today == 1
