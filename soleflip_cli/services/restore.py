"""`db restore`: check the backup first, then replace the database's rows in one transaction."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import Engine, Table, inspect
from sqlalchemy.exc import SQLAlchemyError

from soleflip_cli import db
from soleflip_cli.errors import BackupError, DatabaseError
from soleflip_cli.services import pgtools
from soleflip_cli.services.portable import PortableArchive, open_portable
from soleflip_cli.services.transfer import (
    DEFAULT_BATCH,
    Confirm,
    Progress,
    TableCount,
    TransferResult,
    copy_tables,
    count_rows,
    current_revision,
    display_url,
    guard_target,
    model_tables,
    reflect_tables,
    reset_sequences,
    snapshot,
    verify_counts,
    wipe,
)

_MAGIC = {b"SQLite format 3\x00": "sqlite", b"PGDMP": "pg_dump", b"PK\x03\x04": "portable"}


def detect_kind(path: Path) -> str:
    """`sqlite`, `pg_dump` or `portable` (a zip, or a directory written by `db export`)."""
    if path.is_dir():
        if (path / "manifest.json").is_file():
            return "portable"
        raise BackupError(f"{path} is a directory without manifest.json; it is not a soleflip export")
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    raise BackupError(
        f"{path} is not a soleflip backup",
        hint="expected a SQLite file, a pg_dump archive or a portable zip/directory from `soleflip db`",
    )


def check_revision(revision: str | None, path: Path) -> str:
    """The backup's revision, when this soleflip can restore it (head or an older known one)."""
    if revision is None:
        raise BackupError(f"{path} has no schema revision; it is not a soleflip backup")
    if revision != db.head_revision() and revision not in _known_revisions():
        raise BackupError(
            f"{path} was made by a newer soleflip (schema revision {revision})",
            hint="upgrade soleflip, then restore it",
        )
    return revision


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(db.migrations_dir()))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def restore_database(
    engine: Engine,
    path: Path,
    *,
    force: bool = False,
    confirm: Confirm,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress,
) -> TransferResult:
    """Replace the database's contents with the backup at `path` (any format, any engine).

    The backup is read and checked before anything is written; the target is migrated to head
    and must be empty unless `force` (and `confirm`); the rows are written in one transaction,
    with PostgreSQL sequences reset and row counts verified. A backup from an older schema is
    upgraded on a temporary SQLite copy first; one from a newer schema is refused.
    """
    started = time.monotonic()
    kind = detect_kind(path)
    if kind == "pg_dump":
        revision, counts = _restore_pg_dump(engine, path, force=force, confirm=confirm, progress=progress)
    else:
        with ExitStack() as stack:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soleflip-restore-")))
            if kind == "sqlite":
                archive = None
                staged, revision = _stage_sqlite(path, workdir)
            else:
                archive = stack.enter_context(open_portable(path))
                revision = check_revision(archive.manifest.schema_revision, path)
                staged = None
                if revision != db.head_revision():
                    staged = _stage_portable(archive, workdir, revision, batch_size, progress)
            db.ensure_schema(engine, progress)
            existing = guard_target(engine, force=force, confirm=confirm)
            progress(f"Restoring {path} into {display_url(engine)}")
            counts = _write(
                engine,
                archive,
                staged,
                replace=bool(existing or force),
                batch_size=batch_size,
                progress=progress,
            )
    return TransferResult(
        action="restore",
        source=str(path),
        target=display_url(engine),
        format=kind,
        schema_revision=revision,
        tables=counts,
        bytes=_size(path),
        duration_s=time.monotonic() - started,
    )


