"""Shared fixtures: isolation, real SQLite and PostgreSQL databases, and a CLI runner."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
from hypothesis import settings
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from soleflip_cli import db
from soleflip_cli.cli import app
from soleflip_cli.models import Base

pytest_plugins = ["tests.fake_stockx.fixtures"]

PG_URL = os.environ.get("SOLEFLIP_TEST_DATABASE_URL")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_DATA = SHARED / "data"
SAMPLES = SHARED_DATA / "samples"

# Property tests run without a per-example deadline (a shared 2-core machine makes timings noisy);
# `pytest --hypothesis-profile=deep` runs ten times the examples (tests/reliability/fuzz.py).
settings.register_profile("soleflip", deadline=None)
settings.register_profile("deep", settings.get_profile("soleflip"), max_examples=1000)
settings.load_profile("soleflip")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring so tests never touch the real OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """Point SOLEFLIP_HOME at a temp dir, strip real settings/credentials, use a memory keyring."""
    for name in list(os.environ):
        if name.startswith("SOLEFLIP_") and name != "SOLEFLIP_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    for name in ("NO_COLOR", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "soleflip-home"
    home.mkdir()
    monkeypatch.setenv("SOLEFLIP_HOME", str(home))
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _sqlite_savepoint_workaround(engine: Engine) -> None:
    """pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def _reset_postgres(url: str) -> Engine:
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.upgrade(engine)
    return engine


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """The migrated PostgreSQL test database (skipped without SOLEFLIP_TEST_DATABASE_URL)."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need SOLEFLIP_TEST_DATABASE_URL (see README: Testing)")
    engine = _reset_postgres(PG_URL)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated SQLite database file shared by the session-scoped tests."""
    path = tmp_path_factory.mktemp("sqlite") / "test.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    _sqlite_savepoint_workaround(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A Session inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        trans = conn.begin()
        db_session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield db_session
        finally:
            db_session.close()
            trans.rollback()


def truncate_all(engine: Engine) -> None:
    """Empty every table (PostgreSQL CLI tests share one database)."""
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for CLI tests: a fresh SQLite file, or the emptied PostgreSQL test db."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / f'cli-{uuid.uuid4().hex[:8]}.db'}"
        return
    pg: Engine = request.getfixturevalue("pg_engine")
    truncate_all(pg)
    yield pg.url.render_as_string(hide_password=False)
    truncate_all(pg)


@dataclass
class CliResult:
    """What a CLI invocation printed and returned."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None


class Cli:
    """Runs `soleflip` in-process against one database URL."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> CliResult:
        argv = (["--db", self.url] if self.url else []) + list(args)
        result = self.runner.invoke(app, argv, input=input, env=env, catch_exceptions=True)
        exc = result.exception if not isinstance(result.exception, SystemExit) else None
        return CliResult(result.exit_code, result.stdout, result.stderr, exc)


@pytest.fixture
def cli(db_url: str) -> Cli:
    """Invoke the CLI against the parametrised test database (SQLite and PostgreSQL)."""
    return Cli(db_url)


@pytest.fixture
def cli_nodb() -> Cli:
    """Invoke the CLI with no --db (the embedded default under SOLEFLIP_HOME)."""
    return Cli(None)
