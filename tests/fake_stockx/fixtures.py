"""Seed data for the fake StockX and the `fake_stockx` pytest fixture."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.fake_stockx.server import FakeStockX
from tests.fake_stockx.state import (
    ACTIVE_ORDER_STATUSES,
    FakeListing,
    FakeOrder,
    FakeProduct,
    FakeState,
    FakeVariant,
    now,
)

# (style id, title, brand, retail, release date, colorway, lowest ask at US 7)
CATALOG = [
    ("DD1391-100", "Nike Dunk Low Retro White Black Panda (2021)", "Nike", 110, "2021-01-14", "White/Black"),
    (
        "DZ5485-612",
        "Jordan 1 Retro High OG Chicago Lost and Found",
        "Jordan",
        180,
        "2022-11-19",
        "Varsity Red",
    ),
    ("HQ4540", "adidas Yeezy Boost 350 V2 Onyx", "adidas", 230, "2022-07-01", "Onyx/Onyx/Onyx"),
    ("BB550WT1", "New Balance 550 White Green", "New Balance", 110, "2021-01-01", "White/Green"),
]
SIZES = [f"{s / 2:g}" for s in range(14, 27)]  # US M 7 .. 13
DEFAULT_START = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


def _upc(number: int) -> str:
    digits = f"{number:011d}"
    odd = sum(int(d) for d in digits[0::2])
    even = sum(int(d) for d in digits[1::2])
    return digits + str((10 - (odd * 3 + even) % 10) % 10)


def seed_catalog(fake: FakeState) -> None:
    """Four sneakers in US M 7-13, each size with a GTIN and market prices (some without bids)."""
    for p_index, (style, title, brand, retail, released, colorway) in enumerate(CATALOG):
        slug = "-".join(title.lower().replace("(", "").replace(")", "").split())
        product = FakeProduct(fake.new_uuid(), style, title, brand, slug, float(retail), released, colorway)
        for s_index, size in enumerate(SIZES):
            ask = Decimal(retail + 40 + 5 * s_index)
            variant = FakeVariant(
                fake.new_uuid(),
                product.product_id,
                size,
                _upc(19_581_000_000 + p_index * 100 + s_index),
                f"{slug.title()}:{size}",
                ask,
                None if s_index % 5 == 4 else ask - 15,
            )
            product.variants.append(variant)
            fake.variants[variant.variant_id] = variant
        fake.products[product.product_id] = product


def find_variant(fake: FakeState, style_id: str, size: str) -> FakeVariant:
    """The seeded variant of `style_id` in US M `size`."""
    for product in fake.products.values():
        if product.style_id == style_id:
            for variant in product.variants:
                if variant.size == size:
                    return variant
    raise KeyError(f"{style_id} {size} is not in the fake catalog")


def add_listing(
    fake: FakeState,
    style_id: str,
    size: str,
    amount: Decimal | int | str,
    *,
    status: str = "ACTIVE",
    currency: str = "USD",
    created_at: datetime | None = None,
) -> FakeListing:
    """A listing that already exists on StockX (no operation to wait for)."""
    variant = find_variant(fake, style_id, size)
    moment = created_at or now()
    listing = FakeListing(
        fake.new_uuid(),
        fake.products[variant.product_id],
        variant,
        Decimal(str(amount)),
        currency,
        status,
        moment,
        moment,
        moment + timedelta(days=999),
    )
    if status == "ACTIVE":
        listing.ask_id, listing.ask_created_at = fake.new_ask_id(), moment
    with fake.lock:
        fake.listings[listing.listing_id] = listing
    return listing


def add_orders(
    fake: FakeState,
    count: int,
    *,
    status: str = "COMPLETED",
    start: datetime = DEFAULT_START,
    step: timedelta = timedelta(hours=6),
    style_id: str | None = None,
    size: str | None = None,
    amount: Decimal | int | str | None = None,
    currency: str = "USD",
    list_payout: bool = True,
) -> list[FakeOrder]:
    """`count` sales created `step` apart from `start`, cycling through the catalog unless pinned.

    Each order gets its matched listing (MATCHED while active, COMPLETED or CANCELED after).
    """
    variants = [v for p in fake.products.values() for v in p.variants]
    if style_id is not None:
        variants = [find_variant(fake, style_id, size or "10")]
    made = []
    for index in range(count):
        variant = variants[(len(fake.orders) * 7 + index) % len(variants)]
        created = start + step * index
        price = Decimal(str(amount)) if amount is not None else variant.lowest_ask or Decimal(150)
        listing = add_listing(
            fake, fake.products[variant.product_id].style_id or "", variant.size, price, created_at=created
        )
        listing.status = (
            "MATCHED"
            if status in ACTIVE_ORDER_STATUSES
            else "COMPLETED"
            if status == "COMPLETED"
            else "CANCELED"
        )
        listing.ask_id = listing.ask_id or fake.new_ask_id()
        order = FakeOrder(
            fake.new_order_number(),
            listing.listing_id,
            listing.ask_id,
            fake.products[variant.product_id],
            variant,
            price,
            currency,
            status,
            created,
            created + timedelta(days=3),
            list_payout=list_payout,
        )
        listing.order_number, listing.order_created_at, listing.order_status = (
            order.order_number,
            created,
            status,
        )
        with fake.lock:
            fake.orders[order.order_number] = order
        made.append(order)
    return made


def set_order_status(fake: FakeState, order: FakeOrder, status: str, *, at: datetime | None = None) -> None:
    """Move an order to `status` (e.g. active CREATED -> history COMPLETED), bumping updatedAt."""
    with fake.lock:
        order.status = status
        order.updated_at = at or now()
        listing = fake.listings.get(order.listing_id)
        if listing is not None:
            listing.order_status = status
            listing.status = (
                "MATCHED"
                if status in ACTIVE_ORDER_STATUSES
                else "COMPLETED"
                if status == "COMPLETED"
                else "CANCELED"
            )


@pytest.fixture
def fake_stockx() -> Iterator[FakeStockX]:
    """A running fake StockX with the seeded catalog (no orders or listings yet)."""
    fake = FakeStockX()
    seed_catalog(fake)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
