"""A big reseller's own history: purchases then StockX sales, imported and re-imported, on both databases.

Generates N purchases (one pair each) and N StockX 2025-layout sales of the same SKUs and sizes (from
tests/importers/fixtures/stockx-2025.csv's first row: distinct order numbers, 1,000 SKUs, 10 sizes,
one sale every 13 minutes), then times, as a user runs them (`python -m soleflip_cli import csv`, a
subprocess: start-up included), on a fresh SQLite file and a fresh PostgreSQL database:
  purchases   the purchases file into the empty book
  sales       the sales file (each sale takes its pair, FIFO)
  again       both files again (nothing changes)
PostgreSQL should stay near SQLite: its lookups by id once took 5x as long (generic plans).

Usage: python bench/import_history.py [--sales N ...] [--pg ADMIN_URL]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "importers" / "fixtures" / "stockx-2025.csv"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
START = datetime(2024, 1, 1, 12)


def generate(count: int, folder: Path) -> tuple[Path, Path]:
    """The purchases and sales files of `count` pairs."""
    with FIXTURE.open(encoding="utf-8-sig", newline="") as source:
        header, base = list(csv.reader(source))[:2]
    at = {name: n for n, name in enumerate(header)}
    sales, purchases = folder / f"sales-{count}.csv", folder / f"purchases-{count}.csv"
    with (
        sales.open("w", newline="", encoding="utf-8") as s,
        purchases.open("w", newline="", encoding="utf-8") as p,
    ):
        sold, bought = csv.writer(s), csv.writer(p)
        sold.writerow(header)
        bought.writerow(["sku", "size", "cost", "currency", "purchase_date", "supplier"])
        for k in range(count):
            sku, size, when = (
                f"DD{1000 + k % 1000}-100",
                str(4 + (k // 1000) % 10),
                START + timedelta(minutes=13 * k),
            )
            row = list(base)
            row[at["Order Number"]] = f"{80000000 + k}-{80000000 + k}"
            row[at["Invoice Number"]] = f"1{k:07d}-{80000000 + k}"
            row[at["Style"]], row[at["Sku Size"]] = sku, size
            row[at["Sale Date"]] = when.strftime("%Y-%m-%d %H:%M:%S +00")
            sold.writerow(row)
            day = (when - timedelta(days=30)).date().isoformat()
            bought.writerow([sku, size, f"{80 + k % 50}.00", "EUR", day, f"shop {k % 12}"])
    return purchases, sales


def run(url: str, *files: Path) -> float:
    """Seconds of one `soleflip import csv FILE...` as a subprocess."""
    env = {**os.environ, "SOLEFLIP_DATABASE_URL": url, "NO_COLOR": "1"}
    began = time.perf_counter()
    command = [sys.executable, "-m", "soleflip_cli", "import", "csv", *map(str, files), "-o", "csv"]
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - began


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def book(name: str, folder: Path, admin: str) -> str:
    """A fresh database's URL: a SQLite file, or a PostgreSQL database made now."""
    if name == "SQLite":
        path = folder / "book.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    database = f"soleflip_history_{os.getpid()}"
    for sql in (f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", f"CREATE DATABASE {database}"):
        subprocess.run(["psql", libpq(admin), "-qc", sql], check=True, capture_output=True)
    return admin.rsplit("/", 1)[0] + f"/{database}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sales", type=int, nargs="+", default=[10_000, 40_000])
    parser.add_argument("--pg", default=os.environ.get("SOLEFLIP_BENCH_PG", PG_ADMIN), help="admin URL")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (a shared machine: expect noise)")
    print(f"{'sales':>7} {'database':10} {'purchases':>10} {'sales':>8} {'again':>8}")
    with tempfile.TemporaryDirectory(prefix="soleflip-history-") as work:
        folder = Path(work)
        for count in args.sales:
            purchases, sales = generate(count, folder)
            for name in ("SQLite", "PostgreSQL"):
                url = book(name, folder, args.pg)
                first, second, again = run(url, purchases), run(url, sales), run(url, purchases, sales)
                print(f"{count:>7,} {name:10} {first:9.1f}s {second:7.1f}s {again:7.1f}s")
        subprocess.run(
            [
                "psql",
                libpq(args.pg),
                "-qc",
                f"DROP DATABASE IF EXISTS soleflip_history_{os.getpid()} WITH (FORCE)",
            ],
            check=False,
            capture_output=True,
        )


if __name__ == "__main__":
    main()
