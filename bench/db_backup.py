"""Time and peak memory of `soleflip db backup|export|copy|restore` on a synthetic database.

Builds a SQLite database with N sales (3 fee lines each) and N market sales, then runs each
command in a fresh process and prints wall time, rows per second and peak RSS. Baselines in the
same run: the sqlite3 shell's `.backup` for the SQLite backup, and an executemany copy (what
`db copy` did before it used COPY) for the PostgreSQL target. Peak RSS at N and 4N shows that
copy and restore are memory bounded (batches), not proportional to the data.

Usage: python bench/db_backup.py [--rows N] [--pg URL-of-a-server-where-databases-can-be-created]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from soleflip_cli import db
from soleflip_cli.models import MarketSale, Product, Sale, SaleFee
from soleflip_cli.services.transfer import model_tables, snapshot, stream_rows

RUN = (
    "import resource, sys\n"
    "from soleflip_cli.cli import app\n"
    "try:\n"
    "    app(args=sys.argv[1:], prog_name='soleflip')\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def build(url: str, n: int) -> int:
    """A SQLite database with n sales, 3n fee lines and n market sales; returns the rows."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(Product), [{"id": 1, "product_key": "DM7866-200", "sku": "DM7866-200"}])
        for start in range(1, n + 1, 10_000):
            ids = range(start, min(start + 10_000, n + 1))
            conn.execute(
                insert(Sale),
                [
                    {
                        "id": i,
                        "platform": "stockx",
                        "external_id": f"O{i}",
                        "product_id": 1,
                        "sold_at": t0 + timedelta(minutes=i),
                        "sale_price": Decimal("199.99"),
                        "fees_total": Decimal("21.37"),
                        "payout": Decimal("178.62"),
                        "currency": "USD",
                    }
                    for i in ids
                ],
            )
            conn.execute(
                insert(SaleFee),
                [
                    {
                        "id": 3 * i + k,
                        "sale_id": i,
                        "name": f"fee {k}",
                        "amount": Decimal("7.12"),
                        "currency": "USD",
                    }
                    for i in ids
                    for k in range(3)
                ],
            )
            conn.execute(
                insert(MarketSale),
                [
                    {
                        "id": i,
                        "source": "contest",
                        "row_key": f"r{i}",
                        "product_id": 1,
                        "sale_date": date(2019, 1, 1) + timedelta(days=i % 400),
                        "sale_price": Decimal("250.00"),
                        "currency": "USD",
                    }
                    for i in ids
                ],
            )
    engine.dispose()
    return 1 + 5 * n


def soleflip(*args: str) -> tuple[float, int]:
    """Run a soleflip command in a fresh process: (seconds, peak RSS in MB)."""
    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUN, "-q", *args], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - began
    if proc.returncode != 0:
        raise SystemExit(f"soleflip {' '.join(args)} failed:\n{proc.stderr}")
    return seconds, int(proc.stderr.strip().splitlines()[-1]) // 1024


@contextmanager
def pg_database(server: str) -> Iterator[str]:
    """A throwaway PostgreSQL database on `server`, dropped afterwards."""
    name = f"soleflip_bench_{uuid.uuid4().hex[:8]}"
    admin = db.make_engine(server)
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def executemany_copy(source: str, target: str) -> float:
    """Baseline: the same FK-ordered batched copy with executemany instead of COPY."""
    src_engine, dst_engine = db.make_engine(source), db.make_engine(target)
    db.upgrade(dst_engine)
    began = time.perf_counter()
    with snapshot(src_engine) as src, dst_engine.begin() as dst:
        tables = model_tables()
        for table in tables:
            keys = [c.key for c in table.columns]
            for batch in stream_rows(src, table, 2000):
                dst.execute(insert(table), [dict(zip(keys, row, strict=True)) for row in batch])
    seconds = time.perf_counter() - began
    src_engine.dispose()
    dst_engine.dispose()
    return seconds


def line(label: str, rows: int, seconds: float, rss: int | None = None) -> None:
    memory = f"{rss:5d} MB" if rss is not None else "      -"
    print(f"{label:46s} {seconds:7.2f} s  {rows / seconds:10,.0f} rows/s  peak RSS {memory}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="sales (and market sales) to generate")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="soleflip-bench-"))
    try:
        for n in (options.rows, 4 * options.rows):
            source = f"sqlite:///{workdir / f'source-{n}.db'}"
            rows = build(source, n)
            print(f"\n{rows:,} rows ({n:,} sales, {3 * n:,} fee lines, {n:,} market sales)")
            seconds = time.perf_counter()
            subprocess.run(
                ["sqlite3", str(workdir / f"source-{n}.db"), f".backup {workdir / f'shell-{n}.db'}"],
                check=True,
            )
            line("baseline: sqlite3 shell .backup", rows, time.perf_counter() - seconds)
            line(
                "db backup (SQLite online backup API)",
                rows,
                *soleflip("--db", source, "db", "backup", str(workdir / f"b-{n}.db")),
            )
            line(
                "db backup --portable (zip of CSVs)",
                rows,
                *soleflip("--db", source, "db", "backup", str(workdir / f"b-{n}.zip"), "--portable"),
            )
            line(
                "db export (directory of CSVs)",
                rows,
                *soleflip("--db", source, "db", "export", str(workdir / f"csv-{n}")),
            )
            with pg_database(options.pg) as target:
                line(
                    "db copy --to PostgreSQL (COPY)",
                    rows,
                    *soleflip("--db", source, "db", "copy", "--to", target),
                )
                line(
                    "db backup (pg_dump -Fc)",
                    rows,
                    *soleflip("--db", target, "db", "backup", str(workdir / f"pg-{n}.dump")),
                )
            with pg_database(options.pg) as target:
                line("baseline: same copy with executemany", rows, executemany_copy(source, target))
            with pg_database(options.pg) as target:
                line(
                    "db restore zip -> PostgreSQL (COPY)",
                    rows,
                    *soleflip("--db", target, "db", "restore", str(workdir / f"b-{n}.zip")),
                )
            with pg_database(options.pg) as target:
                line(
                    "db restore pg_dump -> PostgreSQL (pg_restore)",
                    rows,
                    *soleflip("--db", target, "db", "restore", str(workdir / f"pg-{n}.dump")),
                )
            restored = f"sqlite:///{workdir / f'restored-{n}.db'}"
            line(
                "db restore zip -> SQLite",
                rows,
                *soleflip("--db", restored, "db", "restore", str(workdir / f"b-{n}.zip")),
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
