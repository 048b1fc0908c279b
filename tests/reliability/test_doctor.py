"""`soleflip doctor`: every check's ok and failure paths, on SQLite and PostgreSQL, never a secret printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import keyring
import keyring.backends.fail
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from soleflip_cli import db
from soleflip_cli.secrets import SECRET_FILE, FileStore
from soleflip_cli.services.doctor import Probe, Status, check_clock
from tests.conftest import Cli, CliResult, MemoryKeyring
from tests.fake_stockx import FakeStockX
from tests.test_startup import PROBE

NAMES = ["config", "secrets", "database", "migrations", "stockx_login", "clock"]
NOWHERE = "http://127.0.0.1:1"  # nothing listens: "offline"


def doctor(cli: Cli, *args: str) -> tuple[CliResult, dict[str, dict[str, Any]]]:
    """Run `doctor --json ARGS`; the result and the checks by name (in the documented order)."""
    result = cli("doctor", "--json", *args)
    assert result.exception is None, result.exception
    data = json.loads(result.stdout)
    assert [c["name"] for c in data["checks"]] == NAMES
    assert data["ok"] is (result.exit_code == 0)
    return result, {c["name"]: c for c in data["checks"]}


def exit_for(result: CliResult, failed: list[str]) -> None:
    """Exit 1 naming the failed checks on stderr, or exit 0 with a clean stderr."""
    if failed:
        assert result.exit_code == 1
        assert f"Error: {len(failed)} check(s) failed: {', '.join(failed)}" in result.stderr
    else:
        assert (result.exit_code, result.stderr) == (0, "")


@pytest.fixture
def home() -> Path:
    """This test's SOLEFLIP_HOME."""
    return Path(os.environ["SOLEFLIP_HOME"])


@pytest.fixture
def upgraded(cli: Cli) -> Cli:
    """The CLI on a test database at the head schema."""
    assert cli("db", "upgrade").exit_code == 0
    return cli


@pytest.fixture
def stockx(fake_stockx: FakeStockX, monkeypatch: pytest.MonkeyPatch) -> FakeStockX:
    """soleflip pointed at the fake StockX (not logged in yet)."""
    for name, value in fake_stockx.env().items():
        monkeypatch.setenv(name, value)
    return fake_stockx


@pytest.fixture
def logged_in(stockx: FakeStockX, isolated: MemoryKeyring) -> FakeStockX:
    """Logged in: a refresh token the fake knows, in the (memory) keyring."""
    isolated.set_password("soleflip", "stockx.refresh_token", stockx.issue_refresh_token())
    return stockx


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """StockX endpoints where nothing answers (tests never reach the real StockX)."""
    monkeypatch.setenv("SOLEFLIP_STOCKX__API_URL", NOWHERE + "/v2")
    monkeypatch.setenv("SOLEFLIP_STOCKX__AUTH_URL", NOWHERE)


@pytest.fixture
def no_keyring() -> None:
    """A system without a usable OS keyring (the isolation fixture puts the memory one back)."""
    keyring.set_keyring(keyring.backends.fail.Keyring())


def secrets_of(fake: FakeStockX, backend: MemoryKeyring) -> list[str]:
    """Every secret soleflip holds for `fake`: client secret, API key, refresh and access tokens."""
    stored = [value for (_, name), value in backend.store.items() if name.endswith("_token")]
    return [fake.client_secret, fake.api_key, *stored, *fake.refresh_tokens, *fake.access_tokens]


def test_everything_ok(upgraded: Cli, logged_in: FakeStockX, isolated: MemoryKeyring) -> None:
    result, checks = doctor(upgraded)
    exit_for(result, [])
    assert {name: c["status"] for name, c in checks.items()} == dict.fromkeys(NAMES, "ok")
    assert all(c["fix"] is None for c in checks.values())
    assert checks["secrets"]["detail"] == "keyring (tests.conftest.MemoryKeyring)"
    assert checks["migrations"]["detail"] == f"at head ({db.head_revision()})"
    assert checks["stockx_login"]["detail"].startswith("logged in, StockX answered; access token valid until")
    assert checks["clock"]["detail"].startswith("local clock ")
    assert logged_in.count("/v2/selling/orders/active") == 1  # one small authenticated call
    table = upgraded("doctor")
    assert table.exit_code == 0 and "stockx_login" in table.stdout
    leaked = [s for s in secrets_of(logged_in, isolated) if s in result.stdout + table.stdout]
    assert len(secrets_of(logged_in, isolated)) >= 5 and leaked == []


def test_a_malformed_config_file_fails_and_skips_the_rest(cli: Cli, home: Path) -> None:
    (home / "config.toml").write_text("base_currency = \n")
    result, checks = doctor(cli, "--offline")
    exit_for(result, ["config"])
    assert checks["config"]["status"] == "fail" and "not valid TOML" in checks["config"]["detail"]
    assert str(home / "config.toml") in checks["config"]["fix"]
    assert {checks[n]["status"] for n in NAMES[1:]} == {"skip"}