def _write(
    engine: Engine,
    archive: PortableArchive | None,
    staged: Engine | None,
    *,
    replace: bool,
    batch_size: int,
    progress: Progress,
) -> tuple[TableCount, ...]:
    tables = model_tables()
    try:
        with db.transaction(engine) as dst:
            if replace:
                wipe(dst, tables)
            if staged is not None:
                with snapshot(staged) as src:
                    expected = count_rows(src, tables)
                    copy_tables(src, dst, tables, batch_size=batch_size, progress=progress)
            else:
                assert archive is not None
                archive.load(dst, tables, batch_size=batch_size, progress=progress)
                expected = _ordered(archive.manifest.counts, tables)
            reset_sequences(dst, tables)
            verify_counts(dst, tables, expected)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"restore failed, the database was left as it was: {_first_line(exc)}") from None
    finally:
        if staged is not None:
            staged.dispose()
    return expected


def _ordered(counts: tuple[TableCount, ...], tables: list[Table]) -> tuple[TableCount, ...]:
    by_name = {c.name: c for c in counts}
    return tuple(by_name[t.name] for t in tables)


def _stage_sqlite(path: Path, workdir: Path) -> tuple[Engine, str]:
    """Check and upgrade a private copy of a SQLite backup (and its WAL); the original is only read."""
    staged = workdir / "staged.db"
    try:
        shutil.copyfile(path, staged)
        if Path(f"{path}-wal").is_file():
            shutil.copyfile(f"{path}-wal", f"{staged}-wal")
        connection = sqlite3.connect(staged)
        try:
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            connection.close()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    except sqlite3.Error as exc:
        check = str(exc)
    if check != "ok":
        raise BackupError(f"{path} is damaged: {check}", hint="nothing was restored; use another backup")
    engine = db.make_engine(f"sqlite:///{staged}")
    with engine.connect() as conn:
        revision = check_revision(current_revision(conn), path)
    if revision != db.head_revision():
        db.upgrade(engine)
    return engine, revision


def _stage_portable(
    archive: PortableArchive, workdir: Path, revision: str, batch_size: int, progress: Progress
) -> Engine:
    """Load an older archive into a temporary SQLite database at its revision, then upgrade it."""
    progress(f"Upgrading the backup from schema revision {revision} on a temporary copy")
    engine = db.make_engine(f"sqlite:///{workdir / 'staged.db'}")
    db.upgrade(engine, revision)
    with engine.begin() as conn:
        archive.load(conn, reflect_tables(conn), batch_size=batch_size, progress=lambda _: None)
    db.upgrade(engine)
    return engine


def _restore_pg_dump(
    engine: Engine, path: Path, *, force: bool, confirm: Confirm, progress: Progress
) -> tuple[str, tuple[TableCount, ...]]:
    if engine.dialect.name != "postgresql":
        raise BackupError(
            f"{path} is a pg_dump archive; it restores only into PostgreSQL",
            hint="on the PostgreSQL side, make a portable one: soleflip db backup FILE --portable",
        )
    revision = check_revision(pgtools.archive_revision(path), path)
    pgtools.check_archive(path)
    db.ensure_schema(engine, progress)
    existing = guard_target(engine, force=force, confirm=confirm)
    progress(f"Restoring {path} into {display_url(engine)} with pg_restore")
    if revision == db.head_revision():
        pgtools.restore(engine.url, path)  # --clean --single-transaction: all or nothing
    else:
        if existing:
            raise BackupError(
                f"{path} is from the older schema revision {revision}; restore it into an empty database",
                hint="then move it over with `soleflip db copy --to URL --force`",
            )
        _drop_schema(engine)  # empty tables only: pg_restore recreates them at the archive's revision
        try:
            pgtools.restore(engine.url, path)
        finally:
            db.ensure_schema(engine, progress)
    with snapshot(engine) as conn:
        return revision, count_rows(conn, model_tables())


def _drop_schema(engine: Engine) -> None:
    with engine.begin() as conn:
        for view in inspect(conn).get_view_names():  # the report views depend on the tables
            conn.exec_driver_sql(f'DROP VIEW IF EXISTS "{view}" CASCADE')
        for table in reversed(reflect_tables(conn)):
            table.drop(conn)
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.iterdir())
    return path.stat().st_size


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
