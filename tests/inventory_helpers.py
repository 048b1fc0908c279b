"""Helpers for the inventory and supplier tests: run JSON commands, seed catalog and market rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from soleflip_cli import db
from soleflip_cli.models import MarketPrice, Product, Variant
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant
from tests.conftest import Cli


def ago(days: int) -> str:
    """The ISO date `days` before today (local date, read now as the CLI does: tests may cross midnight)."""
    return (date.today() - timedelta(days=days)).isoformat()


def ok(cli: Cli, *args: str, input: str | None = None) -> Any:
    """Run a command with --json, assert success and return the parsed output."""
    result = cli(*args, "--json", input=input)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)


@contextmanager
def db_session(cli: Cli) -> Iterator[Session]:
    """A committed session on the CLI's database (the schema must exist: run a command first)."""
    assert cli.url is not None
    engine = db.make_engine(cli.url)
    try:
        with db.session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def catalog(cli: Cli, sku: str, name: str, brand: str) -> None:
    """Put a product with a name and brand in the local catalog."""
    cli("db", "upgrade")
    with db_session(cli) as session:
        get_or_create_product(session, sku=sku, name=name, brand=brand)


def market(
    cli: Cli,
    sku: str,
    size: str,
    *,
    ask: str | None,
    bid: str | None = None,
    days_old: float = 0,
    source: str = "stockx",
    currency: str = "USD",
) -> None:
    """Record a market observation for a SKU and size, `days_old` days ago."""
    with db_session(cli) as session:
        product = get_or_create_product(session, sku=sku)
        variant = get_or_create_variant(session, product, size)
        session.add(
            MarketPrice(
                product_id=product.id,
                variant_id=variant.id,
                source=source,
                lowest_ask=Decimal(ask) if ask else None,
                highest_bid=Decimal(bid) if bid else None,
                currency=currency,
                observed_at=datetime.now(UTC) - timedelta(days=days_old),
            )
        )


def variant_id(cli: Cli, sku: str, size: str) -> int:
    """The ID of a SKU's size variant."""
    with db_session(cli) as session:
        product = session.query(Product).filter_by(product_key=sku).one()
        return session.query(Variant).filter_by(product_id=product.id, size_norm=size).one().id
