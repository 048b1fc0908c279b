"""Import speed and memory on the StockX contest file (99,956 rows), ours vs baselines, in one run.

For PostgreSQL and SQLite, each step runs in its own process (so peak RSS is per step):
  ours        `import_file` of the CSV into a fresh database (typed, validated, products and
              sizes created, market_sales with its keys, indexes and foreign keys), committed
  reimport    the same file again into that database (nothing changes)
  psql-copy   `psql -c "\\copy raw FROM file CSV HEADER"` into an all-text 8-column table (PostgreSQL)
  sqlite3     `sqlite3 .import` of the raw file into an all-text table (SQLite, for reference)
  pandas      pandas.read_csv + the same parsing (dates, money) + DataFrame.to_sql into a new table
  parse       reading, typing and validating the rows into records, no database (Python's share)
  floor       INSERT ... SELECT of the already-typed rows into an empty market_sales (no Python):
              what the table's unique key, index and foreign keys cost on their own; also with
              them taken off and rebuilt afterwards, as a big first load does (bulk_ddl; SQLite
              keeps its foreign keys)
Times are medians of --repeat runs (wall clock inside the step; psql/sqlite3 as whole commands).
Targets (issue 3): ours <= 5x psql-copy; ours >= 3x faster than pandas; reimport <= ours.
Memory: peak RSS of ours on the whole file vs on its first 10,000 rows (bounded by batch size), for
the importing process and for the biggest of the forked processes that parse a big file.

Usage: python bench/import_contest.py [--pg ADMIN_URL] [--repeat N] [--csv PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONTEST = ROOT.parent / "shared" / "data" / "stockx-contest-2019.csv"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RAW_TABLE = "raw_contest"


# ---- steps (run in a child process: `--step NAME --db URL --csv PATH`) ----------------------------


def step_ours(url: str, csv_path: Path, fresh: bool) -> dict[str, Any]:
    from soleflip_cli import db
    from soleflip_cli.services.import_ import import_file

    engine = db.make_engine(url)
    if fresh:
        _reset(engine)
    db.ensure_schema(engine, lambda _: None)
    began = time.perf_counter()
    with db.session_scope(engine) as session:
        result = import_file(session, csv_path, fmt="contest")
    seconds = time.perf_counter() - began
    engine.dispose()
    return {
        "seconds": seconds,
        "inserted": result.inserted,
        "unchanged": result.unchanged,
        "rows": result.rows,
    }


def _reset(engine: Any) -> None:
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        Path(str(engine.url.database)).unlink(missing_ok=True)


def step_pandas(url: str, csv_path: Path) -> dict[str, Any]:
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    began = time.perf_counter()
    frame = pd.read_csv(csv_path, dtype=str, skipinitialspace=True)
    frame["Order Date"] = pd.to_datetime(frame["Order Date"], format="%m/%d/%y").dt.date
    frame["Release Date"] = pd.to_datetime(frame["Release Date"], format="%m/%d/%y").dt.date
    for column in ("Sale Price", "Retail Price"):
        frame[column] = pd.to_numeric(frame[column].str.replace(r"[$,]", "", regex=True))
    frame["Shoe Size"] = pd.to_numeric(frame["Shoe Size"])
    frame.to_sql("pandas_contest", engine, if_exists="replace", index=False)
    seconds = time.perf_counter() - began
    engine.dispose()
    return {"seconds": seconds, "rows": len(frame)}


def step_floor(url: str) -> dict[str, Any]:
    """The database's own cost: INSERT ... SELECT of the already-typed rows into an empty market_sales."""
    from sqlalchemy import create_engine, text

    from soleflip_cli.models import Base
    from soleflip_cli.services.bulk_ddl import Loosened

    columns = (
        "source, row_key, product_id, variant_id, sale_date, sale_price, currency, region, import_batch_id"
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(text(f"CREATE TEMP TABLE typed AS SELECT {columns} FROM market_sales"))
        empty = "TRUNCATE market_sales" if engine.dialect.name == "postgresql" else "DELETE FROM market_sales"
        conn.execute(text(empty))
        began = time.perf_counter()
        conn.execute(text(f"INSERT INTO market_sales ({columns}) SELECT {columns} FROM typed"))
        seconds = time.perf_counter() - began
        conn.execute(text(empty))
        began = time.perf_counter()
        loosened = Loosened(conn, Base.metadata.tables["market_sales"])
        if engine.dialect.name == "postgresql":  # SQLite cannot drop foreign keys
            loosened.drop_foreign_keys()
        loosened.drop_keys_and_indexes()
        conn.execute(text(f"INSERT INTO market_sales ({columns}) SELECT {columns} FROM typed"))
        loosened.restore()
        loose = time.perf_counter() - began
        trans.rollback()
    engine.dispose()
    return {"seconds": seconds, "loose": loose}


def step_parse(csv_path: Path) -> dict[str, Any]:
    """Reading, typing and validating every row into records, with no database at all."""
    from soleflip_cli.importers import ImportOptions, choose, reading

    began = time.perf_counter()
    source = reading.prepare(csv_path, csv_path.name)
    importer, rows = choose(source, "contest", None, ImportOptions())
    count = sum(1 for _ in importer.parse(rows))
    return {"seconds": time.perf_counter() - began, "rows": count}


def step_imports_only() -> dict[str, Any]:
    from soleflip_cli import db  # noqa: F401
    from soleflip_cli.services import import_  # noqa: F401

    return {"seconds": 0.0}


def run_step(args: argparse.Namespace) -> None:
    csv_path = Path(args.csv)
    if args.step == "ours":
        out = step_ours(args.db, csv_path, fresh=True)
    elif args.step == "reimport":
        out = step_ours(args.db, csv_path, fresh=False)
    elif args.step == "pandas":
        out = step_pandas(args.db, csv_path)
    elif args.step == "floor":
        out = step_floor(args.db)
    elif args.step == "parse":
        out = step_parse(csv_path)
    else:
        out = step_imports_only()
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The biggest forked parsing process (big files are parsed in children; see import_worker).
    out["child_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(out))


# ---- orchestration --------------------------------------------------------------------------------


def child(step: str, url: str, csv_path: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--step", step, "--db", url, "--csv", str(csv_path)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def timed(command: list[str], **kwargs: Any) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - began


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def bench_database(name: str, url: str, csv_path: Path, repeat: int, raw_copy: list[str]) -> dict[str, Any]:
    """Every step on one database; returns medians and peaks."""
    ours = [child("ours", url, csv_path) for _ in range(repeat)]
    again = [child("reimport", url, csv_path) for _ in range(repeat)]
    assert all(r["inserted"] == r["rows"] for r in ours), ours
    assert all(r["unchanged"] == r["rows"] for r in again), again
    floors = [child("floor", url, csv_path) for _ in range(repeat)]
    copies = [timed(raw_copy) for _ in range(repeat)]
    pandas = [child("pandas", url, csv_path) for _ in range(repeat)]
    return {
        "name": name,
        "ours": median([r["seconds"] for r in ours]),
        "ours_peak_mb": max(r["peak_mb"] for r in ours),
        "reimport": median([r["seconds"] for r in again]),
        "reimport_peak_mb": max(r["peak_mb"] for r in again),
        "copy": median(copies),
        "floor": median([f["seconds"] for f in floors]),
        "floor_loose": median([f["loose"] for f in floors]),
        "pandas": median([r["seconds"] for r in pandas]),
        "pandas_peak_mb": max(r["peak_mb"] for r in pandas),
        "rows": ours[0]["rows"],
    }


def pg_setup(admin: str) -> tuple[str, str]:
    """A throwaway database: its URL and name."""
    name = f"soleflip_bench_{os.getpid()}"
    subprocess.run(["psql", libpq(admin), "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return admin.rsplit("/", 1)[0] + f"/{name}", name


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", default=os.environ.get("SOLEFLIP_BENCH_PG", PG_ADMIN), help="admin URL")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--csv", default=str(CONTEST))
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        run_step(args)
        return
    csv_path = Path(args.csv)
    if not csv_path.exists():
        sys.exit(f"{csv_path} not found (the StockX contest file from ../shared/data)")
    print(
        f"file: {csv_path} ({csv_path.stat().st_size / 1e6:.1f} MB); repeat {args.repeat}; load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (a shared machine: expect noise)"
    )
    results = []
    work = Path(tempfile.mkdtemp(prefix="soleflip-bench-"))
    pg_url, pg_name = pg_setup(args.pg)
    try:
        columns = ", ".join(f"c{i} text" for i in range(8))
        copy = [
            "psql",
            libpq(pg_url),
            "-q",
            "-c",
            f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} ({columns}); TRUNCATE {RAW_TABLE}",
            "-c",
            f"\\copy {RAW_TABLE} FROM '{csv_path}' WITH (FORMAT csv, HEADER true)",
        ]
        results.append(bench_database("PostgreSQL", pg_url, csv_path, args.repeat, copy))
        sqlite_url = f"sqlite:///{work / 'bench.db'}"
        raw_db = work / "raw.db"
        sqlite_copy = ["sqlite3", str(raw_db), ".mode csv", f".import --skip 1 {csv_path} {RAW_TABLE}"]
        pg_copy = median([timed(copy) for _ in range(args.repeat)])
        sqlite = bench_database("SQLite", sqlite_url, csv_path, args.repeat, sqlite_copy)
        sqlite["sqlite3_import"], sqlite["copy"] = sqlite["copy"], pg_copy
        results.append(sqlite)
        memory = {
            "PostgreSQL": memory_bound(pg_url, csv_path, work),
            "SQLite": memory_bound(sqlite_url, csv_path, work),
        }
    finally:
        subprocess.run(
            ["psql", libpq(args.pg), "-qc", f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(work, ignore_errors=True)
    parse = median([child("parse", "", csv_path)["seconds"] for _ in range(args.repeat)])
    report(results, memory, parse)


def memory_bound(url: str, csv_path: Path, work: Path) -> dict[str, float]:
    """Peak RSS: interpreter + modules only, ours on the first 10,000 rows, ours on the whole file."""
    head = work / "head.csv"
    with csv_path.open(encoding="utf-8") as source, head.open("w", encoding="utf-8") as target:
        for index, line in enumerate(source):
            if index > 10_000:
                break
            target.write(line)
    small, whole = child("ours", url, head), child("ours", url, csv_path)
    return {
        "modules": child("modules", url, csv_path)["peak_mb"],
        "10k": small["peak_mb"],
        "100k": whole["peak_mb"],
        "10k_child": small["child_peak_mb"],
        "100k_child": whole["child_peak_mb"],
    }


def report(results: list[dict[str, Any]], memory: dict[str, dict[str, float]], parse: float) -> None:
    print(f"\nparse only (read, type, validate {results[0]['rows']:,} rows; no database): {parse:.2f} s")
    for r in results:
        print(f"\n{r['name']} ({r['rows']:,} rows)")
        print(f"  ours (import csv)         {r['ours']:7.2f} s   peak {r['ours_peak_mb']:6.0f} MB")
        print(f"  no-change re-import       {r['reimport']:7.2f} s   peak {r['reimport_peak_mb']:6.0f} MB")
        print(f"  psql \\copy, all-text      {r['copy']:7.2f} s")
        print(f"  INSERT of typed rows      {r['floor']:7.2f} s   (the schema's floor: indexes, keys)")
        print(f"  same, keys off + rebuilt  {r['floor_loose']:7.2f} s   (the floor of a big first load)")
        if "sqlite3_import" in r:
            print(f"  sqlite3 .import, all-text {r['sqlite3_import']:7.2f} s   (reference)")
        print(f"  pandas read_csv+to_sql    {r['pandas']:7.2f} s   peak {r['pandas_peak_mb']:6.0f} MB")
        print(f"  INSERT of typed rows / psql copy {r['floor'] / r['copy']:6.2f}x  (no Python at all)")
        ratios = (
            ("ours / psql copy", r["ours"] / r["copy"], "<= 5x", r["ours"] <= 5 * r["copy"]),
            ("pandas / ours", r["pandas"] / r["ours"], ">= 3x", r["pandas"] >= 3 * r["ours"]),
            ("re-import / first import", r["reimport"] / r["ours"], "<= 1x", r["reimport"] <= r["ours"]),
        )
        for label, value, target, met in ratios:
            print(f"  {label:25} {value:7.2f}x  (target {target}: {'met' if met else 'MISSED'})")
    for name, peaks in memory.items():
        print(
            f"\npeak RSS ({name}): modules only {peaks['modules']:.0f} MB, ours on 10,000 rows "
            f"{peaks['10k']:.0f} MB, on 99,956 rows {peaks['100k']:.0f} MB; each parsing process "
            f"{peaks['10k_child']:.0f} MB and {peaks['100k_child']:.0f} MB"
        )
    print("(SQLite's page cache is raised to at most 64 MiB during an import; it fills with the index.)")


if __name__ == "__main__":
    main()
