"""The `soleflip` Typer application: global options and one sub-app per domain."""

from __future__ import annotations

from typing import Annotated

import typer

from soleflip_cli import __version__
from soleflip_cli.cli import auth as auth_cli
from soleflip_cli.cli import catalog as catalog_cli
from soleflip_cli.cli import config as config_cli
from soleflip_cli.cli import db as db_cli
from soleflip_cli.cli import forecast as forecast_cli
from soleflip_cli.cli import fx as fx_cli
from soleflip_cli.cli import import_ as import_cli
from soleflip_cli.cli import inventory as inventory_cli
from soleflip_cli.cli import listing as listing_cli
from soleflip_cli.cli import price as price_cli
from soleflip_cli.cli import report as report_cli
from soleflip_cli.cli import supplier as supplier_cli
from soleflip_cli.cli import sync as sync_cli
from soleflip_cli.cli._common import AppState, SoleflipGroup

EPILOG = (
    "Exit codes: 0 ok; 1 error; 2 usage or configuration error; 3 finished with findings "
    "(rows rejected, dead stock found with --fail-on-dead); 4 authentication needed; "
    "5 another soleflip run holds the lock; 130 interrupted."
)

app = typer.Typer(
    name="soleflip",
    cls=SoleflipGroup,
    help="The back office of a sneaker reseller: inventory, imports, StockX sync, pricing, "
    "forecasts and profit reports.",
    epilog=EPILOG,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(config_cli.app, name="config")
app.add_typer(price_cli.app, name="price")
app.add_typer(auth_cli.app, name="auth")
app.add_typer(catalog_cli.app, name="catalog")
app.add_typer(sync_cli.app, name="sync")
app.add_typer(import_cli.app, name="import")
app.add_typer(forecast_cli.app, name="forecast")
app.add_typer(report_cli.app, name="report")
app.add_typer(fx_cli.app, name="fx")
app.add_typer(inventory_cli.app, name="inventory")
app.add_typer(supplier_cli.app, name="supplier")
app.add_typer(listing_cli.app, name="listing")
app.command("paths")(config_cli.paths)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"soleflip {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", metavar="URL", help="Database URL (overrides SOLEFLIP_DATABASE_URL)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but data and errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """soleflip: what do I own, what is it worth, what did I really earn after fees."""
    from soleflip_cli.render import set_quiet

    set_quiet(quiet)
    ctx.obj = AppState(overrides={"database_url": db})


def main() -> None:
    """Console-script entry point."""
    app(prog_name="soleflip")
