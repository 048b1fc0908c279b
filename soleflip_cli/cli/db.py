"""`soleflip db`: schema status and upgrades, backups, restores, CSV export and moving databases."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from soleflip_cli.cli._common import (
    FormatOption,
    JsonOption,
    WaitOption,
    YesOption,
    confirm,
    output_format,
    state,
    writer_lock,
)
from soleflip_cli.render import OutputFormat

if TYPE_CHECKING:
    from soleflip_cli.services.transfer import TransferResult

app = typer.Typer(
    help="Database: schema status and upgrades, backup, restore, CSV export, copy to another database.",
    no_args_is_help=True,
)


@app.command("status")
def status(ctx: typer.Context, fmt: FormatOption = None, as_json: JsonOption = False) -> None:
    """Show the database location with its current and head schema revisions.

    Example: soleflip db status --json
    """
    from soleflip_cli import db, render

    result = db.schema_status(state(ctx).engine(migrate=False))
    record = {
        "url": result.url,
        "current": result.current,
        "head": result.head,
        "up_to_date": result.up_to_date,
    }
    render.render_object(record, output_format(fmt, as_json), title="Database")


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations (soleflip also does this on first use).

    Example: soleflip db upgrade
    """
    from soleflip_cli import db, render

    engine = state(ctx).engine(migrate=False)
    result = db.ensure_schema(engine, render.info)
    render.info(f"Database at revision {result.current} (head): {result.url}")


ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace rows already there (asks on a terminal).")
]
BatchOption = Annotated[
    int, typer.Option("--batch-size", min=1, help="Rows per bulk insert (bounds memory).")
]


@app.command("backup")
def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup file to write.")],
    portable: Annotated[
        bool, typer.Option("--portable", help="A zip of CSVs, restorable into SQLite or PostgreSQL.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite FILE, once the new one is complete.")
    ] = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Back up the database to FILE, consistently, even while other soleflip runs write.

    SQLite: a copy made with SQLite's online backup API. PostgreSQL: a pg_dump archive (-Fc) when
    pg_dump is on PATH, else a portable zip (one CSV per table plus manifest.json). FILE appears
    only when complete.

    Example: soleflip db backup ~/backups/soleflip-$(date +%F).db
    """
    from soleflip_cli import render
    from soleflip_cli.services.backup import backup_database

    engine = state(ctx).engine(migrate=False)
    result = backup_database(engine, file, portable=portable, force=force, progress=render.info)
    _summary(result, output_format(fmt, as_json))


@app.command("restore")
def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A backup file, or a directory from `db export`.")],
    force: ForceOption = False,
    yes: YesOption = False,
    batch_size: BatchOption = 2000,
    wait: WaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Restore FILE into the configured database, all or nothing.

    Reads every backup format into either engine (a pg_dump archive needs PostgreSQL and
    pg_restore). The backup is checked before anything is written; a database holding rows is
    replaced only with --force; a backup from a newer soleflip is refused. Holds the writer
    lock: while an import or sync runs it exits 5 (or queues with --wait).

    Example: soleflip --db sqlite:///restored.db db restore ~/backups/soleflip-2025-06-01.db
    """
    from soleflip_cli import render
    from soleflip_cli.services.restore import restore_database

    engine = state(ctx).engine(migrate=False)
    where = engine.url.render_as_string(hide_password=True)
    with writer_lock(engine, "db restore", wait):
        result = restore_database(
            engine,
            file,
            force=force,
            confirm=lambda rows: confirm(f"Replace the {rows} rows in {where} with {file}?", yes),
            batch_size=batch_size,
            progress=render.info,
        )
    _summary(result, output_format(fmt, as_json))


@app.command("export")
def export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="The directory to create.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace DIRECTORY, once the export is complete.")
    ] = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export every table as CSV (UTF-8, header row) plus manifest.json into DIRECTORY.

    Text that a spreadsheet would run as a formula is escaped with a leading '. The directory is
    also a portable backup: `soleflip db restore DIRECTORY` reads it back exactly.

    Example: soleflip db export ~/soleflip-csv
    """
    from soleflip_cli import render
    from soleflip_cli.services.backup import export_database

    engine = state(ctx).engine(migrate=False)
    result = export_database(engine, directory, force=force, progress=render.info)
    _summary(result, output_format(fmt, as_json))


@app.command("copy")
def copy(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", metavar="URL", help="The database to copy into.")],
    force: ForceOption = False,
    yes: YesOption = False,
    batch_size: BatchOption = 2000,
    wait: WaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Copy every row into another database (e.g. SQLite -> PostgreSQL), in one transaction.

    The target is migrated first, must be empty unless --force, and is checked row for row
    count afterwards; ids, exact money amounts and UTC timestamps are kept. Holds the target's
    writer lock (exit 5 while a soleflip run writes it, or queue with --wait).

    Example: soleflip db copy --to postgresql+psycopg://me@db.example.com/soleflip
    """
    from soleflip_cli import db, render
    from soleflip_cli.services.transfer import copy_database

    source = state(ctx).engine()
    target = db.make_engine(to)
    where = target.url.render_as_string(hide_password=True)
    try:
        with writer_lock(target, "db copy", wait):
            result = copy_database(
                source,
                target,
                force=force,
                confirm=lambda rows: confirm(f"Replace the {rows} rows in {where}?", yes),
                batch_size=batch_size,
                progress=render.info,
            )
    finally:
        target.dispose()
    _summary(result, output_format(fmt, as_json))


def _summary(result: TransferResult, fmt: OutputFormat) -> None:
    """The summary on stdout: per-table rows in JSON, the table count in the other formats."""
    from soleflip_cli import render

    record = result.record()
    if fmt not in (OutputFormat.json, OutputFormat.ndjson):
        record["tables"] = len(result.tables)
    render.render_summary(record, fmt, title=f"db {result.action}")
