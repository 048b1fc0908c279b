"""`soleflip config show` and `soleflip paths`."""

from __future__ import annotations

import typer

from soleflip_cli.cli._common import FormatOption, JsonOption, output_format, state

app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)


@app.command("show")
def show(ctx: typer.Context, fmt: FormatOption = None, as_json: JsonOption = False) -> None:
    """Print every setting (secrets masked) and where its value came from.

    Example: soleflip config show --json
    """
    from soleflip_cli import render
    from soleflip_cli.config import describe_sources

    loaded = state(ctx).loaded
    rows = describe_sources(loaded)
    chosen = output_format(fmt, as_json)
    if chosen is render.OutputFormat.json:
        render.emit_json(
            {
                "config_file": loaded.paths.config_file,
                "settings": {key: {"value": value, "source": src} for key, value, src in rows},
            }
        )
        return
    records = [{"key": key, "value": value, "source": src} for key, value, src in rows]
    columns = [render.Column("key"), render.Column("value"), render.Column("source")]
    render.render_rows(records, columns, chosen, title=f"Settings ({loaded.paths.config_file})")


def paths(ctx: typer.Context, fmt: FormatOption = None, as_json: JsonOption = False) -> None:
    """Print the config file, data directory and database location.

    Example: soleflip paths --json
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from soleflip_cli import render
    from soleflip_cli.errors import ConfigError

    app_state = state(ctx)
    url = app_state.database_url()
    try:  # only shown: nothing is opened or created (the data folder may not be writable)
        database = make_url(url).render_as_string(hide_password=True)
    except ArgumentError as exc:
        raise ConfigError(f"invalid database URL: {exc}") from None
    record = {
        "config_file": app_state.loaded.paths.config_file,
        "data_dir": app_state.loaded.paths.data_dir,
        "database": database,
    }
    render.render_object(record, output_format(fmt, as_json), title="Paths")
