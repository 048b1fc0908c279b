"""Small manual changes against a running writer, in real processes on SQLite and PostgreSQL.

`inventory add/edit/move/remove/sell`, `fx set/import`, `supplier add/edit` and `catalog resolve`
take the writer lock an import or a sync holds: they wait for it up to 10 s (saying so on stderr),
then exit 5 unless `--wait` queues them for as long as it takes; they never write in between. A
product or size created by someone else between the look-up and the insert is found, not a crash.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from soleflip_cli import db
from soleflip_cli.locking import run_lock
from soleflip_cli.models import Base, InventoryItem, Product, Supplier, Variant
from soleflip_cli.services.products import get_or_create_product
from tests.fake_stockx import FakeStockX
from tests.reliability.runs import Soleflip, child_env, secrets_env, write_stockx_sales
from tests.sync.helpers import add_pairs

SKU = "DD1391-100"  # the product of the generated StockX export too
WAITING = f"Waiting for another soleflip import (pid {os.getpid()}) to finish…"
RATES = "date,base,quote,rate\n2024-03-01,EUR,USD,1.0842\n"
MANUAL_WRITES: list[tuple[str, ...]] = [
    ("inventory", "add", "--sku", SKU, "--size", "11", "--cost", "120", "--no-lookup"),
    ("inventory", "edit", "1", "--location", "shelf A"),
    ("inventory", "move", "1", "--location", "shelf B"),
    ("inventory", "remove", "1", "--yes"),
    ("inventory", "sell", "1", "--price", "200", "--platform", "local", "--fees", "0"),
    ("fx", "set", "EUR", "USD", "1.0842", "--date", "2024-03-01"),
    ("fx", "import", "-"),
    ("supplier", "add", "Flight Club", "--kind", "reseller"),
    ("supplier", "edit", "Nike SNKRS", "--notes", "raffles on Fridays"),
    ("catalog", "resolve", SKU, "10"),
]


@pytest.fixture
def soleflip(db_url: str, tmp_path: Path, fake_stockx: FakeStockX) -> Iterator[Soleflip]:
    """soleflip in separate processes on the migrated test database, logged in to the fake StockX."""
    home = Path(os.environ["SOLEFLIP_HOME"])
    runner = Soleflip(db_url, child_env(secrets_env(home, fake_stockx)), tmp_path)
    assert runner.run("db", "upgrade").exit_code == 0
    yield runner
    runner.stop_all()


@pytest.fixture
def engine(soleflip: Soleflip) -> Iterator[Engine]:
    """The test database, for setting up rows and reading them back."""
    engine = db.make_engine(soleflip.url)
    yield engine
    engine.dispose()


def _everything(engine: Engine) -> list[tuple[Any, ...]]:
    """Every row of every table, in a stable order."""
    with engine.connect() as conn:
        return [
            (table.name, *row)
            for table in Base.metadata.sorted_tables
            for row in conn.execute(select(table).order_by(*table.primary_key.columns))
        ]


def _count(engine: Engine, column: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count(column))) or 0)


def _no_traceback(run: Any) -> None:
    assert "Traceback" not in run.stderr, run.stderr


@pytest.mark.parametrize("args", MANUAL_WRITES, ids=lambda args: " ".join(args[:2]))
def test_a_manual_write_waits_for_a_running_writer(
    args: tuple[str, ...], soleflip: Soleflip, engine: Engine
) -> None:
    add_pairs(engine, SKU, "10")
    with Session(engine) as session:
        session.add(Supplier(name="Nike SNKRS", kind="raffle"))
        session.commit()
    before = _everything(engine)
    with run_lock(engine, "import"):
        change = soleflip.start(*args, stdin=RATES)
        change.wait_for_stderr(WAITING)
        assert _everything(engine) == before  # nothing written while the import holds the database
    done = change.finish()
    assert done.exit_code == 0, done.stderr
    _no_traceback(done)
    assert _everything(engine) != before


@pytest.mark.slow
def test_after_the_grace_period_exit_5_unless_wait(soleflip: Soleflip, engine: Engine) -> None:
    [pair] = add_pairs(engine, SKU, "10")
    before = _everything(engine)
    with run_lock(engine, "import"):
        refused = soleflip.run("inventory", "move", str(pair), "--location", "shelf B")
        assert (refused.exit_code, refused.stdout) == (5, "")
        assert WAITING in refused.stderr
        assert (
            f"Error: another soleflip import (pid {os.getpid()}) is still running on this database "
            "after 10 s\nTip: pass --wait to queue behind it until it is done, or try again later"
        ) in refused.stderr
        assert _everything(engine) == before
        queued = soleflip.start("inventory", "move", str(pair), "--location", "shelf B", "--wait")
        queued.wait_for_stderr(WAITING)
    moved = queued.finish()
    assert moved.exit_code == 0, moved.stderr
    with Session(engine) as session:
        assert session.get(InventoryItem, pair).location == "shelf B"  # type: ignore[union-attr]


def test_inventory_add_of_the_product_an_import_is_creating(
    soleflip: Soleflip, engine: Engine, tmp_path: Path
) -> None:
    """The reported crash: on PostgreSQL the add stalled on the import's uncommitted product, then
    failed on the unique key with a traceback (SQLite: the same after its busy wait)."""
    export = write_stockx_sales(tmp_path / "sales.csv", 50, first_order=90_000_000)
    importing = soleflip.start_paused(r"^\s*INSERT INTO products\b", "import", "csv", str(export), "--json")
    adding = soleflip.start("inventory", "add", "--sku", SKU, "--size", "10", "--cost", "100", "--no-lookup")
    adding.wait_for_stderr(f"Waiting for another soleflip import (pid {importing.pid}) to finish…")
    importing.release()
    imported = importing.finish()
    assert imported.exit_code == 0, imported.stderr
    added = adding.finish()
    assert added.exit_code == 0, added.stderr
    _no_traceback(added)
    assert _count(engine, Product.id) == 1
    with Session(engine) as session:
        [product_id] = session.scalars(select(InventoryItem.product_id)).all()
        assert session.scalar(select(Product.sku).where(Product.id == product_id)) == SKU


@pytest.mark.parametrize("table", ["products", "variants"])
def test_a_row_created_between_look_up_and_insert_is_found(
    table: str, soleflip: Soleflip, engine: Engine, tmp_path: Path
) -> None:
    """Another writer outside soleflip's lock (an older soleflip, a script) creates the product or
    size while `inventory add` is between its look-up and its insert."""
    product_id = None
    if table == "variants":
        with Session(engine) as session:
            product_id = get_or_create_product(session, sku=SKU).id
            session.commit()
    lookup = rf"FROM {table}\s+WHERE {table}\.product_(key|id) ="
    adding = soleflip.start_paused(
        lookup, "inventory", "add", "--sku", SKU, "--size", "10", "--cost", "100", "--no-lookup"
    )
    with Session(engine) as session:  # the other writer
        if table == "products":
            session.add(Product(product_key=SKU, sku=SKU, name="Nike Dunk Low Panda"))
        else:
            assert product_id is not None
            session.add(Variant(product_id=product_id, size="10", size_norm="10", size_system="us-m"))
        session.commit()
    adding.release()
    added = adding.finish()
    assert added.exit_code == 0, added.stderr
    _no_traceback(added)
    assert (_count(engine, Product.id), _count(engine, Variant.id), _count(engine, InventoryItem.id)) == (
        1,
        1,
        1,
    )
