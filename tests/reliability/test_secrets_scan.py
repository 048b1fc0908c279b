"""No secret leaks: after login, syncs, failures and a crash, scan every output, file and database row.

The secrets are the StockX refresh and access tokens (every one the fake server issued), the
client secret, the API key, a mistyped refresh token and SOLEFLIP_SECRET_KEY itself. The places are
stdout and stderr of every run (tracebacks included), every file under SOLEFLIP_HOME (config file,
state files, lock files, the encrypted secrets file), the SQLite file with its WAL, and every
column of every row of every table on both databases.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import MetaData, select

from soleflip_cli import db
from soleflip_cli.secrets import SECRET_FILE, FileStore
from tests.fake_stockx import FakeStockX, add_orders
from tests.reliability.runs import RATE, SALES_INSERT, Finished, Soleflip, child_env

CONFIG = '# soleflip settings\nbase_currency = "USD"\n\n[inventory]\ndead_after_days = 120\n'


@dataclass
class Story:
    """Every run of the scenario, and every secret that existed along the way."""

    runs: dict[str, Finished] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)

    def run(self, soleflip: Soleflip, fake: FakeStockX, label: str, *args: str, stdin: str = "") -> Finished:
        """Run one command, remember its output and the tokens the fake has issued so far."""
        result = soleflip.run(*args, stdin=stdin)
        self.runs[label] = result
        self.note(fake)
        return result

    def note(self, fake: FakeStockX) -> None:
        """Add the fake's live tokens (call before revoking them)."""
        self.secrets |= set(fake.refresh_tokens) | set(fake.access_tokens)


@pytest.fixture
def soleflip(db_url: str, tmp_path: Path, fake_stockx: FakeStockX) -> Iterator[Soleflip]:
    """Processes with no OS keyring (so the encrypted file holds the secrets), pointed at the fake."""
    fake_stockx.rate_limit = RATE
    env = {
        "SOLEFLIP_SECRET_KEY": Fernet.generate_key().decode(),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "SOLEFLIP_STOCKX__API_URL": fake_stockx.api_url,
        "SOLEFLIP_STOCKX__AUTH_URL": fake_stockx.auth_url,
        "SOLEFLIP_STOCKX__REQUESTS_PER_SECOND": str(RATE),
        "SOLEFLIP_STOCKX__MAX_RETRIES": "1",
    }
    runner = Soleflip(db_url, child_env(env), tmp_path)
    yield runner
    runner.stop_all()


