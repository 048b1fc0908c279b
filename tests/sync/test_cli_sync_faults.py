"""`soleflip sync stockx` under faults: lock, token expiry, revoked login, 429s, pacing, kill -9."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from soleflip_cli.locking import run_lock
from soleflip_cli.models import Sale
from soleflip_cli.secrets import SECRET_FILE, FileStore
from tests.conftest import Cli
from tests.fake_stockx import FakeStockX, add_orders
from tests.sync.helpers import count, sync_json


def test_a_second_sync_exits_5(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    with run_lock(synced_db, "sync"):
        result = cli("sync", "stockx")
    assert (result.exit_code, result.stdout) == (5, "")
    assert "another soleflip sync (pid " in result.stderr
    assert stockx.count("/v2/") == 0


def test_token_expiry_mid_run_refreshes_once(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    add_orders(stockx, 250)
    stockx.expire_tokens_after = 2
    result = sync_json(cli)
    assert result["orders"]["inserted"] == 250
    assert result["requests"] == 6  # five pages and the one retry after the 401
    assert stockx.grants["refresh_token"] == 2 and stockx.statuses[401] == 1


def test_revoked_login_exits_4(stockx: FakeStockX, cli: Cli, synced_db: Engine) -> None:
    add_orders(stockx, 3)
    stockx.revoke_refresh_tokens()
    result = cli("sync", "stockx", "--json")
    assert (result.exit_code, result.stdout) == (4, "")
    assert "invalid_grant" in result.stderr and "soleflip auth login stockx" in result.stderr
    assert stockx.count("/v2/") == 0


def test_revoked_login_mid_run_exits_4_and_keeps_pages(
    stockx: FakeStockX, cli: Cli, synced_db: Engine
) -> None:
    sync_json(cli, "--orders")  # leaves a live access token in the keyring
    add_orders(stockx, 150)
    stockx.revoke_refresh_tokens()
    stockx.expire_tokens_after = 3  # the third call (second history page) meets a dead token
    result = cli("sync", "stockx", "--orders")
    assert result.exit_code == 4
    assert count(synced_db, Sale.id) == 100  # the first page was committed


@pytest.mark.parametrize("retry_after", [1, None])
def test_429_is_waited_out(stockx: FakeStockX, cli: Cli, synced_db: Engine, retry_after: int | None) -> None:
    add_orders(stockx, 150)
    stockx.inject("429", retry_after=retry_after, path="/v2/selling/orders/history", after=1)
    started = time.monotonic()
    result = sync_json(cli, "--orders")
    assert result["orders"]["inserted"] == 150
    assert (result["requests"], result["rate_limited"]) == (4, 1)
    assert time.monotonic() - started >= (1.0 if retry_after else 0.5)


@pytest.mark.slow
def test_pacing_never_trips_the_rate_limit(
    stockx: FakeStockX, cli: Cli, synced_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_orders(stockx, 800)
    stockx.rate_limit, stockx.rate_tolerance_s = 4, 0.1  # 5 calls within 0.9 s would be a 429
    monkeypatch.setenv("SOLEFLIP_STOCKX__REQUESTS_PER_SECOND", "4")
    result = sync_json(cli)
    assert result["requests"] == 10 and result["rate_limited"] == 0 and stockx.rate_limited == 0
    arrivals = [r.at for r in stockx.log if r.path.startswith("/v2/")]
    assert arrivals[-1] - arrivals[0] >= 9 * 0.25 * 0.9  # ten calls paced 0.25 s apart


@pytest.mark.slow
def test_kill_mid_sync_resumes_without_gap_or_duplicate(
    stockx: FakeStockX, cli: Cli, synced_db: Engine, tmp_path: Path
) -> None:
    add_orders(stockx, 1000)
    key = Fernet.generate_key().decode()
    home = Path(os.environ["SOLEFLIP_HOME"])
    FileStore(home / SECRET_FILE, key).set("stockx.refresh_token", stockx.issue_refresh_token())
    env = os.environ | {
        "SOLEFLIP_SECRET_KEY": key,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    # The fourth history page hangs: by the time it is asked for, three pages are committed.
    stockx.inject("delay", seconds=60, path="/v2/selling/orders/history", after=3)
    assert cli.url is not None
    argv = [sys.executable, "-m", "soleflip_cli", "--db", cli.url, "sync", "stockx", "--orders", "--json"]
    log = (tmp_path / "sync.log").open("w")
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while stockx.faults and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not stockx.faults, (tmp_path / "sync.log").read_text()
    finally:
        proc.kill()
        proc.wait()
        log.close()
    assert count(synced_db, Sale.id) == 300
    stockx.reset_counters()
    for _ in range(50):  # PostgreSQL frees the dead run's advisory lock when it sees the socket close
        result = cli("sync", "stockx", "--orders", "--json")
        if result.exit_code != 5:
            break
        time.sleep(0.1)
    assert result.exit_code == 0, result.stderr
    assert stockx.count("/v2/selling/orders/history") == 7  # pages 4-10 only
    assert count(synced_db, Sale.id) == 1000
    assert set(stockx.orders) == set(_order_numbers(synced_db))


def _order_numbers(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(Sale.external_id)))
