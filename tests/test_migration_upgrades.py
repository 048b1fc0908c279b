"""Migrations 0006 (market_sales' unique key leads with row_key, "C" collation on PostgreSQL) and 0007."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from soleflip_cli import db
from soleflip_cli.importers import ImportOptions, choose, reading
from soleflip_cli.importers.base import MarketSaleRecord
from soleflip_cli.services.import_ import import_file
from soleflip_cli.services.import_batches import list_batches
from tests.dbtools_data import scratch_database

CONTEST = (
    "Order Date,Brand,Sneaker Name,Sale Price,Retail Price,Release Date,Shoe Size,Buyer Region\n"
    "9/1/17, Yeezy,Adidas-Yeezy-Boost-350-Low-V2-Beluga,$1097,$220,9/24/16,11,California\n"
    "9/1/17, Off-White,Nike-Air-Presto-Off-White,$685,$160,9/9/17,10,New York\n"
)
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _key(engine: Engine) -> tuple[str, list[str], str | None]:
    """The unique key (constraint or index, its columns) and, on PostgreSQL, row_key's collation."""
    found = inspect(engine)
    constraints = found.get_unique_constraints("market_sales")
    indexes = [
        i for i in found.get_indexes("market_sales") if i["unique"] and not i.get("duplicates_constraint")
    ]
    unique = [("constraint", c["column_names"]) for c in constraints]
    unique += [("index", [str(c) for c in i["column_names"]]) for i in indexes]
    assert len(unique) == 1, unique
    collation = None
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            collation = conn.execute(
                text(
                    "SELECT collation_name FROM information_schema.columns "
                    "WHERE table_name = 'market_sales' AND column_name = 'row_key'"
                )
            ).scalar_one()
    return unique[0][0], unique[0][1], collation


@pytest.mark.parametrize("kind", KINDS)
def test_upgrade_keeps_rows_and_reorders_the_key(kind: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "contest.csv"
    csv_file.write_text(CONTEST, encoding="utf-8")
    with scratch_database(kind, tmp_path) as url:
        engine = db.make_engine(url)
        db.upgrade(engine, "0005_sale_cost_copy")
        assert _key(engine) == ("constraint", ["source", "row_key"], None)
        _store_as_at_0005(engine, csv_file)
        db.upgrade(engine)
        assert _key(engine) == ("index", ["row_key", "source"], "C" if kind == "postgres" else None)
        with db.session_scope(engine) as session:  # the same rows again: found under the new key
            again = import_file(session, csv_file, fmt="contest")
        assert (again.inserted, again.unchanged) == (0, 2)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM market_sales")).scalar_one() == 2
        _downgrade(engine, "0005_sale_cost_copy")
        assert _key(engine) == ("constraint", ["source", "row_key"], None)  # the database default again
        engine.dispose()


def _store_as_at_0005(engine: Engine, csv_file: Path) -> None:
    """The file's market sales as an import stored them at 0005 (the code of today wants later columns)."""
    source = reading.prepare(csv_file, csv_file.name)
    importer, rows = choose(source, "contest", None, ImportOptions())
    records = [r for r in importer.parse(rows) if isinstance(r, MarketSaleRecord)]
    now = datetime.now(UTC).isoformat()
    with engine.begin() as conn:
        for r in records:
            product = conn.execute(
                text(
                    "INSERT INTO products (product_key, name, created_at, updated_at) "
                    "VALUES (:key, :name, :now, :now) RETURNING id"
                ),
                {"key": f"name:{r.name.casefold()}", "name": r.name, "now": now},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO market_sales (source, row_key, product_id, sale_date, sale_price, currency) "
                    "VALUES ('stockx-contest', :key, :product, :day, :price, :currency)"
                ),
                {
                    "key": r.row_key,
                    "product": product,
                    "day": r.sale_date.isoformat(),
                    "price": str(r.sale_price),
                    "currency": r.currency,
                },
            )
    assert len(records) == 2


def _downgrade(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(db.migrations_dir()))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


@pytest.mark.parametrize("kind", KINDS)
def test_0007_adds_the_export_time_and_goes_back(kind: str, tmp_path: Path) -> None:
    """A StockX download imported before gets its export time from its name; downgrading drops it."""
    download = "/home/me/stockx_historical_seller_sales_report_1f08_1767225600000.csv"
    names = [(download, "stockx"), ("renamed.csv", "stockx"), (download, "purchases")]
    with scratch_database(kind, tmp_path) as url:
        engine = db.make_engine(url)
        db.upgrade(engine, "0006_market_sales_key_order")
        with engine.begin() as conn:
            for name, fmt in names:
                conn.execute(
                    text(
                        "INSERT INTO import_batches (file_name, sha256, format, target, status, rows, "
                        "inserted, updated, unchanged, rejected, started_at) "
                        "VALUES (:name, :sha, :fmt, 'sales', 'done', 0, 0, 0, 0, 0, :now)"
                    ),
                    {"name": name, "fmt": fmt, "sha": "0" * 64, "now": "2026-02-01 10:00:00"},
                )
        db.upgrade(engine)
        with db.session_scope(engine) as session:
            found = [(b.file, b.format, b.exported_at) for b in list_batches(session)][::-1]
        assert found == [
            (download, "stockx", datetime(2026, 1, 1, tzinfo=UTC)),
            ("renamed.csv", "stockx", None),
            (download, "purchases", None),
        ]
        _downgrade(engine, "0006_market_sales_key_order")
        assert "exported_at" not in {c["name"] for c in inspect(engine).get_columns("import_batches")}
        engine.dispose()

