"""`soleflip price apply` and `price history` end to end against the fake StockX, on both databases."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from soleflip_cli.clients.stockx.tokens import REFRESH_TOKEN
from soleflip_cli.secrets import SECRET_FILE, FileStore
from tests.conftest import Cli
from tests.fake_stockx import FakeStockX
from tests.pricing_data import listed_on_stockx, logged_in_store
from tests.reliability.procs import ctrl_c_default
from tests.test_cli_price import seed

APPLY = ("price", "apply", "--all", "--strategy", "match-lowest")


def setup(cli: Cli, fake: FakeStockX, tmp_path: Path, *asks: tuple[str, str, str]) -> dict[str, str]:
    def build(session: Session) -> None:
        for size, ask, market in asks:
            listed_on_stockx(session, fake, size, ask, market)

    seed(cli.url or "", build)
    logged_in_store(fake, tmp_path)
    return fake.env(requests_per_second=50)


def test_preview_needs_yes_then_apply_then_nothing_new(
    cli: Cli, fake_stockx: FakeStockX, tmp_path: Path
) -> None:
    env = setup(cli, fake_stockx, tmp_path, ("10", "250", "240"), ("11", "230", "230"))
    preview = cli(*APPLY, "--json", env=env)
    assert preview.exit_code == 2 and "pass --yes" in preview.stderr
    assert [row["status"] for row in json.loads(preview.stdout)] == ["would_update", "unchanged"]
    assert fake_stockx.count("/v2/") == 0

    done = cli(*APPLY, "--yes", "--json", env=env)
    assert done.exit_code == 0, done.stderr
    first = json.loads(done.stdout)[0]
    listing = first.pop("listing")
    assert fake_stockx.listings[listing].amount == 240
    assert first == {
        "item_id": 1,
        "pair": "Nike Dunk Low Panda",
        "sku": "DD1391-100",
        "size": "10",
        "old_ask": "250.00",
        "new_ask": "240",
        "currency": "USD",
        "payout": "206.20",
        "floor": "127",
        "status": "updated",
        "message": "match-lowest: lowest ask 240.00",
    }
    assert "1 updated, 0 failed, 0 pending;" in done.stderr and "0 rate-limited" in done.stderr

    before = fake_stockx.count("/v2/")
    again = cli(*APPLY, "--yes", "--json", env=env)
    assert again.exit_code == 0 and "Nothing to change." in again.stderr
    assert {row["status"] for row in json.loads(again.stdout)} == {"unchanged"}
    assert fake_stockx.count("/v2/") == before

    history = cli("price", "history", "--sku", "dd1391-100", "--json")
    assert history.exit_code == 0
    rows = json.loads(history.stdout)
    assert [(r["item_id"], r["old_ask"], r["new_ask"], r["status"], r["listing"]) for r in rows] == [
        (1, "250.00", "240.00", "succeeded", listing)
    ]
    assert rows[0]["at"].endswith("Z") and rows[0]["operation_id"]


def test_failed_operation_exits_3(cli: Cli, fake_stockx: FakeStockX, tmp_path: Path) -> None:
    env = setup(cli, fake_stockx, tmp_path, ("10", "250", "240"))
    fake_stockx.fail_operations("Ask amount is below the minimum")
    result = cli(*APPLY, "--yes", env=env)
    assert result.exit_code == 3
    assert "Ask amount is below the minimum" in result.stdout
    assert "1 ask changes failed and 0 are still pending" in result.stderr


def test_explicit_price_below_floor_is_refused(cli: Cli, fake_stockx: FakeStockX, tmp_path: Path) -> None:
    env = setup(cli, fake_stockx, tmp_path, ("10", "250", "240"))
    result = cli("price", "apply", "--item", "1", "--price", "120", "--yes", "--format", "csv", env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].endswith("refused,120 is below the floor 127")
    assert fake_stockx.count("/v2/") == 0


def test_apply_without_login_exits_4(cli: Cli, fake_stockx: FakeStockX, tmp_path: Path) -> None:
    env = setup(cli, fake_stockx, tmp_path, ("10", "250", "240"))
    env.pop("SOLEFLIP_STOCKX__API_KEY")
    result = cli(*APPLY, "--yes", env=env)
    assert result.exit_code == 4 and "API key" in result.stderr
    assert cli("price", "history", "--json").stdout == "[\n]\n"  # nothing recorded as pending


def test_429s_are_retried_and_counted(cli: Cli, fake_stockx: FakeStockX, tmp_path: Path) -> None:
    env = setup(cli, fake_stockx, tmp_path, ("10", "250", "240"))
    fake_stockx.inject("429", count=2, retry_after=0.05, path="/v2/selling/listings/")
    result = cli(*APPLY, "--yes", env=env)
    assert result.exit_code == 0, result.stderr
    assert "1 updated" in result.stderr and "2 rate-limited" in result.stderr


@pytest.mark.slow
def test_interrupted_run_resumes_without_a_second_patch(
    cli: Cli, fake_stockx: FakeStockX, tmp_path: Path
) -> None:
    """Ctrl-C while a real `soleflip` process polls; the next run finishes the change, sends nothing new."""
    env = setup(cli, fake_stockx, tmp_path, ("10", "250", "240"))
    fake_stockx.op_polls_to_complete = 10_000
    home = Path(os.environ["SOLEFLIP_HOME"])
    FileStore(home / SECRET_FILE, "test-key").set(REFRESH_TOKEN, fake_stockx.issue_refresh_token())
    child_env = (
        os.environ
        | env
        | {
            "SOLEFLIP_SECRET_KEY": "test-key",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
    )
    argv = [sys.executable, "-m", "soleflip_cli", "--db", cli.url or "", *APPLY, "--yes"]
    proc = subprocess.Popen(
        argv,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_default,
    )
    try:
        deadline = time.monotonic() + 60
        while fake_stockx.count("/v2/selling/listings/", "GET") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # wait until it is polling the operation
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    pending = json.loads(cli("price", "history", "--json").stdout)
    assert [(r["status"], bool(r["operation_id"])) for r in pending] == [("pending", True)]

    fake_stockx.op_polls_to_complete = 1
    resumed = cli(*APPLY, "--yes", "--json", env=env)
    assert resumed.exit_code == 0, resumed.stderr
    assert [r["status"] for r in json.loads(cli("price", "history", "--json").stdout)] == ["succeeded"]
    assert fake_stockx.count("/v2/selling/listings/", "PATCH") == 1
    assert fake_stockx.listings[pending[0]["listing"]].amount == 240
