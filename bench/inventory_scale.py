"""Time `inventory list --json`, `inventory aging` and `inventory value` on 50,000 pairs + 50,000 sales.

Generates the data with bulk inserts (executemany) into a fresh SQLite file and, when a PostgreSQL
URL is given (--postgres or SOLEFLIP_BENCH_POSTGRES_URL), into that database (its public schema is
dropped and rebuilt). Every command is timed as a user runs it, a subprocess (`python -m
soleflip_cli ...`: interpreter start-up, imports and the schema check included), and in-process
(the Typer app called like the CLI), stdout to /dev/null; each is the median of --runs runs after a
warm-up. The same commands on the still empty database show the fixed start-up cost. The target
is < 1 s per command as a subprocess. The load average is printed with each database: other jobs
on the machine slow every figure.

    python bench/inventory_scale.py [--pairs 50000] [--sales 50000] [--postgres URL] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from soleflip_cli import db
from soleflip_cli.cli import app
from soleflip_cli.models import InventoryItem, MarketPrice, Product, Sale, SaleFee, Supplier, Variant

BRANDS = ["Nike", "Jordan", "adidas", "New Balance", "ASICS", "Yeezy", "Converse", "Vans"]
SIZES = ["7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12"]
PRODUCTS = 1000
CHUNK = 10_000
COMMANDS = [
    ["inventory", "list", "--json"],
    ["inventory", "aging"],
    ["inventory", "value"],
]


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Slices of CHUNK rows for executemany."""
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def bulk(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows in executemany batches."""
    for part in chunks(rows):
        session.execute(insert(table), part)


def generate(engine: Engine, pairs: int, sales: int, seed: int = 7) -> None:
    """Catalog, suppliers, `pairs` pairs for sale, `sales` sold pairs with sales and fees, market data."""
    rng = random.Random(seed)
    today = date.today()
    now = datetime.now(UTC)
    variants = [(p, s) for p in range(1, PRODUCTS + 1) for s in range(len(SIZES))]
    with Session(engine) as session, session.begin():
        bulk(session, Product, [
            {"id": p, "product_key": f"BX{p:04d}-100", "sku": f"BX{p:04d}-100", "name": f"Bench Shoe {p}",
             "brand": BRANDS[p % len(BRANDS)], "created_at": now, "updated_at": now}
            for p in range(1, PRODUCTS + 1)
        ])  # fmt: skip
        bulk(session, Variant, [
            {"id": n + 1, "product_id": p, "size": SIZES[s], "size_norm": SIZES[s], "size_system": "us-m",
             "created_at": now}
            for n, (p, s) in enumerate(variants)
        ])  # fmt: skip
        bulk(session, Supplier, [
            {"id": n, "name": f"Supplier {n}", "kind": "retail", "created_at": now, "updated_at": now}
            for n in range(1, 21)
        ])  # fmt: skip
        items, sale_rows, fee_rows = [], [], []
        for n in range(1, pairs + sales + 1):
            variant = rng.randrange(len(variants))
            bought = today - timedelta(days=rng.randrange(0, 400))
            sold = n > pairs
            items.append({
                "id": n, "product_id": variants[variant][0], "variant_id": variant + 1, "condition": "new",
                "box_condition": "good", "purchase_price": Decimal(rng.randrange(8000, 30000)) / 100,
                "purchase_currency": "USD", "purchase_date": bought, "supplier_id": rng.randrange(1, 21),
                "location": f"Shelf {rng.randrange(1, 30)}", "status": "sold" if sold else "in_stock",
                "created_at": now, "updated_at": now,
            })  # fmt: skip
            if sold:
                sale_id = n - pairs
                price = Decimal(rng.randrange(10000, 40000)) / 100
                fee = (price * Decimal("0.12")).quantize(Decimal("0.01"))
                sold_at = datetime.combine(bought, time(12), UTC) + timedelta(days=rng.randrange(1, 60))
                sale_rows.append({
                    "id": sale_id, "platform": "stockx", "external_id": f"B-{sale_id}",
                    "product_id": variants[variant][0], "variant_id": variant + 1, "quantity": 1,
                    "sold_at": sold_at, "sale_price": price, "fees_total": fee, "payout": price - fee,
                    "currency": "USD", "status": "completed", "inventory_item_id": n, "source": "bench",
                    "created_at": now, "updated_at": now,
                })  # fmt: skip
                txn = (price * Decimal("0.09")).quantize(Decimal("0.01"))
                fee_rows += [
                    {"sale_id": sale_id, "name": "transaction_fee", "kind": "transaction", "currency": "USD",
                     "amount": txn, "rate": Decimal("0.09")},
                    {"sale_id": sale_id, "name": "payment_processing", "kind": "processing",
                     "currency": "USD", "amount": fee - txn, "rate": Decimal("0.03")},
                ]  # fmt: skip
        bulk(session, InventoryItem, items)
        bulk(session, Sale, sale_rows)
        bulk(session, SaleFee, fee_rows)
        market = [
            {"product_id": variants[v][0], "variant_id": v + 1, "source": "stockx", "currency": "USD",
             "lowest_ask": Decimal(rng.randrange(9000, 35000)) / 100,
             "highest_bid": Decimal(rng.randrange(7000, 9000)) / 100,
             "observed_at": now - timedelta(days=rng.uniform(0, 14))}
            for v in range(len(variants)) if v % 10  # every tenth size has no market data
            for _ in range(3)
        ]  # fmt: skip
        bulk(session, MarketPrice, market)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("products", "variants", "suppliers", "inventory_items", "sales"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                conn.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def in_process(url: str, args: list[str]) -> float:
    """Seconds to run the CLI in this process, stdout to /dev/null."""
    quiet = contextlib.redirect_stderr(io.StringIO())
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), quiet:
        start = perf_counter()
        app(["--db", url, *args], prog_name="soleflip", standalone_mode=False)
        return perf_counter() - start


def as_subprocess(url: str, args: list[str]) -> float:
    """Seconds to run `python -m soleflip_cli ...` to completion, stdout to /dev/null."""
    start = perf_counter()
    subprocess.run([sys.executable, "-m", "soleflip_cli", "--db", url, *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return perf_counter() - start


def median(fn: Callable[[], float], runs: int) -> float:
    """Median of `runs` timings after one warm-up."""
    fn()
    return statistics.median(fn() for _ in range(runs))


def check(url: str, pairs: int) -> None:
    """The JSON list holds exactly the pairs for sale."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        app(["--db", url, "inventory", "list", "--json"], prog_name="soleflip", standalone_mode=False)
    assert len(json.loads(out.getvalue())) == pairs


def load() -> str:
    """The 1-minute load average."""
    return f"load {os.getloadavg()[0]:.2f}"


def bench(name: str, url: str, engine: Engine, pairs: int, sales: int, runs: int) -> bool:
    """Time the empty database, generate, verify and time again; True when every command is < 1 s."""
    empty = median(lambda: as_subprocess(url, COMMANDS[0]), runs)
    print(
        f"{name}: `inventory list --json` on the empty database (start-up): {empty * 1e3:.0f} ms ({load()})"
    )
    start = perf_counter()
    generate(engine, pairs, sales)
    print(f"{name}: generated {pairs:,} pairs in stock + {sales:,} sold pairs with sales in "
          f"{perf_counter() - start:.1f} s")  # fmt: skip
    check(url, pairs)
    fast = True
    for args in COMMANDS:
        outside = median(lambda args=args: as_subprocess(url, args), runs)
        inside = median(lambda args=args: in_process(url, args), runs)
        fast = fast and outside < 1
        print(
            f"  {' '.join(args):24} subprocess {outside * 1e3:5.0f} ms  in-process {inside * 1e3:5.0f} ms  "
            f"{'ok' if outside < 1 else 'SLOW'} ({load()})"
        )
    return fast


def main() -> None:
    """Parse options, run SQLite then PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=50_000)
    parser.add_argument("--sales", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("SOLEFLIP_BENCH_POSTGRES_URL"))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SOLEFLIP_HOME"] = tmp
        os.environ.pop("SOLEFLIP_DATABASE_URL", None)
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        fast = bench("SQLite", url, engine, options.pairs, options.sales, options.runs)
        engine.dispose()
        if not options.postgres:
            print("PostgreSQL: skipped (pass --postgres URL or set SOLEFLIP_BENCH_POSTGRES_URL)")
        else:
            engine = db.make_engine(options.postgres)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            db.upgrade(engine)
            fast = (
                bench("PostgreSQL", options.postgres, engine, options.pairs, options.sales, options.runs)
                and fast
            )
            engine.dispose()
        print("every command < 1 s as a subprocess" if fast else "target missed: a command took >= 1 s")


if __name__ == "__main__":
    main()