def test_a_valid_config_file_is_ok(upgraded: Cli, home: Path, offline: None) -> None:
    (home / "config.toml").write_text('base_currency = "EUR"\n')
    result, checks = doctor(upgraded, "--offline")
    exit_for(result, [])
    assert checks["config"] == {
        "name": "config",
        "status": "ok",
        "detail": f"{home / 'config.toml'} is valid",
        "fix": None,
    }
    assert checks["stockx_login"]["detail"] == checks["clock"]["detail"] == "--offline"


def test_no_keyring_and_no_key_is_a_warning(upgraded: Cli, no_keyring: None, offline: None) -> None:
    result, checks = doctor(upgraded)
    exit_for(result, [])  # soleflip works without StockX; only logging in needs a secret store
    assert checks["secrets"]["status"] == "warn"
    assert "SOLEFLIP_SECRET_KEY" in checks["secrets"]["fix"]
    assert checks["stockx_login"] == {
        "name": "stockx_login",
        "status": "skip",
        "detail": "no usable secret store (see secrets)",
        "fix": None,
    }
    assert checks["clock"]["status"] == "skip" and "unreachable" in checks["clock"]["detail"]


@pytest.mark.parametrize(
    ("mode", "right_key", "status"),
    [(0o600, True, "ok"), (0o644, True, "warn"), (0o600, False, "fail")],
    ids=["private", "readable-by-others", "wrong-key"],
)
def test_the_encrypted_secrets_file(
    upgraded: Cli,
    home: Path,
    no_keyring: None,
    monkeypatch: pytest.MonkeyPatch,
    mode: int,
    right_key: bool,
    status: str,
) -> None:
    key = Fernet.generate_key().decode()
    path = home / SECRET_FILE
    FileStore(path, key).set("stockx.refresh_token", "v1.the-refresh-token-value")
    path.chmod(mode)
    monkeypatch.setenv("SOLEFLIP_SECRET_KEY", key if right_key else Fernet.generate_key().decode())
    result, checks = doctor(upgraded, "--offline")
    exit_for(result, ["secrets"] if status == "fail" else [])
    secrets = checks["secrets"]
    assert secrets["status"] == status
    if status == "ok":
        assert secrets["detail"] == f"encrypted file {path} (mode 600)"
    elif status == "warn":
        assert secrets["fix"] == f"chmod 600 {path}"
    else:
        assert secrets["detail"] == f"SOLEFLIP_SECRET_KEY does not decrypt {path}"
        assert f"rm {path}" in secrets["fix"] and "soleflip auth login stockx" in secrets["fix"]
    assert "the-refresh-token-value" not in result.stdout + result.stderr


def test_an_unreachable_postgresql_fails() -> None:
    result, checks = doctor(Cli("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/none"), "--offline")
    exit_for(result, ["database"])
    assert checks["database"]["detail"].startswith(
        "cannot open the database postgresql+psycopg://nobody:***@127.0.0.1:1/none"
    )
    assert "start the PostgreSQL server" in checks["database"]["fix"]
    assert checks["migrations"]["status"] == "skip"
    assert "hunter2" not in result.stdout + result.stderr


