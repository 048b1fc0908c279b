"""Overlapping runs in real processes (cron): one writer at a time, --wait queues, reports stay consistent.

A first run is paused with its write transaction open (tests/reliability/hooked.py), so every
overlap below happens for certain, not by luck of timing. Every process has a timeout: a
deadlock fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from soleflip_cli import db
from soleflip_cli.models import Product, Sale
from tests.fake_stockx import FakeStockX, add_orders
from tests.reliability.runs import (
    RATE,
    SALES_INSERT,
    Finished,
    Soleflip,
    Started,
    child_env,
    secrets_env,
    write_stockx_sales,
)

IMPORT_ROWS = 1500
SYNC_ORDERS = 250
JOBS = {
    "import": ("import", "csv", "{big}", "--json"),
    "sync": ("sync", "stockx", "--orders", "--json"),
}


@pytest.fixture
def processes(db_url: str, tmp_path: Path, fake_stockx: FakeStockX) -> Iterator[Soleflip]:
    """soleflip in separate processes on the test database, logged in to the fake StockX."""
    home = Path(os.environ["SOLEFLIP_HOME"])
    fake_stockx.rate_limit = RATE
    runner = Soleflip(db_url, child_env(secrets_env(home, fake_stockx)), tmp_path)
    yield runner
    runner.stop_all()


@pytest.fixture
def soleflip(processes: Soleflip) -> Soleflip:
    """The same, on a database already at the head schema."""
    assert processes.run("db", "upgrade").exit_code == 0
    return processes


def _args(job: str, big: Path, *extra: str) -> list[str]:
    return [a.format(big=big) for a in JOBS[job]] + list(extra)


def _sales(url: str) -> tuple[int, int, int]:
    """(sales, distinct order keys, products) in the database."""
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            sales = session.scalar(select(func.count(Sale.id))) or 0
            keys = session.scalar(select(func.count(func.distinct(Sale.platform + Sale.external_id)))) or 0
            products = session.scalar(select(func.count(Product.id))) or 0
    finally:
        engine.dispose()
    return sales, keys, products


def _expected_sales(first: str, second: str) -> int:
    return sum({"import": IMPORT_ROWS, "sync": SYNC_ORDERS}[job] for job in {first, second})


def _ok(run: Finished) -> dict[str, Any]:
    assert run.exit_code == 0, run.stderr
    data: dict[str, Any] = json.loads(run.stdout)
    return data


@pytest.mark.parametrize("wait", [False, True], ids=["exit-5", "wait"])
@pytest.mark.parametrize(
    ("first", "second"),
    [("import", "import"), ("sync", "sync"), ("import", "sync"), ("sync", "import")],
    ids=lambda job: str(job),
)
def test_a_second_writer_exits_5_or_queues_with_wait(
    soleflip: Soleflip,
    fake_stockx: FakeStockX,
    db_url: str,
    tmp_path: Path,
    first: str,
    second: str,
    wait: bool,
) -> None:
    big = write_stockx_sales(tmp_path / "big.csv", IMPORT_ROWS, first_order=90_000_000)
    add_orders(fake_stockx, SYNC_ORDERS, style_id="DD1391-100")  # the product the import writes too
    holder = soleflip.start_paused(SALES_INSERT, *_args(first, big))
    other: Started = soleflip.start(*_args(second, big, *(["--wait"] if wait else [])))
    if wait:
        other.wait_for_stderr(f"Waiting for another soleflip {first} (pid {holder.pid}) to finish…")
    else:
        refused = other.finish()
        assert (refused.exit_code, refused.stdout) == (5, "")
        assert f"another soleflip {first} (pid {holder.pid}) is running on this database" in refused.stderr
        assert "--wait" in refused.stderr
    holder.release()
    _ok(holder.finish())
    if not wait:
        assert _sales(db_url)[:2] == (_expected_sales(first, first),) * 2
        return
    queued = _ok(other.finish())
    sales, keys, products = _sales(db_url)
    assert sales == keys == _expected_sales(first, second)  # every sale once: no duplicates, none lost
    assert products == 1  # both write the one product: the second run found it, never made a twin
    if first == second:  # the queued run found the work done
        assert (queued["orders"]["inserted"] if first == "sync" else queued["inserted"]) == 0


def test_a_report_during_an_import_sees_before_or_after_never_a_mix(
    soleflip: Soleflip, tmp_path: Path
) -> None:
    first = write_stockx_sales(tmp_path / "first.csv", 20, first_order=80_000_000)
    _ok(soleflip.run("import", "csv", str(first), "--json"))
    before = _report(soleflip)
    big = write_stockx_sales(tmp_path / "big.csv", IMPORT_ROWS, first_order=90_000_000)
    writer = soleflip.start_paused(SALES_INSERT, "import", "csv", str(big), "--json")
    assert _report(soleflip) == before  # the first chunk is written, not committed
    writer.release()
    _ok(writer.finish())
    after = _report(soleflip)
    assert after["orders"] == before["orders"] + IMPORT_ROWS

    bigger = write_stockx_sales(tmp_path / "bigger.csv", 4 * IMPORT_ROWS, first_order=95_000_000)
    running = soleflip.start("import", "csv", str(bigger), "--json")
    seen = []
    while running.proc.poll() is None:
        seen.append(_report(soleflip))
    _ok(running.finish())
    final = _report(soleflip)
    assert final["orders"] == after["orders"] + 4 * IMPORT_ROWS
    assert seen and all(report in (after, final) for report in seen)


def _report(soleflip: Soleflip) -> dict[str, Any]:
    return _ok(soleflip.run("report", "summary", "--json"))


@pytest.mark.parametrize("wait", [False, True], ids=["exit-5", "wait"])
def test_restore_never_races_a_writer(soleflip: Soleflip, db_url: str, tmp_path: Path, wait: bool) -> None:
    small = write_stockx_sales(tmp_path / "small.csv", 10, first_order=80_000_000)
    _ok(soleflip.run("import", "csv", str(small), "--json"))
    backup = tmp_path / "backup.zip"
    _ok(soleflip.run("db", "backup", str(backup), "--portable", "--json"))
    big = write_stockx_sales(tmp_path / "big.csv", IMPORT_ROWS, first_order=90_000_000)
    writer = soleflip.start_paused(SALES_INSERT, "import", "csv", str(big), "--json")
    during = tmp_path / "during.zip"  # a backup while the import writes holds the committed state
    _ok(soleflip.run("db", "backup", str(during), "--portable", "--json"))
    queue = ["--wait"] if wait else []
    restore = soleflip.start("db", "restore", str(backup), "--force", "--yes", "--json", *queue)
    if wait:
        restore.wait_for_stderr(f"Waiting for another soleflip import (pid {writer.pid}) to finish…")
    else:
        refused = restore.finish()
        assert refused.exit_code == 5
        assert f"another soleflip import (pid {writer.pid}) is running" in refused.stderr
    writer.release()
    _ok(writer.finish())
    if wait:
        _ok(restore.finish())
        assert _sales(db_url)[0] == 10  # the restore ran after the import, whole
    else:
        assert _sales(db_url)[0] == 10 + IMPORT_ROWS
    _ok(soleflip.run("db", "restore", str(during), "--force", "--yes", "--json"))
    assert _sales(db_url)[0] == 10


def test_first_runs_at_once_take_turns_creating_the_schema(processes: Soleflip, db_url: str) -> None:
    if db_url.startswith("postgresql"):  # a new database: the test database without its tables
        engine = db.make_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    first = processes.start_paused(r"^\s*CREATE TABLE", "report", "summary", "--json")
    others = [processes.start("report", "summary", "--json") for _ in range(2)]
    for other in others:
        other.wait_for_stderr(f"Waiting for another soleflip schema upgrade (pid {first.pid}) to finish…")
    first.release()
    results = [run.finish() for run in (first, *others)]
    assert [r.exit_code for r in results] == [0, 0, 0], [r.stderr for r in results]
    assert [r.stderr.count("Creating the database schema") for r in results] == [1, 0, 0]
    assert len({r.stdout for r in results}) == 1
