"""Engine and session factory, the SQLite default, and migrate-on-first-use."""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import DatabaseError as DriverDatabaseError

from soleflip_cli.errors import ConfigError, DatabaseError, interruption

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# psycopg's own warnings (a pipeline left on Ctrl-C) are not for users: the errors say what failed.
logging.getLogger("psycopg").addHandler(logging.NullHandler())

_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*['\"](?P<rev>[\w-]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision[^=]*=\s*['\"](?P<rev>[\w-]+)['\"]", re.M)


def migrations_dir() -> Path:
    """The Alembic script directory: inside the installed wheel, else the source checkout."""
    packaged = Path(str(resources.files("soleflip_cli"))) / "migrations"
    if (packaged / "env.py").exists():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "migrations"
    if (checkout / "env.py").exists():
        return checkout
    raise DatabaseError("the migrations directory is missing from this installation")


def head_revision() -> str:
    """The newest migration revision, read from the version files without importing alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (migrations_dir() / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if match := _REVISION.search(source):
            revisions.add(match["rev"])
        parents.update(m["rev"] for m in _DOWN.finditer(source))
    heads = revisions - parents
    if len(heads) != 1:
        raise DatabaseError(f"migrations have {len(heads)} heads ({sorted(heads)}); expected one")
    return heads.pop()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"invalid database URL: {exc}") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot create the database's folder {folder}: {exc.strerror or exc}",
                    hint="set SOLEFLIP_HOME or [database] url to a folder you can write to",
                ) from None
        kwargs["connect_args"] = {"timeout": 30}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"cannot use database URL {parsed!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def unused(url: str) -> bool:
    """Whether the database at `url` holds no soleflip schema yet: a SQLite file not made, or no tables.

    Asked without creating anything (a SQLite file that does not exist is not opened).
    """
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        path = Path(database).expanduser()
        if not path.exists() or (path.is_file() and path.stat().st_size == 0):
            return True  # an empty file is no database yet: opening it would write one (WAL)
    engine = make_engine(url)
    try:
        return schema_status(engine).current is None
    finally:
        engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's own lower() knows ASCII only: `Über Kicks` would not find `über kicks` as on PostgreSQL.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: object) -> object:
    """lower() for SQLite as Python (and PostgreSQL) lower text: every letter, not just ASCII."""
    return value.lower() if isinstance(value, str) else value


@dataclass(frozen=True)
class SchemaStatus:
    """Current and head revisions of a database."""

    url: str
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        """True when no migration is pending."""
        return self.current == self.head


def schema_status(engine: Engine) -> SchemaStatus:
    """Read the database's Alembic revision (a plain SQL query, no alembic import)."""
    head = head_revision()
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                current = None
            else:
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DriverDatabaseError as exc:  # cannot connect, or the file is not a database
        raise unreachable(engine, exc) from None
    return SchemaStatus(engine.url.render_as_string(hide_password=True), current, head)


def unreachable(engine: Engine, exc: DriverDatabaseError) -> DatabaseError:
    """The error for a database that cannot be opened (the URL shown without its password)."""
    reason = _first_line(exc)
    kind = _kind(reason)
    if kind == "other":
        kind = "file" if engine.dialect.name == "sqlite" else "unreachable"
    return DatabaseError(
        f"cannot open the database {engine.url.render_as_string(hide_password=True)}: {reason}",
        hint=_HINTS[kind],
    )


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (imports alembic), all of them in one transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    with engine.connect() as conn, _transactional_ddl(conn):
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


@contextmanager
def _transactional_ddl(conn: Connection) -> Iterator[None]:
    """A transaction that holds DDL too: committed at the end, rolled back on any exception.

    Python's sqlite3 opens a transaction only before DML, so each CREATE TABLE commits on its own and
    an interrupted first run left half a schema that no later run could migrate: on SQLite the
    transaction is begun explicitly, with the driver's own transaction handling off meanwhile.
    """
    if conn.dialect.name != "sqlite":
        with conn.begin():
            yield
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    level = driver.isolation_level
    driver.isolation_level = None
    try:
        with conn.begin():
            conn.exec_driver_sql("BEGIN")
            yield
    finally:
        driver.isolation_level = level


def ensure_schema(engine: Engine, notify: Callable[[str], None]) -> SchemaStatus:
    """Migrate a new or outdated database to head, telling `notify`; refuse a newer one.

    Runs that start together on a new database (cron) take turns: one migrates, the others wait
    for it and then find the schema at head.
    """
    from soleflip_cli.locking import SCHEMA, run_lock

    status = schema_status(engine)
    if status.up_to_date:
        return status
    with run_lock(engine, "schema upgrade", wait=True, on_wait=notify, lock=SCHEMA):
        return _migrate(engine, schema_status(engine), notify)


def _migrate(engine: Engine, status: SchemaStatus, notify: Callable[[str], None]) -> SchemaStatus:
    if status.up_to_date:
        return status
    if status.current is not None and not is_known_revision(status.current):
        raise DatabaseError(
            f"the database is at revision {status.current}, which this soleflip does not know",
            hint="upgrade soleflip, or point --db at another database",
        )
    notify(
        "Creating the database schema"
        if status.current is None
        else f"Upgrading the database schema {status.current} -> {status.head}"
    )
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"migration failed: {_first_line(exc)}") from exc
    return SchemaStatus(status.url, status.head, status.head)


