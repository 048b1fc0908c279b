"""Small builders for pricing tests: pairs, market observations, listings, StockX sales."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

from sqlalchemy.orm import Session

from soleflip_cli.clients.stockx import StockXClient, build_client
from soleflip_cli.clients.stockx.tokens import REFRESH_TOKEN
from soleflip_cli.config import StockXSettings
from soleflip_cli.models import InventoryItem, Listing, MarketPrice, Sale, SaleFee, Variant
from soleflip_cli.secrets import SecretStore, open_store
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant
from tests.fake_stockx import FakeStockX
from tests.fake_stockx import add_listing as fake_listing

NOW = datetime.now(UTC)


def add_pair(
    session: Session,
    sku: str = "DD1391-100",
    size: str = "10",
    cost: str = "100",
    *,
    currency: str = "USD",
    days: int = 5,
    condition: str = "new",
    box: str | None = "good",
    status: str = "in_stock",
    name: str | None = "Nike Dunk Low Panda",
) -> InventoryItem:
    """One pair bought `days` ago."""
    product = get_or_create_product(session, sku=sku, name=name, brand="Nike")
    variant = get_or_create_variant(session, product, size)
    item = InventoryItem(
        product_id=product.id,
        variant_id=variant.id,
        purchase_price=D(cost),
        purchase_currency=currency,
        purchase_date=NOW.date() - timedelta(days=days),
        condition=condition,
        box_condition=box,
        status=status,
    )
    session.add(item)
    session.flush()
    return item


def add_market(
    session: Session,
    item: InventoryItem,
    lowest_ask: str | None = "200",
    *,
    hours_ago: float = 3,
    source: str = "stockx",
    currency: str = "USD",
    highest_bid: str | None = "180",
    sell_faster: str | None = "190",
    earn_more: str | None = "210",
) -> MarketPrice:
    """A market observation for the pair's size."""
    variant = session.get(Variant, item.variant_id)
    assert variant is not None

    def money(value: str | None) -> D | None:
        return None if value is None else D(value)

    row = MarketPrice(
        product_id=variant.product_id,
        variant_id=variant.id,
        source=source,
        lowest_ask=money(lowest_ask),
        highest_bid=money(highest_bid),
        sell_faster=money(sell_faster),
        earn_more=money(earn_more),
        currency=currency,
        observed_at=NOW - timedelta(hours=hours_ago),
    )
    session.add(row)
    session.flush()
    return row


def add_listing(
    session: Session, item: InventoryItem, amount: str, *, external_id: str = "lst-1", status: str = "ACTIVE"
) -> Listing:
    """A StockX listing of the pair."""
    listing = Listing(
        platform="stockx",
        external_id=external_id,
        inventory_item_id=item.id,
        product_id=item.product_id,
        variant_id=item.variant_id,
        amount=D(amount),
        currency=item.purchase_currency,
        status=status,
    )
    session.add(listing)
    session.flush()
    return listing


def add_stockx_sale(
    session: Session,
    order: str,
    price: str,
    payout: str,
    fees: list[tuple[str, str]],
    *,
    currency: str = "EUR",
    sold: date | None = None,
) -> Sale:
    """A StockX sale with its fee lines (name, amount)."""
    day = sold or NOW.date()
    sale = Sale(
        platform="stockx",
        external_id=order,
        sold_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        sale_price=D(price),
        payout=D(payout),
        currency=currency,
        fees=[SaleFee(name=name, amount=D(amount), currency=currency) for name, amount in fees],
    )
    session.add(sale)
    session.flush()
    return sale


def listed_on_stockx(
    session: Session, fake: FakeStockX, size: str, ask: str, market: str | None, *, cost: str = "100"
) -> InventoryItem:
    """A listed pair of DD1391-100 whose ask also exists on the fake StockX, with a market observation."""
    remote = fake_listing(fake, "DD1391-100", size, ask)
    item = add_pair(session, size=size, cost=cost, status="listed")
    add_listing(session, item, ask, external_id=remote.listing_id)
    if market is not None:
        add_market(session, item, market)
    return item


def logged_in_store(fake: FakeStockX, data_dir: Path) -> SecretStore:
    """The secret store (the tests' memory keyring) holding a refresh token the fake accepts."""
    store = open_store(data_dir, None)
    store.set(REFRESH_TOKEN, fake.issue_refresh_token())
    return store


def stockx_client(fake: FakeStockX, data_dir: Path, **settings: object) -> StockXClient:
    """The real client pointed at the fake, fast pacing (50 requests/s)."""
    values: dict[str, object] = {
        "api_url": fake.api_url,
        "auth_url": fake.auth_url,
        "api_key": fake.api_key,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "requests_per_second": 50,
        "max_retries": 3,
    } | settings
    return build_client(
        StockXSettings.model_validate(values),
        logged_in_store(fake, data_dir),
        state_dir=None,
        rng=random.Random(3),
    )
