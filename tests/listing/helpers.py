"""Builders and readers for the `soleflip listing` tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from soleflip_cli.models import InventoryItem, Listing, ListingEvent, MarketPrice
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant
from tests.conftest import Cli, CliResult

RATE = 50  # requests per second, on both sides, so tests stay fast
SKU = "DD1391-100"
NAME = "Nike Dunk Low Panda"


def add_pairs(
    engine: Engine,
    size: str = "10",
    count: int = 1,
    *,
    cost: str = "100",
    currency: str = "USD",
    sku: str = SKU,
    days: int = 3,
    market: str | None = None,
) -> list[int]:
    """In-stock pairs bought `days` ago; with `market`, a fresh StockX market observation (lowest ask)."""
    with Session(engine) as session:
        product = get_or_create_product(session, sku=sku, name=NAME if sku == SKU else None)
        variant = get_or_create_variant(session, product, size)
        items = [
            InventoryItem(
                product_id=product.id,
                variant_id=variant.id,
                purchase_price=Decimal(cost),
                purchase_currency=currency,
                purchase_date=(datetime.now(UTC) - timedelta(days=days)).date(),
            )
            for _ in range(count)
        ]
        session.add_all(items)
        if market is not None:
            session.add(
                MarketPrice(
                    product_id=product.id,
                    variant_id=variant.id,
                    source="stockx",
                    lowest_ask=Decimal(market),
                    highest_bid=Decimal(market) - 20,
                    currency=currency,
                    observed_at=datetime.now(UTC) - timedelta(hours=1),
                )
            )
        session.commit()
        return [item.id for item in items]


def run(cli: Cli, *args: str, env: dict[str, str] | None = None) -> tuple[CliResult, Any]:
    """`soleflip ARGS --json`: the result and its decoded stdout (None when empty)."""
    result = cli(*args, "--json", env=env)
    assert result.exception is None, (result.stderr, result.exception)
    return result, json.loads(result.stdout) if result.stdout.strip() else None


def pair_statuses(engine: Engine, item_ids: list[int]) -> list[str]:
    """Inventory statuses of these pairs, in order."""
    with Session(engine) as session:
        found = dict(session.execute(select(InventoryItem.id, InventoryItem.status)).all())
    return [found[i] for i in item_ids]


def listings(engine: Engine) -> list[tuple[str, int | None, str, Decimal | None]]:
    """(StockX id, pair, status, ask) of every local StockX listing, by id."""
    with Session(engine) as session:
        rows = session.execute(
            select(Listing.external_id, Listing.inventory_item_id, Listing.status, Listing.amount).order_by(
                Listing.id
            )
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def events(engine: Engine) -> list[tuple[str, int | None, str | None, str | None, Decimal | None, str, str]]:
    """(action, pair, old status, new status, new ask, status, actor) of every listing event, by id."""
    with Session(engine) as session:
        found = session.scalars(select(ListingEvent).order_by(ListingEvent.id)).all()
        return [
            (e.action, e.inventory_item_id, e.old_status, e.new_status, e.new_amount, e.status, e.actor)
            for e in found
        ]
