"""Helpers for the `soleflip sync stockx` tests: run the command, add pairs, count rows."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from soleflip_cli.models import InventoryItem
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant
from tests.conftest import Cli, CliResult

RATE = 50  # requests per second, on both sides, so tests stay fast


def sync_json(cli: Cli, *args: str) -> dict[str, Any]:
    """Run `sync stockx --json ARGS`, assert success and a clean stderr, return the JSON minus duration."""
    result: CliResult = cli("sync", "stockx", "--json", *args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert result.stderr == ""
    data: dict[str, Any] = json.loads(result.stdout)
    assert isinstance(data.pop("duration_s"), int | float)
    return data


def add_pairs(
    engine: Engine, sku: str, size: str, count: int = 1, *, purchased: date = date(2024, 12, 1)
) -> list[int]:
    """In-stock pairs bought for 100 USD each."""
    with Session(engine) as session:
        product = get_or_create_product(session, sku=sku)
        variant = get_or_create_variant(session, product, size)
        items = [
            InventoryItem(
                product_id=product.id,
                variant_id=variant.id,
                purchase_price=Decimal(100),
                purchase_currency="USD",
                purchase_date=purchased,
            )
            for _ in range(count)
        ]
        session.add_all(items)
        session.commit()
        return [item.id for item in items]


def count(engine: Engine, column: Any, *where: Any) -> int:
    """Rows of a table (given by one of its columns) matching `where`."""
    with Session(engine) as session:
        return int(session.scalar(select(func.count(column)).where(*where)) or 0)


def statuses(engine: Engine, item_ids: list[int]) -> list[str]:
    """Inventory statuses of these pairs, in order."""
    with Session(engine) as session:
        found = dict(session.execute(select(InventoryItem.id, InventoryItem.status)).all())
    return [found[i] for i in item_ids]