def is_known_revision(revision: str) -> bool:
    """True when one of this soleflip's migration files names `revision` (no alembic import)."""
    return any(
        revision in path.read_text(encoding="utf-8") for path in (migrations_dir() / "versions").glob("*.py")
    )


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on any exception (Ctrl-C included).

    The database failing underneath (disk full, read-only file, connection lost) is a DatabaseError.
    """
    from sqlalchemy.orm import Session  # the ORM only for commands that use it (see tables.py)

    session = Session(engine, expire_on_commit=False)
    # The driver's own OperationalError too: bulk paths (PostgreSQL COPY) use the raw connection.
    failures = (OperationalError, engine.dialect.loaded_dbapi.OperationalError)
    try:
        yield session
        with _ctrl_c_after():
            session.commit()
    except failures as exc:
        with suppress(SQLAlchemyError, engine.dialect.loaded_dbapi.Error):  # a lost connection
            session.rollback()  # cannot roll back; the server rolls the transaction back itself
        if stop := _interrupted(exc):  # Ctrl-C in psycopg's pipeline surfaces as "cannot exit pipeline mode"
            raise type(stop)() from None
        raise operational_error(engine, exc) from exc
    except BaseException as exc:
        with suppress(SQLAlchemyError, engine.dialect.loaded_dbapi.Error):
            session.rollback()
        if not isinstance(exc, KeyboardInterrupt) and (stop := _interrupted(exc)):
            raise type(stop)() from None
        raise
    finally:
        session.close()


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """`engine.begin()` whose commit Ctrl-C or SIGTERM never cuts off (see _ctrl_c_after).

    A signal during the commit is acted on after it, as an InterruptedRunError (exit 130, or 143 for
    SIGTERM) saying the changes are kept: `db copy` is then complete, not "nothing was kept".
    """
    with engine.connect() as conn:
        begun = conn.begin()
        yield conn  # an exception leaves the connection, which rolls the transaction back
        try:
            with _ctrl_c_after():
                begun.commit()
        except KeyboardInterrupt as stop:
            word, error = interruption(stop)
            raise error(f"{word} just after its changes were committed: they are kept") from None


def _interrupted(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C (or SIGTERM: terminate.Terminated) being handled when the error came, if any."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


@contextmanager
def _ctrl_c_after() -> Iterator[None]:
    """Ctrl-C or SIGTERM during the block is acted on once it is done: a commit is never cut off half-way.

    (A KeyboardInterrupt just after the database's COMMIT, while SQLAlchemy was still finishing it,
    left the session unable to roll back: a traceback instead of exit 130.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous: dict[int, Any] = {}
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, lambda signum, frame: caught.append(signum))
    except ValueError:  # pragma: no cover - no signals here (not the main interpreter)
        yield
        return
    try:
        yield
    finally:
        for restored, handler in previous.items():
            signal.signal(restored, handler)
    for signum in dict.fromkeys(caught):
        handler = previous[signum]
        if callable(handler):
            handler(signum, None)  # Python's own raises KeyboardInterrupt; terminate's Terminated
        elif handler == signal.SIG_DFL:
            signal.raise_signal(signum)


def connection_of(db: Session | Connection) -> Connection:
    """The Core connection to run SQL on: the connection itself, or the session's."""
    return db if isinstance(db, Connection) else db.connection()


@contextmanager
def temporary_table(
    conn: Connection, name: str, columns: list[Column[Any]], rows: list[dict[str, Any]]
) -> Iterator[str]:
    """A TEMPORARY table `name` (no rowid on SQLite) holding `rows`, dropped when done; yields its name."""
    table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"], sqlite_with_rowid=False)
    table.create(conn)
    try:
        if rows:
            conn.execute(insert(table), rows)
        yield name
    except BaseException:
        # Ctrl-C mid-statement leaves the connection unusable: dropping would raise over the
        # KeyboardInterrupt. A temporary table goes with its connection anyway.
        with suppress(SQLAlchemyError):
            table.drop(conn)
        raise
    table.drop(conn)


@contextmanager
def connection_scope(engine: Engine) -> Iterator[Connection]:
    """A read-only unit of work on Core, without the ORM: one connection, rolled back when done.

    The database failing underneath (connection lost, disk failing) is a DatabaseError.
    """
    failures = (OperationalError, engine.dialect.loaded_dbapi.OperationalError)
    try:
        with engine.connect() as conn:
            yield conn
    except failures as exc:
        reason = _first_line(exc)
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseError(f"the database {where} failed: {reason}", hint=_HINTS[_kind(reason)]) from exc


def operational_error(engine: Engine, exc: Exception) -> DatabaseError:
    """What to tell the user when the database fails under a running command (the work is rolled back)."""
    where = engine.url.render_as_string(hide_password=True)
    reason = _first_line(exc)
    kind = _kind(reason)
    if kind == "read-only":
        message = f"the database {where} is read-only ({reason}); nothing was changed"
    elif kind == "disk":
        message = f"the disk is full or failing ({reason}); nothing of this change was kept"
    else:
        message = f"the database {where} failed: {reason}; the unfinished change was rolled back"
    return DatabaseError(message, hint=_HINTS[kind])


_HINTS = {
    "read-only": "soleflip needs write access to the database file and its directory",
    "disk": "free some disk space (or check the disk), then run the command again",
    "other": "check that the database is reachable (`soleflip paths`), then run the command again",
    "unreachable": "check the database URL (`soleflip paths`) and that the server is running",
    "file": "check that the file is a soleflip database and that you may read and write it and its "
    "directory (`soleflip paths`)",
}


def _kind(reason: str) -> str:
    lowered = reason.lower()
    if "readonly" in lowered or "read-only" in lowered:
        return "read-only"
    if any(sign in lowered for sign in ("disk is full", "no space left", "disk i/o error")):
        return "disk"
    return "other"
