"""`soleflip db`: schema status and upgrades."""

from __future__ import annotations

import typer

from soleflip_cli.cli._common import FormatOption, JsonOption, output_format, state

app = typer.Typer(help="Database schema: status and upgrades.", no_args_is_help=True)


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