def test_no_secret_reaches_output_files_or_the_database(
    soleflip: Soleflip, fake_stockx: FakeStockX, db_url: str
) -> None:
    fake = fake_stockx
    fake.client_secret = "cs-" + secrets.token_urlsafe(32)  # unguessable, so a match is a real leak
    fake.api_key = "ak-" + secrets.token_urlsafe(32)
    home = Path(os.environ["SOLEFLIP_HOME"])
    key = soleflip.env["SOLEFLIP_SECRET_KEY"]
    (home / "config.toml").write_text(CONFIG)
    app = FileStore(home / SECRET_FILE, key)  # what `auth login` stores after asking on a terminal
    for name, value in (("client_id", fake.client_id), ("client_secret", fake.client_secret)):
        app.set(f"stockx.{name}", value)
    app.set("stockx.api_key", fake.api_key)
    typo = "v1.mistyped-" + Fernet.generate_key().decode()
    story = Story(secrets={fake.client_secret, fake.api_key, key, typo})

    def run(label: str, *args: str, stdin: str = "", code: int = 0) -> Finished:
        result = story.run(soleflip, fake, label, *args, stdin=stdin)
        assert result.exit_code == code, (label, result.stderr)
        return result

    run("login with a wrong token", "auth", "login", "stockx", "--refresh-token", "-", stdin=typo, code=4)
    run("login", "auth", "login", "stockx", "--refresh-token", "-", stdin=fake.issue_refresh_token())
    run("auth status", "auth", "status")
    run("auth status --json", "auth", "status", "--json")
    add_orders(fake, 150)
    run("sync", "sync", "stockx", "--json")
    fake.expire_access_tokens()  # 401: refresh, then retry
    add_orders(fake, 20, start=datetime(2025, 3, 1, tzinfo=UTC))
    run("sync after a 401", "sync", "stockx", "--orders", "--json")
    fake.inject("status", count=2, status=500, path="/v2/selling/orders/history")  # one try, one retry
    assert "HTTP 500" in run("sync with 500s", "sync", "stockx", "--orders", "--full", code=1).stderr
    add_orders(fake, 5, start=datetime(2025, 4, 1, tzinfo=UTC))
    crashed = soleflip.run_crashing(SALES_INSERT, "sync", "stockx", "--orders", "--full")
    story.runs["crash"] = crashed
    assert crashed.exit_code == 1 and "Traceback" in crashed.stderr and "InjectedCrash" in crashed.stderr
    run("doctor", "doctor", "--json")
    exposed = Soleflip(
        soleflip.url,
        soleflip.env
        | {"SOLEFLIP_STOCKX__CLIENT_SECRET": fake.client_secret, "SOLEFLIP_STOCKX__API_KEY": fake.api_key},
        soleflip.workdir,
    )
    story.runs["config show"] = exposed.run("config", "show")
    story.runs["config show --json"] = shown = exposed.run("config", "show", "--json")
    settings = json.loads(shown.stdout)["settings"]
    assert settings["stockx.client_secret"]["value"] == settings["stockx.api_key"]["value"] == "********"
    story.note(fake)
    fake.revoke_refresh_tokens()
    fake.expire_access_tokens()
    assert "invalid_grant" in run("sync after revocation", "sync", "stockx", code=4).stderr
    run("auth status after revocation", "auth", "status", "--json")
    run("doctor after revocation", "doctor", "--json", code=1)

    places = _outputs(story) | _files(home) | _sqlite_files(db_url) | _rows(db_url)
    leaks = sorted((where, s[:8] + "…") for where, text in places.items() for s in story.secrets if s in text)
    assert leaks == []
    # 7 secrets; 15 runs x 2 streams, 3 files in SOLEFLIP_HOME (+ the SQLite file and its lock), 13 tables
    assert len(story.secrets) >= 7 and len(places) >= 46

    secret_file = home / SECRET_FILE
    assert secret_file.stat().st_mode & 0o777 == 0o600
    stored = FileStore(secret_file, key)  # encrypted, yet it does hold the live login
    assert stored.get("stockx.client_secret") == fake.client_secret
    assert stored.get("stockx.refresh_token") in story.secrets
    assert set(json.loads(secret_file.read_text())) == {"version", "salt", "token"}


def _outputs(story: Story) -> dict[str, str]:
    places = {}
    for label, result in story.runs.items():
        places[f"{label}: stdout"] = result.stdout
        places[f"{label}: stderr"] = result.stderr
    return places


def _files(home: Path) -> dict[str, str]:
    files = [p for p in home.rglob("*") if p.is_file()]
    assert {SECRET_FILE, "config.toml"} <= {p.name for p in files}
    return {str(p): p.read_bytes().decode("latin-1") for p in files}


def _sqlite_files(url: str) -> dict[str, str]:
    if not url.startswith("sqlite"):
        return {}
    base = Path(db.make_engine(url).url.database or "")
    paths = [p for p in (base, Path(f"{base}-wal"), Path(f"{base}-shm"), Path(f"{base}.lock")) if p.exists()]
    return {str(p): p.read_bytes().decode("latin-1") for p in paths}


def _rows(url: str) -> dict[str, str]:
    """Every value of every row of every table, as text (one place per table)."""
    engine = db.make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            dumped = {
                f"table {table.name}": "\n".join(
                    "\t".join(str(value) for value in row) for row in conn.execute(select(table))
                )
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()
    assert dumped["table sales"].count("\n") >= 169  # the synced orders are there to be scanned
    return dumped
