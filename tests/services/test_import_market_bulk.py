"""Big market-sales loads take the table's keys off and must always put them back.

A file of at least BULK_ROWS rows, longer than the table, loads with foreign keys dropped (PostgreSQL)
and, for a first load of its source, the unique key and index dropped (both databases); they are rebuilt
before the batch commits, and a rejected or interrupted file leaves the table exactly as it was. Every
test here runs on both databases.
"""

from __future__ import annotations

import gc
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from soleflip_cli.catalog import name_from_slug
from soleflip_cli.models import MarketSale, Product, Variant
from soleflip_cli.services.import_ import GC_THRESHOLD, ImportResult, import_file
from soleflip_cli.services.import_market import BULK_ROWS

HEADER = "Order Date,Brand,Sneaker Name,Sale Price,Retail Price,Release Date,Shoe Size,Buyer Region\n"
NAMES = ("Adidas-Yeezy-Boost-350-V2-Beluga", "Nike-Air-Max-90-Off-White", "Air-Jordan-1-Retro-High-Chicago")
ROWS = BULK_ROWS + 500


def _contest(path: Path, start: int, count: int, bad_line: int | None = None) -> Path:
    """`count` distinct sales (rows start..start+count-1); `bad_line` gets an unreadable price."""
    lines = [HEADER]
    for n in range(start, start + count):
        price = "$lots" if bad_line is not None and n - start + 2 == bad_line else f'"${200 + n % 900:,}"'
        day = f"{1 + n % 12}/{1 + n % 28}/18"
        lines.append(f"{day}, Yeezy,{NAMES[n % 3]},{price},$220,9/24/16,{4 + n % 10},Region {n}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _sales(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(MarketSale)) or 0)


def _keys(connection: Connection) -> tuple[set[str], set[str], set[str]]:
    """Names of market_sales' foreign keys, unique constraints and indexes (unique or not)."""
    found = inspect(connection)
    return (
        {str(k["name"]) for k in found.get_foreign_keys("market_sales")},
        {str(u["name"]) for u in found.get_unique_constraints("market_sales")},
        {str(i["name"]) for i in found.get_indexes("market_sales") if not i.get("duplicates_constraint")},
    )


EXPECTED = (
    {
        "fk_market_sales_product_id_products",
        "fk_market_sales_variant_id_variants",
        "fk_market_sales_import_batch_id_import_batches",
    },
    set(),
    {"ix_market_sales_product_date", "uq_market_sales_row_key_source"},
)


def _import(session: Session, path: Path, **kwargs: object) -> ImportResult:
    return import_file(session, path, fmt="contest", **kwargs)  # type: ignore[arg-type]


def test_big_first_load_then_reimport_and_overlap(session: Session, tmp_path: Path) -> None:
    first = _import(session, _contest(tmp_path / "a.csv", 0, ROWS))
    assert (first.rows, first.inserted, first.unchanged, first.error_count) == (ROWS, ROWS, 0, 0)
    assert _sales(session) == ROWS
    assert _keys(session.connection()) == EXPECTED

    again = _import(session, _contest(tmp_path / "a.csv", 0, ROWS))
    assert (again.inserted, again.unchanged) == (0, ROWS)

    # Longer than the table and overlapping it: foreign keys off, merged through the stage.
    overlap = _import(session, _contest(tmp_path / "b.csv", ROWS // 2, 2 * ROWS))
    assert (overlap.inserted, overlap.unchanged) == (2 * ROWS - ROWS // 2, ROWS // 2)
    assert _sales(session) == ROWS // 2 + 2 * ROWS
    assert _keys(session.connection()) == EXPECTED


def test_keys_are_enforced_after_a_big_load(session: Session, tmp_path: Path) -> None:
    _import(session, _contest(tmp_path / "a.csv", 0, ROWS))
    row = session.execute(select(MarketSale).limit(1)).scalar_one()
    values = {
        "source": row.source,
        "sale_date": row.sale_date,
        "sale_price": row.sale_price,
        "currency": "USD",
    }
    for broken in (
        {"row_key": row.row_key, "product_id": row.product_id},  # duplicate (source, row_key)
        {"row_key": "new:1", "product_id": 10**9},  # no such product
    ):
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(insert(MarketSale).values(**values, **broken))


def test_rejected_big_file_leaves_the_table_as_it_was(session: Session, tmp_path: Path) -> None:
    result = _import(session, _contest(tmp_path / "bad.csv", 0, ROWS, bad_line=ROWS - 3))
    assert (result.error_count, result.batch_id) == (1, None)
    assert result.errors[0].line == ROWS - 3
    assert _sales(session) == 0
    assert _keys(session.connection()) == EXPECTED


def test_interrupted_big_load_rolls_back_with_keys(session: Session, tmp_path: Path) -> None:
    def interrupt(line: int, _total: int) -> None:
        if line > BULK_ROWS // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _import(session, _contest(tmp_path / "a.csv", 0, ROWS), progress=interrupt)
    session.rollback()
    assert _sales(session) == 0
    assert _keys(session.connection()) == EXPECTED
    done = _import(session, _contest(tmp_path / "a.csv", 0, ROWS))
    assert done.inserted == ROWS


def test_products_and_sizes_first_seen_late_get_their_own_rows(session: Session, tmp_path: Path) -> None:
    """New products and sizes keep arriving (some in the file's last rows): each sale keeps its own."""
    path = tmp_path / "late.csv"
    lines, expected = [HEADER], Counter[tuple[str, str]]()
    for n in range(ROWS):
        slug = f"Nike-Dunk-Low-Colorway-{n // 997}" if n % 7 == 0 else NAMES[n % 3]
        size = str(4 + n % 10) if n < ROWS - 3 else f"{15 + n % 3}"
        lines.append(f"{1 + n % 12}/{1 + n % 28}/18, Nike,{slug},${200 + n % 900},$110,1/1/18,{size},R{n}\n")
        expected[(name_from_slug(slug), size)] += 200 + n % 900
    path.write_text("".join(lines), encoding="utf-8")

    result = _import(session, path)

    assert (result.inserted, result.error_count) == (ROWS, 0)
    stored = session.execute(
        select(Product.name, Variant.size, func.sum(MarketSale.sale_price))
        .join(Product, Product.id == MarketSale.product_id)
        .join(Variant, Variant.id == MarketSale.variant_id)
        .group_by(Product.name, Variant.size)
    )
    assert {(name, size): int(total) for name, size, total in stored} == dict(expected)
    assert _keys(session.connection()) == EXPECTED


def test_cycle_collector_runs_rarely_during_an_import_and_as_before_after(
    session: Session, tmp_path: Path
) -> None:
    before = gc.get_threshold()
    during: list[int] = []

    def watch(_line: int, _total: int) -> None:
        during.append(gc.get_threshold()[0])

    _import(session, _contest(tmp_path / "a.csv", 0, 5000), progress=watch)
    assert during and set(during) == {GC_THRESHOLD}
    assert gc.get_threshold() == before

    def interrupt(_line: int, _total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _import(session, _contest(tmp_path / "b.csv", 9000, 5000), progress=interrupt)
    assert gc.get_threshold() == before
