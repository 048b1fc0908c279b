"""Seed data and comparisons for the backup, restore, export and copy tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Numeric, insert, select, text
from sqlalchemy.engine import make_url

from soleflip_cli import db
from soleflip_cli.models import (
    Base,
    FxRate,
    ImportBatch,
    InventoryItem,
    Listing,
    ListingEvent,
    MarketPrice,
    MarketSale,
    Product,
    Sale,
    SaleFee,
    Supplier,
    SyncState,
    Variant,
)
from soleflip_cli.services.transfer import model_tables, reflect_tables, reset_sequences
from tests.conftest import PG_URL

T0 = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
# Text a backup must keep exactly: formulas, the escape character itself, empty, newlines, quotes.
TEXTS = [
    '=HYPERLINK("http://evil.example","click")',
    "'quoted",
    "''",
    "",
    'two\nlines, "quoted"',
    "Ünïcødé 👟",
    "-5",
    "+49 shoe",
    "@home",
    "\tindent",
    "plain",
    None,
]
BIG = Decimal("123456789012.34")  # the largest NUMERIC(14, 2) scale a float-backed SQLite keeps exactly


def _rows(products: int) -> dict[type[Base], list[dict[str, Any]]]:
    text_of = lambda i: TEXTS[i % len(TEXTS)]  # noqa: E731
    data: dict[type[Base], list[dict[str, Any]]] = {}
    data[Product] = [
        {
            "id": i,
            "product_key": f"SKU-{i:04d}",
            "sku": f"SKU-{i:04d}",
            "name": text_of(i),
            "brand": "Nike" if i % 2 else None,
            "retail_price": Decimal("110.00") + i,
            "retail_currency": "USD",
            "release_date": date(2023, 1, 1) + timedelta(days=i),
            "created_at": T0 + timedelta(minutes=i),
            "updated_at": T0 + timedelta(minutes=i, microseconds=1),
        }
        for i in range(1, products + 1)
    ]
    data[Variant] = [
        {"id": p * 3 + k, "product_id": p, "size": s, "size_norm": s, "size_system": "US", "created_at": T0}
        for p in range(1, products + 1)
        for k, s in enumerate(["9", "10", "10.5"])
    ]
    data[Supplier] = [
        {
            "id": i,
            "name": f"Supplier {i}",
            "kind": "retail",
            "notes": text_of(i),
            "created_at": T0,
            "updated_at": T0,
        }
        for i in range(1, 4)
    ]
    data[ImportBatch] = [
        {
            "id": 1,
            "file_name": "sales.csv",
            "sha256": "0" * 64,
            "format": "stockx",
            "target": "sales",
            "started_at": T0,
        }
    ]
    variants = data[Variant]
    data[InventoryItem] = [
        {
            "id": i,
            "product_id": variants[i % len(variants)]["product_id"],
            "variant_id": variants[i % len(variants)]["id"],
            "purchase_price": Decimal(f"{100 + i}.{i % 100:02d}"),
            "purchase_currency": "EUR" if i % 3 == 0 else "USD",
            "purchase_date": date(2024, 1, 1) + timedelta(days=i % 60),
            "supplier_id": i % 3 + 1,
            "status": "sold" if i % 2 == 0 else "in_stock",
            "notes": text_of(i),
            "created_at": T0 + timedelta(seconds=i),
            "updated_at": T0 + timedelta(seconds=i),
        }
        for i in range(1, 2 * len(variants) + 1)
    ]
    sold = [item for item in data[InventoryItem] if item["status"] == "sold"]
    data[Sale] = [
        {
            "id": n,
            "platform": "stockx",
            "external_id": f"ORDER-{n}",
            "product_id": item["product_id"],
            "variant_id": item["variant_id"],
            "item_name": text_of(n),
            "sold_at": T0 + timedelta(hours=n, microseconds=n),
            "sale_price": BIG if n == 1 else Decimal(f"{200 + n}.{n % 100:02d}"),
            "fees_total": Decimal("21.37"),
            "payout": (BIG if n == 1 else Decimal(f"{200 + n}.{n % 100:02d}")) - Decimal("21.37"),
            "vat_amount": Decimal("0.01") if n % 4 == 0 else None,
            "currency": "USD",
            "inventory_item_id": item["id"],
            "import_batch_id": 1,
            "created_at": T0,
            "updated_at": T0,
        }
        for n, item in enumerate(sold, start=1)
    ]
    data[SaleFee] = [
        {
            "id": s["id"] * 3 + k,
            "sale_id": s["id"],
            "name": name,
            "kind": kind,
            "amount": amount,
            "currency": "USD",
            "rate": rate,
        }
        for s in data[Sale]
        for k, (name, kind, amount, rate) in enumerate(
            [
                ("Transaction fee", "transaction", Decimal("19.42"), Decimal("0.095000")),
                ("Payment processing", "processing", Decimal("3.20"), Decimal("0.030000")),
                ("Seller credit", "other", Decimal("-1.25"), None),
            ]
        )
    ]
    data[Listing] = [
        {
            "id": i,
            "platform": "stockx",
            "external_id": f"L-{i}",
            "inventory_item_id": i * 2 - 1,
            "amount": Decimal(f"{250 + i}.99"),
            "currency": "USD",
            "status": "ACTIVE",
            "expires_at": T0 + timedelta(days=30),
            "created_at": T0,
            "updated_at": T0,
        }
        for i in range(1, products + 1)
    ]
    data[ListingEvent] = [
        {
            "id": i,
            "listing_id": i,
            "inventory_item_id": i * 2 - 1,
            "action": "create",
            "old_amount": None,
            "new_amount": Decimal(f"{250 + i}.99"),
            "currency": "USD",
            "status": "ok",
            "message": text_of(i),
            "created_at": T0,
        }
        for i in range(1, products + 1)
    ]
    data[MarketPrice] = [
        {
            "id": i,
            "product_id": v["product_id"],
            "variant_id": v["id"],
            "source": "stockx",
            "lowest_ask": Decimal(f"{300 + i}.50"),
            "highest_bid": Decimal(f"{280 + i}.05"),
            "currency": "USD",
            "observed_at": T0 + timedelta(days=i),
        }
        for i, v in enumerate(variants, start=1)
    ]
    data[MarketSale] = [
        {
            "id": i,
            "source": "contest",
            "row_key": f"r{i}",
            "product_id": v["product_id"],
            "variant_id": v["id"],
            "sale_date": date(2019, 1, 1) + timedelta(days=i),
            "sale_price": Decimal(f"{150 + i}.00"),
            "currency": "USD",
        }
        for i, v in enumerate(variants, start=1)
    ]
    data[SyncState] = [
        {"id": 1, "platform": "stockx", "resource": "orders", "high_water": T0, "cursor": "abc"}
    ]
    data[FxRate] = [
        {
            "id": i,
            "rate_date": date(2023, 12, 1) + timedelta(days=i),
            "base": "EUR",
            "quote": "USD",
            "rate": Decimal(f"1.08{i:06d}"),
            "source": "manual",
        }
        for i in range(1, 41)
    ]
    return data


def seed(url: str, *, products: int = 12, revision: str = "head") -> int:
    """Migrate the database at `url` (to `revision`) and bulk-insert a realistic, tricky data set.

    Returns the number of rows inserted.
    """
    engine = db.make_engine(url)
    db.upgrade(engine, revision)
    data = _rows(products)
    with engine.begin() as conn:
        for model in (m for t in model_tables() for m in data if m.__table__ is t):
            conn.execute(insert(model), data[model])
        reset_sequences(conn, reflect_tables(conn))
    engine.dispose()
    return sum(len(rows) for rows in data.values())


def contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, typed (Decimal, UTC datetimes), in primary-key order."""
    engine = db.make_engine(url)
    with engine.connect() as conn:
        result = {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in model_tables()
        }
    engine.dispose()
    return result


def money_sums(url: str) -> dict[str, Decimal]:
    """The exact sum of every NUMERIC column, keyed `table.column`."""
    rows = contents(url)
    sums = {}
    for table in model_tables():
        for index, column in enumerate(table.columns):
            if isinstance(column.type, Numeric):
                sums[f"{table.name}.{column.name}"] = sum(
                    (r[index] for r in rows[table.name] if r[index] is not None), Decimal(0)
                )
    return sums


@contextmanager
def scratch_database(kind: str, tmp_path: Any) -> Iterator[str]:
    """A new, empty database URL: a SQLite file, or a throwaway PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'scratch-{uuid.uuid4().hex[:8]}.db'}"
        return
    if not PG_URL:
        pytest.skip(
            "PostgreSQL targets need SOLEFLIP_TEST_DATABASE_URL (a server where databases can be created)"
        )
    base = make_url(PG_URL)
    name = f"{base.database}_scratch_{uuid.uuid4().hex[:10]}"
    server = db.make_engine(PG_URL)
    admin = server.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
