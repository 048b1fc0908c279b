"""`db backup`, `db restore` and `db export`: consistent snapshots, atomic files, all-or-nothing restores."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from soleflip_cli import db
from soleflip_cli.errors import BackupError, DatabaseError
from soleflip_cli.services import pgtools
from soleflip_cli.services.portable import write_portable
from soleflip_cli.services.transfer import (
    DEFAULT_BATCH,
    Progress,
    TableCount,
    TransferResult,
    count_rows,
    display_url,
    reflect_tables,
    snapshot,
)

_IO_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file grew past the allowed size (disk full or a file size limit)",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "the directory does not exist",
    errno.ENOTDIR: "a part of the path is not a directory",
}


def io_error(exc: OSError, path: Path) -> BackupError:
    """An OSError while writing `path`, as a message a person can act on."""
    reason = _IO_REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    return BackupError(f"cannot write {path}: {reason}", hint="nothing was written; choose another place")


def _check_destination(path: Path, *, force: bool, directory: bool) -> None:
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: the directory {path.parent} does not exist")
    if path.is_dir() and not directory:
        raise BackupError(f"{path} is a directory; name a file to write")
    if path.exists() and not path.is_dir() and directory:
        raise BackupError(f"{path} is a file; name a directory to export into")
    if path.exists() and not force and not (directory and not any(path.iterdir())):
        raise BackupError(f"{path} already exists", hint="pass --force to replace it (only once complete)")


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary sibling of `path` that replaces it only when the block succeeds."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
    try:
        yield tmp
        _fsync_tree(tmp)
        if path.is_dir():  # --force over an earlier export: keep it until the new one is in place
            path.rename(old)
        try:
            os.replace(tmp, path)
        except OSError:
            if old.exists():
                old.rename(path)
            raise
        _fsync_tree(path.parent, this_dir_only=True)
    except OSError as exc:
        raise io_error(exc, path) from None
    except sqlite3.Error as exc:
        raise BackupError(
            f"cannot write {path}: {exc} (is the disk full?)",
            hint="nothing was written; choose another place",
        ) from None
    finally:
        for leftover in (tmp, old, Path(f"{tmp}-journal")):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


@contextmanager
def _database_errors(action: str) -> Iterator[None]:
    """A database failure while reading (a dropped connection, a lock) as a clear error."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseError(f"{action} failed, nothing was written: {reason}") from None


def _fsync_tree(path: Path, *, this_dir_only: bool = False) -> None:
    if path.is_dir() and not this_dir_only:
        for child in path.iterdir():
            _fsync_tree(child)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _source_revision(engine: Engine) -> str:
    status = db.schema_status(engine)  # DatabaseError when the server is unreachable
    if status.current is None:
        raise BackupError(f"{status.url} holds no soleflip data yet; there is nothing to back up")
    return status.current


def backup_database(
    engine: Engine,
    path: Path,
    *,
    portable: bool = False,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress,
) -> TransferResult:
    """Write a consistent backup of the database to `path`, which appears only when complete.

    SQLite: the online backup API (a snapshot, safe while other processes write). PostgreSQL:
    `pg_dump -Fc` at an exported snapshot when pg_dump is on PATH. With `portable`, or for
    PostgreSQL without pg_dump: a zip of one CSV per table plus manifest.json.
    """
    started = time.monotonic()
    revision = _source_revision(engine)
    _check_destination(path, force=force, directory=False)
    kind = "portable" if portable else engine.dialect.name
    if kind == "postgresql" and not pgtools.available("pg_dump"):
        progress("pg_dump is not on PATH; writing a portable backup (zip of CSVs) instead")
        kind = "portable"
    progress(f"Backing up {display_url(engine)} to {path}")
    with _database_errors("backup"), _atomic(path) as tmp:
        if kind == "sqlite":
            counts = _sqlite_backup(engine, tmp)
        elif kind == "postgresql":
            kind, counts = "pg_dump", _pg_dump(engine, tmp)
        else:
            with snapshot(engine) as conn:
                manifest = write_portable(
                    conn,
                    reflect_tables(conn),
                    revision,
                    tmp,
                    as_zip=True,
                    batch_size=batch_size,
                    progress=progress,
                )
            counts = manifest.counts
    return TransferResult(
        action="backup",
        source=display_url(engine),
        target=str(path),
        format=kind,
        schema_revision=revision,
        tables=counts,
        bytes=path.stat().st_size,
        duration_s=time.monotonic() - started,
    )


def _sqlite_backup(engine: Engine, tmp: Path) -> tuple[TableCount, ...]:
    source = sqlite3.connect(engine.url.database or "", timeout=30)
    target = sqlite3.connect(tmp)
    try:
        source.backup(target)  # one step: a consistent snapshot, however busy the writers are
        target.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        check = target.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the backup copy failed its integrity check: {check}")
    finally:
        target.close()
        source.close()
    copy = create_engine(f"sqlite:///{tmp}")
    try:
        with copy.connect() as conn:
            return count_rows(conn, reflect_tables(conn))
    finally:
        copy.dispose()


def _pg_dump(engine: Engine, tmp: Path) -> tuple[TableCount, ...]:
    with snapshot(engine) as conn:
        snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts = count_rows(conn, reflect_tables(conn))
        pgtools.dump(engine.url, tmp, snapshot=snapshot_id)  # sees exactly what was counted
    return counts


def export_database(
    engine: Engine,
    directory: Path,
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress,
) -> TransferResult:
    """Write one CSV per table plus manifest.json into `directory` (created whole, or not at all).

    The directory is also a portable backup: `soleflip db restore DIR` reads it back.
    """
    started = time.monotonic()
    revision = _source_revision(engine)
    _check_destination(directory, force=force, directory=True)
    progress(f"Exporting {display_url(engine)} to {directory}")
    with _database_errors("export"), _atomic(directory) as tmp, snapshot(engine) as conn:
        manifest = write_portable(
            conn, reflect_tables(conn), revision, tmp, as_zip=False, batch_size=batch_size, progress=progress
        )
    return TransferResult(
        action="export",
        source=display_url(engine),
        target=str(directory),
        format="csv",
        schema_revision=revision,
        tables=manifest.counts,
        bytes=sum(f.stat().st_size for f in directory.iterdir()),
        duration_s=time.monotonic() - started,
    )
