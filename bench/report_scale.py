"""Time `report summary` and `report breakdown --by month` over 1,000,000 generated sales (target < 2 s).

Usage: python bench/report_scale.py [--sales N] [--sqlite PATH] [--postgres URL] [--reuse] [--runs N]

Generates a realistic book (2,000 products x 10 sizes, 12 suppliers, 15 % EUR sales and purchases
with daily EUR->USD rates, 90 % of sales matched to a pair, 2 % returned, 1 % cancelled) with bulk
inserts (COPY on PostgreSQL, executemany on SQLite; the database's triggers copy each pair's cost to
its sale), then VACUUM ANALYZE (PostgreSQL) / ANALYZE (SQLite), as autovacuum leaves a live database.
Times each report `--runs` times in-process (the service call, SQL included, after one warm-up) and
as a `soleflip` subprocess (wall time, Python start-up included), and prints the medians, the best
times and the load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from soleflip_cli import db
from soleflip_cli.services import report

START = date(2021, 1, 1)
DAYS = 5 * 365
BRANDS = ["Nike", "Jordan", "adidas", "New Balance", "ASICS", "Yeezy", "Off-White", "Salomon"]
PLATFORMS = ["stockx", "alias", "ebay", "goat"]
NOW = "2026-01-01 00:00:00.000000"


def _ts(day: date, seconds: int) -> str:
    return f"{day.isoformat()} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000000"


def generate(n_sales: int, seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    """Rows per table (tuples in column order of COLUMNS), deterministic for a seed."""
    rng = random.Random(seed)
    suppliers = [(k + 1, f"Supplier {k + 1}", "retail", NOW, NOW) for k in range(12)]
    products = [
        (k + 1, f"BN{k:04d}-{k % 997:03d}", f"BN{k:04d}-{k % 997:03d}", f"Model {k}", BRANDS[k % 8], NOW, NOW)
        for k in range(2000)
    ]
    sizes = ["7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12"]
    variants = [
        (p * 10 + j + 1, p + 1, size, size, "us-m", NOW) for p in range(2000) for j, size in enumerate(sizes)
    ]
    items: list[tuple[Any, ...]] = []
    sales: list[tuple[Any, ...]] = []
    for n in range(n_sales):
        variant = rng.randrange(len(variants))
        product = variant // 10 + 1
        day = START + timedelta(days=rng.randrange(DAYS))
        eur = rng.random() < 0.15
        price = rng.randrange(8000, 60000)  # cents
        fee = price * rng.randrange(90, 150) // 1000
        roll = rng.random()
        status = "returned" if roll < 0.02 else "cancelled" if roll < 0.03 else "completed"
        item_id = None
        if rng.random() < 0.9:
            item_id = len(items) + 1
            bought = day - timedelta(days=rng.randrange(1, 180))
            cost = price * rng.randrange(55, 95) // 100
            items.append(
                (
                    item_id,
                    product,
                    variant + 1,
                    "new",
                    cost / 100,
                    "EUR" if eur else "USD",
                    bought.isoformat(),
                    rng.randrange(12) + 1,
                    "sold" if status == "completed" else "in_stock",
                    NOW,
                    NOW,
                )
            )
        sales.append(
            (
                n + 1,
                PLATFORMS[n % 4],
                f"ORD-{n:08d}",
                product,
                variant + 1,
                1,
                _ts(day, rng.randrange(86400)),
                price / 100,
                fee / 100,
                (price - fee) / 100,
                "EUR" if eur else "USD",
                status,
                item_id,
                "csv",
                NOW,
                NOW,
            )
        )
    for _ in range(n_sales // 20):
        variant = rng.randrange(len(variants))
        bought = START + timedelta(days=rng.randrange(DAYS))
        items.append(
            (
                len(items) + 1,
                variant // 10 + 1,
                variant + 1,
                "new",
                rng.randrange(8000, 40000) / 100,
                "USD",
                bought.isoformat(),
                rng.randrange(12) + 1,
                "in_stock",
                NOW,
                NOW,
            )
        )
    rate, fx = 1.12, []
    for k in range(DAYS + 400):
        rate = max(0.95, min(1.25, rate + rng.uniform(-0.004, 0.004)))
        fx.append(
            (
                k + 1,
                (START - timedelta(days=300) + timedelta(days=k)).isoformat(),
                "EUR",
                "USD",
                round(rate, 6),
                "ecb",
            )
        )
    return {
        "suppliers": suppliers,
        "products": products,
        "variants": variants,
        "inventory_items": items,
        "sales": sales,
        "fx_rates": fx,
    }


COLUMNS = {
    "suppliers": "id, name, kind, created_at, updated_at",
    "products": "id, product_key, sku, name, brand, created_at, updated_at",
    "variants": "id, product_id, size, size_norm, size_system, created_at",
    "inventory_items": "id, product_id, variant_id, condition, purchase_price, purchase_currency, "
    "purchase_date, supplier_id, status, created_at, updated_at",
    "sales": "id, platform, external_id, product_id, variant_id, quantity, sold_at, sale_price, fees_total, "
    "payout, currency, status, inventory_item_id, source, created_at, updated_at",
    "fx_rates": "id, rate_date, base, quote, rate, source",
}


def load(engine: Engine, tables: dict[str, list[tuple[Any, ...]]]) -> None:
    """Bulk-insert the generated rows (COPY on PostgreSQL, executemany on SQLite), then (VACUUM) ANALYZE."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, rows in tables.items():
            cols = COLUMNS[table]
            if engine.dialect.name == "postgresql":
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {len(rows) + 1})")
            else:
                marks = ", ".join("?" * len(cols.split(",")))
                cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def fresh_engine(url: str) -> Engine:
    """An empty database at head (SQLite file deleted, PostgreSQL public schema dropped)."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = db.make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    db.upgrade(engine)
    return engine


def timings(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and best wall time in seconds of `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def cli_run(url: str, *args: str) -> None:
    """One `soleflip --db URL ARGS --json` subprocess (start-up included)."""
    subprocess.run(
        [sys.executable, "-m", "soleflip_cli", "--db", url, *args, "--json"],
        check=True,
        capture_output=True,
        env={**os.environ, "SOLEFLIP_HOME": "/tmp/soleflip-bench-home"},
    )


def load_average() -> str:
    """The 1-minute load average of the machine."""
    return f"{os.getloadavg()[0]:.1f}"


REPORTS = [("report summary", None), ("report breakdown --by month", "month")]


def run_report(session: Session, by: str | None) -> object:
    """`report summary` (by None) or `report breakdown --by BY` in USD, as the service call."""
    if by is None:
        return report.summarize(session, currency="USD")
    return report.breakdown(session, by=by, currency="USD")


def measure(name: str, url: str, tables: dict[str, list[tuple[Any, ...]]] | None, runs: int) -> Iterator[str]:
    """Load (or reuse the database when `tables` is None), time both reports in-process and via the CLI."""
    if tables is None:
        engine = db.make_engine(url)
        db.upgrade(engine)
    else:
        engine = fresh_engine(url)
        start = time.perf_counter()
        load(engine, tables)
        yield f"{name}: loaded {len(tables['sales']):,} sales in {time.perf_counter() - start:.1f} s"
    before = load_average()
    in_process = []
    with Session(engine) as session:
        summary = report.summarize(session, currency="USD")
        yield f"{name}: orders {summary.orders:,}  payout {summary.payout} USD  profit {summary.profit} USD"
        for _, by in REPORTS:
            run_report(session, by)  # warm-up
            in_process.append(timings(partial(run_report, session, by), runs))
    engine.dispose()
    for (label, by), (median, best) in zip(REPORTS, in_process, strict=True):
        args = ("report", "summary") if by is None else ("report", "breakdown", "--by", by)
        cli_median, cli_best = timings(partial(cli_run, url, *args), runs)
        yield (
            f"{name}: {label:28s} in-process {median:5.2f} s (best {best:.2f})  "
            f"CLI {cli_median:5.2f} s (best {cli_best:.2f})  medians of {runs}, target < 2 s"
        )
    yield f"{name}: load average {before} -> {load_average()} (2 cores)"


def main() -> None:
    """Generate once, measure on each database given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--sqlite", default="/tmp/soleflip-report-bench.db")
    parser.add_argument("--postgres", default=os.environ.get("SOLEFLIP_BENCH_DATABASE_URL"))
    parser.add_argument("--reuse", action="store_true", help="time the databases of an earlier run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each report (medians printed)")
    args = parser.parse_args()
    start = time.perf_counter()
    tables = None if args.reuse else generate(args.sales)
    if tables is not None:
        print(f"generated {args.sales:,} sales in {time.perf_counter() - start:.1f} s", flush=True)
    targets = [("SQLite", f"sqlite:///{args.sqlite}")]
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
    else:
        print("PostgreSQL skipped: pass --postgres URL or set SOLEFLIP_BENCH_DATABASE_URL", flush=True)
    for name, url in targets:
        for line in measure(name, url, tables, args.runs):
            print(line, flush=True)


if __name__ == "__main__":
    main()
