"""Requests and time of `soleflip sync stockx` against the fake StockX: first sync of N orders, then re-sync.

Targets (issue 5 §6): a first sync uses ceil(N/100) history pages plus a small constant, a re-sync
with nothing new at most 3 requests, and the client's own pacing never earns a 429. Each run is a
real `python -m soleflip_cli` process on a fresh SQLite database; the fake enforces the same rate
as the client is configured for. Usage: python bench/sync_stockx.py [N ...] [--rate RPS]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from soleflip_cli.secrets import SECRET_FILE, FileStore  # noqa: E402
from tests.fake_stockx import FakeStockX, add_listing, add_orders, seed_catalog  # noqa: E402


def run_sync(env: dict[str, str], db_url: str) -> tuple[dict[str, object], float]:
    """One `soleflip sync stockx --json` process: its JSON and wall time."""
    argv = [sys.executable, "-m", "soleflip_cli", "--db", db_url, "sync", "stockx", "--json"]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"sync failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout), elapsed


def measure(orders: int, rate: float) -> dict[str, object]:
    """First sync and re-sync of `orders` completed orders plus a few active ones and listings."""
    fake = FakeStockX()
    seed_catalog(fake)
    add_orders(fake, orders)
    add_orders(fake, 3, status="SHIPPED")
    for size in ("9", "10", "11"):
        add_listing(fake, "HQ4540", size, 300)
    fake.rate_limit = rate
    fake.start()
    try:
        with tempfile.TemporaryDirectory() as home:
            key = Fernet.generate_key().decode()
            FileStore(Path(home) / SECRET_FILE, key).set("stockx.refresh_token", fake.issue_refresh_token())
            env = {k: v for k, v in os.environ.items() if not k.startswith("SOLEFLIP_")}
            env |= fake.env(requests_per_second=rate) | {
                "SOLEFLIP_HOME": home,
                "SOLEFLIP_SECRET_KEY": key,
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            }
            db_url = f"sqlite:///{home}/bench.db"
            first, first_s = run_sync(env, db_url)
            pages = fake.count("/v2/selling/orders/history")
            fake.reset_counters()
            again, again_s = run_sync(env, db_url)
    finally:
        fake.stop()
    return {
        "orders": orders,
        "target_pages": math.ceil(orders / 100),
        "history_pages": pages,
        "first_requests": first["requests"],
        "first_s": first_s,
        "resync_requests": again["requests"],
        "resync_s": again_s,
        "rate_limited": int(str(first["rate_limited"])) + int(str(again["rate_limited"])),
        "fake_429s": fake.rate_limited,
    }


def main() -> None:
    """Print one line per N."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000, 5000])
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second (client and fake)")
    args = parser.parse_args()
    print(
        f"rate {args.rate:g} req/s on both sides; "
        "first sync = 1 active page + history pages + 1 listings page"
    )
    print(
        f"{'orders':>7} {'ceil(N/100)':>11} {'hist pages':>10} {'1st reqs':>8} {'1st s':>7} "
        f"{'re-sync reqs':>12} {'re-sync s':>9} {'429s':>5} {'at 1 req/s':>10}"
    )
    for size in args.sizes:
        r = measure(size, args.rate)
        at_one = f"{int(str(r['first_requests'])) / 60:.1f} min"
        print(
            f"{r['orders']:>7} {r['target_pages']:>11} {r['history_pages']:>10} {r['first_requests']:>8} "
            f"{r['first_s']:>7.2f} {r['resync_requests']:>12} {r['resync_s']:>9.2f} "
            f"{r['rate_limited']:>5} {at_one:>10}"
        )


if __name__ == "__main__":
    main()