def test_a_file_that_is_not_a_database_fails(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a SQLite database file, just text\n" * 100)
    result, checks = doctor(Cli(f"sqlite:///{garbage}"), "--offline")
    exit_for(result, ["database"])
    assert checks["database"]["detail"].endswith("file is not a database")
    assert "db restore" in checks["database"]["fix"]


def test_a_new_sqlite_database_is_not_created_by_doctor(cli_nodb: Cli, home: Path) -> None:
    result, checks = doctor(cli_nodb, "--offline")
    exit_for(result, [])
    assert checks["database"]["detail"].endswith("does not exist yet; soleflip creates it on first use")
    assert (checks["migrations"]["status"], checks["migrations"]["fix"]) == ("warn", "soleflip db upgrade")
    assert not (home / "soleflip.db").exists()


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A SQLite database file this user cannot write (immutable when running as root)."""
    path = tmp_path / "ro.db"
    assert Cli(f"sqlite:///{path}")("db", "upgrade").exit_code == 0
    path.chmod(0o444)
    immutable = False
    if os.access(path, os.W_OK):  # root ignores modes
        immutable = subprocess.run(["chattr", "+i", str(path)], check=False).returncode == 0  # noqa: S607
        if not immutable:
            pytest.skip("cannot make a file read-only for this user here")
    yield path
    if immutable:
        subprocess.run(["chattr", "-i", str(path)], check=True)  # noqa: S607
    path.chmod(0o644)


def test_a_read_only_sqlite_database_fails(read_only: Path) -> None:
    result, checks = doctor(Cli(f"sqlite:///{read_only}"), "--offline")
    exit_for(result, ["database"])
    assert checks["database"]["detail"].endswith("is read-only for this user")
    assert checks["database"]["fix"] == f"chmod u+w {read_only}"


@pytest.mark.parametrize(
    ("revision", "status"), [("0001", "warn"), ("9999_from_the_future", "fail")], ids=["older", "newer"]
)
def test_migrations_behind_or_ahead(upgraded: Cli, revision: str, status: str) -> None:
    assert upgraded.url is not None
    engine = db.make_engine(upgraded.url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        result, checks = doctor(upgraded, "--offline")
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": db.head_revision()})
        engine.dispose()
    exit_for(result, ["migrations"] if status == "fail" else [])
    migrations = checks["migrations"]
    assert migrations["status"] == status
    if status == "warn":
        assert migrations["fix"] == "soleflip db upgrade" and "pending" in migrations["detail"]
    else:
        assert "newer than this soleflip" in migrations["detail"] and "upgrade soleflip" in migrations["fix"]


def test_not_logged_in_skips_the_login_check(upgraded: Cli, stockx: FakeStockX) -> None:
    result, checks = doctor(upgraded)
    exit_for(result, [])
    assert checks["stockx_login"] == {
        "name": "stockx_login",
        "status": "skip",
        "detail": "not logged in to StockX (needed only for sync)",
        "fix": "soleflip auth login stockx",
    }
    assert stockx.count("/v2/") == 0


def test_a_revoked_login_fails(upgraded: Cli, logged_in: FakeStockX, isolated: MemoryKeyring) -> None:
    logged_in.revoke_refresh_tokens()
    result, checks = doctor(upgraded)
    exit_for(result, ["stockx_login"])
    login = checks["stockx_login"]
    assert "invalid_grant" in login["detail"] and login["fix"] == "soleflip auth login stockx"
    assert not [s for s in secrets_of(logged_in, isolated) if s in result.stdout + result.stderr]


def test_a_stockx_outage_is_a_warning(upgraded: Cli, logged_in: FakeStockX) -> None:
    logged_in.inject("status", status=503, path="/v2/selling/orders/active")
    result, checks = doctor(upgraded)
    exit_for(result, [])
    assert checks["stockx_login"]["status"] == "warn" and "HTTP 503" in checks["stockx_login"]["detail"]


def test_offline_skips_login_and_clock(upgraded: Cli, isolated: MemoryKeyring, offline: None) -> None:
    isolated.set_password("soleflip", "stockx.refresh_token", "v1.some-refresh-token")
    isolated.set_password("soleflip", "stockx.client_id", "client-id")
    isolated.set_password("soleflip", "stockx.client_secret", "client-secret-value")
    isolated.set_password("soleflip", "stockx.api_key", "api-key-value")
    result, checks = doctor(upgraded)
    exit_for(result, [])
    assert checks["stockx_login"]["status"] == "skip"
    assert checks["stockx_login"]["detail"].startswith("StockX unreachable")
    assert checks["clock"]["status"] == "skip"
    for secret in ("v1.some-refresh-token", "client-secret-value", "api-key-value"):
        assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("offset_s", "status", "word"),
    [(0, "ok", None), (-120, "warn", "ahead of"), (900, "fail", "behind")],
    ids=["in-sync", "two-minutes", "fifteen-minutes"],
)
def test_clock_skew_against_the_stockx_server(
    upgraded: Cli, stockx: FakeStockX, offset_s: float, status: str, word: str | None
) -> None:
    stockx.date_offset_s = offset_s  # the server's Date header: its clock, so ours looks off
    result, checks = doctor(upgraded)
    exit_for(result, ["clock"] if status == "fail" else [])
    clock = checks["clock"]
    assert clock["status"] == status
    if word is not None:
        assert word in clock["detail"] and clock["fix"] == "sudo timedatectl set-ntp true"


AUTH = "https://accounts.example"
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ahead_s", "status", "detail"),
    [
        (30, Status.ok, f"local clock 30 s ahead of {AUTH}"),
        (-90, Status.warn, f"local clock 90 s behind {AUTH}"),
        (301, Status.fail, f"local clock 301 s ahead of {AUTH}"),
    ],
)
def test_clock_skew_is_measured_from_the_date_header(ahead_s: int, status: Status, detail: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert (request.method, str(request.url)) == ("GET", AUTH + "/")
        return httpx.Response(404, headers={"Date": "Sat, 01 Mar 2025 12:00:00 GMT"})

    moments = iter([T0 + timedelta(seconds=ahead_s - 1), T0 + timedelta(seconds=ahead_s + 1)])
    check = check_clock(AUTH, Probe(httpx.MockTransport(handler), clock=lambda: next(moments)))
    assert (check.status, check.detail) == (status, detail)


@pytest.mark.parametrize("answer", ["no-date", "refused"])
def test_clock_is_skipped_without_an_answer(answer: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if answer == "refused":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200)

    check = check_clock(AUTH, Probe(httpx.MockTransport(handler)))
    assert check.status is Status.skip


def test_doctor_reads_the_schema_without_importing_alembic(upgraded: Cli) -> None:
    args = ["--db", str(upgraded.url), "doctor", "--offline"]
    heavy = ["alembic", "pandas", "statsmodels", "numpy"]
    probe = [sys.executable, "-c", PROBE.format(args=args, heavy=heavy)]
    proc = subprocess.run(probe, capture_output=True, text=True, check=False)  # noqa: S603
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
    assert "migrations    ok" in proc.stdout
