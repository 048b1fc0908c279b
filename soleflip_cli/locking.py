"""One writer at a time: a lock per job (sync, import) that a second run cannot take."""

from __future__ import annotations

import fcntl
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from soleflip_cli.errors import DatabaseError, LockedError


@contextmanager
def run_lock(engine: Engine, name: str, *, wait: bool = False, timeout_s: float = 3600) -> Iterator[None]:
    """Hold the `name` lock for this database, or raise LockedError (exit 5) unless `wait`.

    SQLite: an flock on `<database>.<name>.lock` beside the file. PostgreSQL: a session-level
    advisory lock, so runs on different machines against one server exclude each other too.
    """
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, name, wait=wait, timeout_s=timeout_s):
            yield
        return
    database = engine.url.database or ":memory:"
    if database == ":memory:":
        yield
        return
    with _file_lock(Path(f"{database}.{name}.lock"), name, wait=wait, timeout_s=timeout_s):
        yield


def _locked(name: str) -> LockedError:
    return LockedError(
        f"another soleflip {name} is running on this database",
        hint="wait for it to finish, or pass --wait to queue behind it",
    )


@contextmanager
def _file_lock(path: Path, name: str, *, wait: bool, timeout_s: float) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseError(
            f"cannot open the lock file {path}: {exc.strerror}",
            hint="soleflip needs write access to the database's directory (it keeps its lock files there)",
        ) from None
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or time.monotonic() > deadline:
                    raise _locked(name) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def _pg_lock(engine: Engine, name: str, *, wait: bool, timeout_s: float) -> Iterator[None]:
    key = zlib.crc32(f"soleflip:{name}".encode())
    with engine.connect() as conn:
        deadline = time.monotonic() + timeout_s
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            conn.rollback()
            if not wait or time.monotonic() > deadline:
                raise _locked(name)
            time.sleep(0.2)
        conn.commit()
        try:
            yield
        finally:
            with suppress(OperationalError):  # a lost connection took its session-level lock with it
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
