"""Migration 0006: market_sales' unique key leads with row_key ("C" collation on PostgreSQL), rows kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from soleflip_cli import db
from soleflip_cli.services.import_ import import_file
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
        with db.session_scope(engine) as session:
            assert import_file(session, csv_file, fmt="contest").inserted == 2
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


def _downgrade(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(db.migrations_dir()))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
