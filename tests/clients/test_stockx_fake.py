"""The real StockX client end to end against the fake StockX server (real HTTP on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from soleflip_cli.clients.stockx import NewListing, StockXClient, build_client
from soleflip_cli.clients.stockx.limits import Clock, SystemClock
from soleflip_cli.clients.stockx.tokens import REFRESH_TOKEN, stored_access_token
from soleflip_cli.config import StockXSettings
from soleflip_cli.errors import ApiError, AuthError
from soleflip_cli.secrets import SecretStore, open_store
from tests.clients.stockx_mock import FakeClock
from tests.fake_stockx import FakeStockX, add_listing, add_orders, find_variant


@pytest.fixture
def store(fake_stockx: FakeStockX, tmp_path: Path) -> SecretStore:
    store = open_store(tmp_path, None)
    store.set(REFRESH_TOKEN, fake_stockx.issue_refresh_token())
    return store


def connect(
    fake: FakeStockX, store: SecretStore, clock: Clock | None = None, **overrides: object
) -> StockXClient:
    values: dict[str, object] = {
        "api_url": fake.api_url,
        "auth_url": fake.auth_url,
        "api_key": fake.api_key,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "requests_per_second": 50,
        "timeout_s": 5,
        **overrides,
    }
    return build_client(StockXSettings(**values), store, state_dir=None, clock=clock or FakeClock())


@pytest.fixture
def client(fake_stockx: FakeStockX, store: SecretStore) -> Iterator[StockXClient]:
    with connect(fake_stockx, store) as api:
        yield api


def test_expired_token_is_refreshed_and_the_call_retried(
    client: StockXClient, fake_stockx: FakeStockX, store: SecretStore
) -> None:
    client.search_catalog("dunk")
    first = stored_access_token(store)
    fake_stockx.expire_access_tokens()
    assert client.search_catalog("dunk").count == 1
    second = stored_access_token(store)
    assert first is not None and second is not None and first.value != second.value
    assert fake_stockx.grants["refresh_token"] == 2
    assert fake_stockx.statuses[401] == 1


def test_revoked_refresh_token_is_exit_4(client: StockXClient, fake_stockx: FakeStockX) -> None:
    fake_stockx.revoke_refresh_tokens()
    with pytest.raises(AuthError, match="invalid_grant"):
        client.search_catalog("dunk")


@pytest.mark.parametrize("retry_after", [0.2, None])
def test_429_then_success(client: StockXClient, fake_stockx: FakeStockX, retry_after: float | None) -> None:
    fake_stockx.inject("429", count=2, retry_after=retry_after)
    assert client.search_catalog("dunk").count == 1
    assert (client.stats.requests, client.stats.rate_limited) == (3, 2)


def test_5xx_and_connection_resets_are_retried(client: StockXClient, fake_stockx: FakeStockX) -> None:
    fake_stockx.inject("status", status=503)
    fake_stockx.inject("reset")
    assert client.search_catalog("dunk").count == 1
    assert client.stats.requests == 3


def test_persistent_500_is_a_clear_error(fake_stockx: FakeStockX, store: SecretStore) -> None:
    fake_stockx.inject("status", count=10, status=500)
    with connect(fake_stockx, store, max_retries=2) as api, pytest.raises(ApiError, match="after 3 attempts"):
        api.search_catalog("dunk")


def test_timeout_is_retried(fake_stockx: FakeStockX, store: SecretStore) -> None:
    fake_stockx.inject("delay", seconds=1.5)
    with connect(fake_stockx, store, timeout_s=0.5) as api:
        assert api.search_catalog("dunk").count == 1
        assert api.stats.requests == 2


def test_bot_protection(client: StockXClient, fake_stockx: FakeStockX) -> None:
    fake_stockx.inject("bot")
    with pytest.raises(ApiError, match="bot protection") as info:
        client.search_catalog("dunk")
    assert not isinstance(info.value, AuthError)


def test_paced_client_never_trips_the_servers_rate_limit(fake_stockx: FakeStockX, store: SecretStore) -> None:
    fake_stockx.rate_limit = 10
    with connect(fake_stockx, store, clock=SystemClock(), requests_per_second=10) as api:
        for _ in range(15):
            api.get_variants(find_variant(fake_stockx, "HQ4540", "9").product_id)
        assert (api.stats.requests, api.stats.rate_limited) == (15, 0)
    assert fake_stockx.rate_limited == 0


def test_order_history_pages_and_detail(client: StockXClient, fake_stockx: FakeStockX) -> None:
    add_orders(fake_stockx, 7, list_payout=False)
    first = client.get_order_history(page_size=5, from_date=date(2025, 1, 1))
    second = client.get_order_history(page_size=5, page_number=2, from_date=date(2025, 1, 1))
    assert (first.count, first.has_next_page, len(first.orders)) == (7, True, 5)
    assert (second.has_next_page, len(second.orders)) == (False, 2)
    order = first.orders[0]
    assert order.payout is None and order.created_at is not None and order.created_at.tzinfo is not None
    detail = client.get_order(order.order_number)
    assert detail.payout is not None and detail.payout.adjustments
    total = sum((a.amount or Decimal(0) for a in detail.payout.adjustments), Decimal(0))
    assert detail.payout.total_adjustments == total


def test_listing_create_and_operation(client: StockXClient, fake_stockx: FakeStockX) -> None:
    variant = find_variant(fake_stockx, "DD1391-100", "10")
    operation = client.create_listing(variant.variant_id, Decimal("199.00"), currency_code="USD")
    assert operation.operation_status == "PENDING" and operation.operation_type == "CREATE"
    done = client.get_operation(operation.listing_id, operation.operation_id)
    assert done.operation_status == "SUCCEEDED"
    listing = client.get_listing(operation.listing_id)
    assert listing.amount == Decimal("199") and listing.status == "ACTIVE" and listing.payout is not None
    page = client.get_listings(listing_statuses=["ACTIVE"], product_ids=[variant.product_id])
    assert [item.listing_id for item in page.listings] == [operation.listing_id]
    deactivated = client.deactivate_listing(operation.listing_id)
    assert deactivated.operation_type == "DEACTIVATE"


def test_batch_create_status_and_items(client: StockXClient, fake_stockx: FakeStockX) -> None:
    variant = find_variant(fake_stockx, "BB550WT1", "9")
    fake_stockx.fail_batch_items([1])
    batch = client.create_listings_batch(
        [
            NewListing(variant.variant_id, Decimal("150"), quantity=2),
            NewListing(variant.variant_id, Decimal("1")),
        ]
    )
    status = client.get_batch("create", batch.batch_id)
    assert status.status == "COMPLETED"
    items = client.get_batch_items("create", batch.batch_id)
    assert sorted(item.status or "" for item in items) == [
        "COMPLETED",
        "COMPLETED",
        "FAILED",
    ]  # quantity 2 + 1
    failed = client.get_batch_items("create", batch.batch_id, status="FAILED")
    assert len(failed) == 1 and failed[0].error


def test_existing_listing_and_market_data(client: StockXClient, fake_stockx: FakeStockX) -> None:
    listing = add_listing(fake_stockx, "DZ5485-612", "10", 250)
    assert client.get_listing(listing.listing_id).amount == Decimal("250")
    product_id = listing.variant.product_id
    market = client.get_product_market_data(product_id, currency_code="USD")
    assert len(market) == 13 and all(m.currency_code == "USD" for m in market)
    one = client.get_variant_market_data(product_id, listing.variant.variant_id)
    assert one.lowest_ask_amount is not None
