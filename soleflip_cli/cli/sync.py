"""`soleflip sync`: pull marketplace data (StockX orders, listings, market prices) into the database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from soleflip_cli.cli._common import (
    FormatOption,
    JsonOption,
    WaitOption,
    output_format,
    session,
    state,
    writer_lock,
)

app = typer.Typer(help="Pull marketplace data into the database.", no_args_is_help=True)


@app.command("stockx")
def stockx(
    ctx: typer.Context,
    orders: Annotated[bool, typer.Option("--orders", help="Sync orders into sales.")] = False,
    listings: Annotated[bool, typer.Option("--listings", help="Sync listings and pair status.")] = False,
    market: Annotated[
        bool, typer.Option("--market", help="Record market prices of held/listed products.")
    ] = False,
    since: Annotated[
        datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], metavar="DATE", help="Read order history from DATE."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Ignore the high-water marks; walk everything.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fetch and count, but write nothing.")] = False,
    wait: WaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sync StockX: orders into sales, listings into listings, and with --market, market prices.

    Without --orders/--listings/--market it syncs orders and listings. Incremental: it re-reads
    a week before the last order seen and commits page by page, so a killed run resumes where it
    stopped. One writer runs at a time: while an import or another sync holds the database,
    it exits 5, or with --wait queues behind it.

    Example: soleflip sync stockx --json
    """
    from soleflip_cli import render
    from soleflip_cli.services.auth import open_stockx
    from soleflip_cli.services.sync import SyncOptions, sync_stockx

    app_state = state(ctx)
    options = SyncOptions(
        orders=orders,
        listings=listings,
        market=market,
        since=since.date() if since else None,
        full=full,
        currency=app_state.loaded.settings.base_currency,
    )
    lock = writer_lock(app_state.engine(), "sync", wait)
    with lock, open_stockx(app_state.loaded) as client, session(ctx) as db_session:
        result = sync_stockx(db_session, client, options, commit=_noop if dry_run else db_session.commit)
        if dry_run:
            db_session.rollback()
    render.render_summary(result.as_record(), output_format(fmt, as_json), title="StockX sync")


def _noop() -> None:
    return None
