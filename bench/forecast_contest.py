"""Forecast accuracy and speed on the StockX contest data imported as market sales (issue 7 protocol).

The data is imported once with `soleflip import csv --format contest` (brands come from the
product names: adidas, Nike, Jordan).

Protocol: daily unit sales per series; 3 back-to-back 28-day windows ending on the last day
(2019-02-13); a series is scored in a window when it has >= 84 days since its first sale;
RMSSE scaled by the series' in-sample one-step naive MSE, averaged over series and windows.
The chosen method of each window is picked on earlier windows only. Prints every method's
RMSSE per level, the chosen RMSSE and its ratio to seasonal naive, and wall times; then the
same procedure on the 3 windows before those (a check that the design is not fit to the end).

Usage: python bench/forecast_contest.py [--db URL] [--csv PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli import db
from soleflip_cli.models import MarketSale
from soleflip_cli.services.forecast import LEVELS
from soleflip_cli.services.forecast_backtest import backtest_sales

ROOT = Path(__file__).resolve().parents[1]
CONTEST = ROOT.parent / "shared" / "data" / "stockx-contest-2019.csv"
SOURCE = "stockx-contest"
TARGETS = {"sku": 0.66, "brand/total": 2.40}


def load_contest(url: str, path: Path) -> str:
    """Import the contest CSV as market sales with `soleflip import csv --format contest` (once)."""
    engine = db.make_engine(url)
    db.ensure_schema(engine, lambda message: print(message, file=sys.stderr))
    with db.session_scope(engine) as session:
        loaded = session.scalar(
            select(func.count()).select_from(MarketSale).where(MarketSale.source == SOURCE)
        )
    engine.dispose()
    if loaded:
        return f"market sales already imported: {loaded}"
    began = time.perf_counter()
    command = [sys.executable, "-m", "soleflip_cli", "--db", url, "--quiet", "import", "csv", str(path)]
    subprocess.run([*command, "--format", "contest"], check=True, capture_output=True)
    seconds = time.perf_counter() - began
    return f"imported {path.name} with `soleflip import csv --format contest` in {seconds:.1f} s"


def _fmt(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.3f}"


def report(session: Session, as_of: date | None, title: str) -> dict[str, tuple[float, float]]:
    """Backtest every level and print its table; returns {level: (chosen rmsse, seasonal naive rmsse)}."""
    print(f"\n== {title} ==")
    out: dict[str, tuple[float, float]] = {}
    weights: dict[str, int] = {}
    for level in LEVELS:
        began = time.perf_counter()
        (bt,) = backtest_sales(session, levels=[level], source="market", as_of=as_of)
        seconds = time.perf_counter() - began
        assert bt.rmsse is not None and bt.seasonal_naive_rmsse is not None, bt.note
        print(f"\n{level}: {bt.series} series, as of {bt.as_of}, wall {seconds:.2f} s")
        print("  method           rmsse   mase   wape    bias  cov80  cov95  vs-snaive  seconds")
        for m in bt.methods:
            print(
                f"  {m.method:15s} {_fmt(m.rmsse)} {_fmt(m.mase)} {_fmt(m.wape)} {_fmt(m.bias)} "
                f"{_fmt(m.coverage_80)} {_fmt(m.coverage_95)}    {_fmt(m.ratio_to_seasonal_naive)} "
                f"{m.seconds:8.3f}"
            )
        picks = ", ".join(w.method for w in bt.window_choices)
        print(
            f"  CHOSEN (per window: {picks}) rmsse {_fmt(bt.rmsse)}, ratio to seasonal naive "
            f"{_fmt(bt.ratio_to_seasonal_naive)}, coverage 80/95 {_fmt(bt.coverage_80)}/"
            f"{_fmt(bt.coverage_95)}; next forecast uses {bt.chosen_method}"
        )
        out[level] = (bt.rmsse, bt.seasonal_naive_rmsse)
        weights[level] = sum(w.series for w in bt.window_choices)
    pooled = weights["brand"] + weights["total"]
    combined = (out["brand"][0] * weights["brand"] + out["total"][0] * weights["total"]) / pooled
    print(f"\nbrand/total (all {pooled} series-windows pooled): chosen rmsse {combined:.3f}")
    out["brand/total"] = (combined, 0.0)
    return out


def time_cli(url: str) -> float:
    """Wall time of `forecast backtest --by sku` and `forecast sales --by sku` (subprocesses, one core)."""
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    soleflip = [sys.executable, "-m", "soleflip_cli", "--db", url, "--quiet"]
    began = time.perf_counter()
    for args in (["backtest", "--by", "sku"], ["sales", "--by", "sku"]):
        subprocess.run(
            [*pin, *soleflip, "forecast", *args, "--source", "market", "--json"],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - began


def main() -> None:
    """Load (once), benchmark, print."""
    # One core, as the target says; numpy is not imported yet, so this reaches OpenBLAS.
    assert "numpy" not in sys.modules
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite:////tmp/soleflip-bench-forecast.db")
    parser.add_argument("--csv", type=Path, default=CONTEST)
    args = parser.parse_args()
    if not args.csv.exists():
        sys.exit(f"contest data not found at {args.csv}")
    print(load_contest(args.db, args.csv))
    engine = db.make_engine(args.db)
    with db.session_scope(engine) as session:
        latest = report(session, None, "evaluation: the last 3 windows (2018-11-22 .. 2019-02-13)")
        earlier = report(session, date(2019, 2, 13) - timedelta(days=84), "check: the 3 windows before those")
    cli_seconds = time_cli(args.db)
    print("\n== targets ==")
    sku = latest["sku"]
    print(
        f"sku chosen rmsse {sku[0]:.3f} (target <= {TARGETS['sku']}); ratio to seasonal naive "
        f"{sku[0] / sku[1]:.3f} (target <= 0.85)"
    )
    print(f"brand/total chosen rmsse {latest['brand/total'][0]:.3f} (target <= {TARGETS['brand/total']})")
    print(f"50 SKUs backtested + forecast through the CLI on one core: {cli_seconds:.1f} s (target < 20 s)")
    print(f"earlier-windows check: sku {earlier['sku'][0]:.3f} vs seasonal naive {earlier['sku'][1]:.3f}")


if __name__ == "__main__":
    main()
