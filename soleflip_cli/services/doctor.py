"""`soleflip doctor`: is this installation able to run unattended? Each check says what to fix."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soleflip_cli.errors import ApiError, AuthError, ConfigError, DatabaseError

if TYPE_CHECKING:
    import httpx

    from soleflip_cli.config import LoadedSettings
    from soleflip_cli.db import SchemaStatus
    from soleflip_cli.secrets import SecretStore

# Local clock vs the StockX auth server's `Date` header: tokens are refreshed 5 minutes early,
# so beyond that expiry handling breaks; a minute already deserves a look.
SKEW_WARN_S = 60.0
SKEW_FAIL_S = 300.0
NETWORK_TIMEOUT_S = 10.0
LOGIN = "soleflip auth login stockx"


class Status(StrEnum):
    """How a check came out: only `fail` makes `soleflip doctor` exit 1."""

    ok = "ok"
    warn = "warn"
    fail = "fail"
    skip = "skip"


@dataclass(frozen=True)
class Check:
    """One check: its name, outcome, what was found, and the command or step that fixes it."""

    name: str
    status: Status
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class Probe:
    """How the network checks reach StockX: the transport (None = the network) and the wall clock."""

    transport: httpx.BaseTransport | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


def diagnose(overrides: Mapping[str, Any], *, offline: bool, probe: Probe | None = None) -> list[Check]:
    """Run every check in order; later checks are skipped (with the reason) when what they need failed."""
    from soleflip_cli.config import load_settings
    from soleflip_cli.paths import resolve_paths

    try:
        loaded = load_settings(overrides)
    except ConfigError as exc:
        config_file = resolve_paths().config_file
        fix = f"edit {config_file} (every key is documented in config.example.toml), or move it aside"
        checks = [Check("config", Status.fail, exc.message, fix)]
        return checks + [Check(n, Status.skip, "needs a valid configuration") for n in _AFTER_CONFIG]
    checks = [check_config(loaded)]
    store, secrets = check_secrets(loaded)
    checks.append(secrets)
    checks.extend(check_database(loaded))
    if offline:
        return checks + [Check(n, Status.skip, "--offline") for n in ("stockx_login", "clock")]
    probe = probe or Probe()
    checks.append(check_login(loaded, store, probe))
    checks.append(check_clock(loaded.settings.stockx.auth_url, probe))
    return checks


_AFTER_CONFIG = ("secrets", "database", "migrations", "stockx_login", "clock")


def check_config(loaded: LoadedSettings) -> Check:
    """The config file parsed (or there is none and defaults apply)."""
    path = loaded.paths.config_file
    if not path.exists():
        return Check("config", Status.ok, f"no config file at {path}; defaults and SOLEFLIP_* apply")
    return Check("config", Status.ok, f"{path} is valid")


def check_secrets(loaded: LoadedSettings) -> tuple[SecretStore | None, Check]:
    """The OS keyring, else the encrypted file: usable (readable with this key) and private (0600)."""
    from soleflip_cli.clients.stockx.tokens import REFRESH_TOKEN
    from soleflip_cli.secrets import SECRET_FILE, open_store

    key = loaded.settings.secret_key
    path = loaded.paths.data_dir / SECRET_FILE
    try:
        store = open_store(loaded.paths.data_dir, key.get_secret_value() if key else None)
    except AuthError:
        fix = (
            "install and unlock an OS keyring, or export SOLEFLIP_SECRET_KEY=\"$(python -c 'from "
            "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')\" and keep it safe"
        )
        return None, Check("secrets", Status.warn, "no keyring backend and SOLEFLIP_SECRET_KEY is unset", fix)
    try:
        store.get(REFRESH_TOKEN)
    except AuthError as exc:
        fix = f"set SOLEFLIP_SECRET_KEY to the key that wrote {path}, or `rm {path}` and `{LOGIN}`"
        if store.backend_name.startswith("keyring"):
            fix = "unlock the OS keyring (or set SOLEFLIP_SECRET_KEY to use an encrypted file instead)"
        return None, Check("secrets", Status.fail, exc.message, fix)
    if store.backend_name.startswith("keyring") or not path.exists():
        return store, Check("secrets", Status.ok, store.backend_name)
    mode = path.stat().st_mode & 0o777
    if mode != 0o600:
        detail = f"{path} is readable by others (mode {mode:o})"
        return store, Check("secrets", Status.warn, detail, f"chmod 600 {path}")
    return store, Check("secrets", Status.ok, f"{store.backend_name} (mode 600)")


def check_database(loaded: LoadedSettings) -> list[Check]:
    """Reachable (and for SQLite writable) and at the head migration; never creates a database."""
    from soleflip_cli import db

    url = loaded.database_url()
    try:
        engine = db.make_engine(url)
    except (ConfigError, DatabaseError) as exc:  # a malformed URL, or a SQLite folder it cannot make
        fix = exc.hint or "fix SOLEFLIP_DATABASE_URL / --db (see `soleflip paths`)"
        return [
            Check("database", Status.fail, exc.message, fix),
            Check("migrations", Status.skip, "needs the database"),
        ]
    try:
        where = engine.url.render_as_string(hide_password=True)
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and not Path(database).exists():
            detail = f"{where} does not exist yet; soleflip creates it on first use"
            return [
                Check("database", Status.ok, detail),
                Check("migrations", Status.warn, "no schema yet", "soleflip db upgrade"),
            ]
        try:
            status = db.schema_status(engine)
        except DatabaseError as exc:
            fix = (
                "point SOLEFLIP_DATABASE_URL / --db at the right file (see `soleflip paths`), or restore "
                "a backup into a new one: soleflip --db sqlite:///NEW.db db restore BACKUP"
                if engine.dialect.name == "sqlite"
                else "start the PostgreSQL server, or fix SOLEFLIP_DATABASE_URL / --db (see `soleflip paths`)"
            )
            return [
                Check("database", Status.fail, exc.message, fix),
                Check("migrations", Status.skip, "needs the database"),
            ]
        return [_reachable(engine.dialect.name, where, database), _migrations(status)]
    finally:
        engine.dispose()


def _reachable(dialect: str, where: str, database: str | None) -> Check:
    if dialect == "sqlite" and database:
        file = Path(database)
        blocked = [p for p in (file, file.parent) if not os.access(p, os.W_OK)]
        if blocked:
            fix = "chmod u+w " + " ".join(str(p) for p in blocked)
            return Check("database", Status.fail, f"{where} is read-only for this user", fix)
    return Check("database", Status.ok, f"{where} ({dialect}) answers")


def _migrations(status: SchemaStatus) -> Check:
    from soleflip_cli import db

    if status.up_to_date:
        return Check("migrations", Status.ok, f"at head ({status.head})")
    if status.current is None:
        return Check("migrations", Status.warn, "no schema yet", "soleflip db upgrade")
    if not db.is_known_revision(status.current):
        detail = f"the database is at revision {status.current}, newer than this soleflip ({status.head})"
        fix = "upgrade soleflip to the version that wrote this database, or point --db at another one"
        return Check("migrations", Status.fail, detail, fix)
    detail = f"revision {status.current}; migrations up to {status.head} are pending (applied on next use)"
    return Check("migrations", Status.warn, detail, "soleflip db upgrade")


def check_login(loaded: LoadedSettings, store: SecretStore | None, probe: Probe) -> Check:
    """A logged-in installation can call StockX: one small authenticated request (refreshing if due)."""
    from soleflip_cli.clients.stockx import build_client
    from soleflip_cli.clients.stockx.tokens import REFRESH_TOKEN, stored_access_token

    if store is None:
        return Check("stockx_login", Status.skip, "no usable secret store (see secrets)")
    if store.get(REFRESH_TOKEN) is None:
        return Check("stockx_login", Status.skip, "not logged in to StockX (needed only for sync)", LOGIN)
    settings = _probe_settings(loaded)
    try:
        with build_client(
            settings, store, state_dir=loaded.paths.data_dir, transport=probe.transport
        ) as client:
            client.get_active_orders(page_size=1)
    except AuthError as exc:
        return Check("stockx_login", Status.fail, exc.message, LOGIN)
    except ApiError as exc:
        if exc.status is None:
            return Check("stockx_login", Status.skip, f"StockX unreachable: {exc.message}")
        return Check("stockx_login", Status.warn, exc.message, "try again later")
    access = stored_access_token(store)
    until = f"; access token valid until {access.expires_at:%Y-%m-%d %H:%M} UTC" if access else ""
    return Check("stockx_login", Status.ok, f"logged in, StockX answered{until}")


def _probe_settings(loaded: LoadedSettings) -> Any:
    """The StockX settings for a quick probe: no retries, a short timeout."""
    stockx = loaded.settings.stockx
    return stockx.model_copy(update={"max_retries": 0, "timeout_s": min(stockx.timeout_s, NETWORK_TIMEOUT_S)})


def check_clock(auth_url: str, probe: Probe) -> Check:
    """Local clock vs the `Date` header of the StockX auth server (any answer carries one)."""
    import httpx

    try:
        with httpx.Client(transport=probe.transport, timeout=NETWORK_TIMEOUT_S) as http:
            sent = probe.clock()
            response = http.get(auth_url.rstrip("/") + "/")
            received = probe.clock()
    except httpx.HTTPError as exc:
        return Check("clock", Status.skip, f"{auth_url} unreachable ({type(exc).__name__})")
    try:
        server = parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError):
        return Check("clock", Status.skip, f"{auth_url} sent no usable Date header")
    local = sent + (received - sent) / 2
    skew = (local - server).total_seconds()
    detail = f"local clock {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} {auth_url}"
    if abs(skew) <= SKEW_WARN_S:
        return Check("clock", Status.ok, detail)
    status = Status.fail if abs(skew) > SKEW_FAIL_S else Status.warn
    return Check("clock", status, detail, _clock_fix())


def _clock_fix() -> str:
    if sys.platform == "darwin":
        return "sudo sntp -sS time.apple.com"
    if sys.platform.startswith("win"):
        return "w32tm /resync"
    return "sudo timedatectl set-ntp true"


def failed(checks: list[Check]) -> list[Check]:
    """The checks that make `soleflip doctor` exit 1."""
    return [c for c in checks if c.status is Status.fail]
