"""One writer at a time: import, sync, listing, price apply and restore share a lock per database."""

from __future__ import annotations

import fcntl
import os
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from soleflip_cli.db import unreachable
from soleflip_cli.errors import DatabaseError, LockedError

# One lock for every writing job: an import and a sync write the same products and sales, so they
# must not overlap either (PostgreSQL would stall one on the other's uncommitted product, then fail
# it on the unique key; SQLite fails it with "database is locked"). Schema upgrades have their own.
WRITER = "writer"
SCHEMA = "schema"
_POLL_S = 0.2


@contextmanager
def run_lock(
    engine: Engine,
    job: str,
    *,
    wait: bool = False,
    timeout_s: float = 3600,
    grace_s: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
    lock: str = WRITER,
) -> Iterator[None]:
    """Hold this database's `lock` for `job`, or raise LockedError (exit 5) naming the holder.

    With `wait`, queue behind the holder (telling `on_wait` once) for up to `timeout_s` seconds;
    without it, for up to `grace_s` seconds (none by default). SQLite: an flock on `<database>.lock`
    (`<database>.schema.lock`) beside the file. PostgreSQL: a session-level advisory lock, so runs
    on different machines against one server exclude each other too.
    """
    patience = _Patience(wait, timeout_s if wait else grace_s, on_wait)
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, job, zlib.crc32(f"soleflip:{lock}".encode()), patience):
            yield
        return
    database = engine.url.database or ":memory:"
    if database == ":memory:":
        yield
        return
    path = Path(f"{database}.lock" if lock == WRITER else f"{database}.{lock}.lock")
    with _file_lock(path, job, patience):
        yield


class _Patience:
    """How long a run waits for the lock, what it says while waiting, and when that runs out."""

    def __init__(self, queued: bool, seconds: float, on_wait: Callable[[str], None] | None) -> None:
        self.queued = queued
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.on_wait = on_wait
        self.told = False

    def pause(self, holder: str | None) -> None:
        """One poll's wait behind `holder`, said once; LockedError once the wait is over."""
        if time.monotonic() >= self.deadline:
            raise self.refusal(holder)
        if self.on_wait is not None and not self.told:
            self.on_wait(f"Waiting for another soleflip {holder or 'run'} to finish…")
            self.told = True
        time.sleep(_POLL_S)

    def refusal(self, holder: str | None) -> LockedError:
        """Exit 5, naming the holder and what to do."""
        who = f"another soleflip {holder or 'run'}"
        if self.queued:
            return LockedError(f"{who} still holds this database after the wait", hint="try again later")
        if self.seconds > 0:
            return LockedError(
                f"{who} is still running on this database after {self.seconds:g} s",
                hint="pass --wait to queue behind it until it is done, or try again later",
            )
        return LockedError(
            f"{who} is running on this database",
            hint="wait for it to finish, or pass --wait to queue behind it",
        )


def _describe(label: str) -> str:
    """`import (pid 4242)` from the `4242 import` a holder writes; `run` when it is not written yet."""
    pid, _, job = label.strip().partition(" ")
    return f"{job} (pid {pid})" if pid.isdigit() and job else "run"


@contextmanager
def _file_lock(path: Path, job: str, patience: _Patience) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseError(
            f"cannot open the lock file {path}: {exc.strerror}",
            hint="soleflip needs write access to the database's directory (it keeps its lock files there)",
        ) from None
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            patience.pause(_describe(os.pread(fd, 256, 0).decode("utf-8", "replace")))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {job}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def _pg_lock(engine: Engine, job: str, key: int, patience: _Patience) -> Iterator[None]:
    try:
        connection = engine.connect()
    except OperationalError as exc:
        raise unreachable(engine, exc) from None
    with connection as conn:
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            holder = _pg_holder(conn, key)
            conn.rollback()
            patience.pause(holder)
        # The holder's job is its application_name, so a refused run can say who holds the lock.
        label = f"soleflip {os.getpid()} {job}"
        conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": label})
        conn.commit()
        try:
            yield
        finally:
            with suppress(OperationalError):  # a lost connection took its session-level lock with it
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


def _pg_holder(conn: Connection, key: int) -> str | None:
    row = conn.execute(
        text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = :k "
            "AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())"
        ),
        {"k": key},
    ).first()
    if row is None:
        return None
    name = str(row.application_name or "")
    return _describe(name.removeprefix("soleflip ")) if name.startswith("soleflip ") else "run"
