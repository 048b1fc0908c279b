"""`soleflip fx`: the exchange rates reports convert with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from soleflip_cli.cli._common import (
    FormatOption,
    JsonOption,
    ManualWaitOption,
    manual_write,
    output_format,
    session,
)

app = typer.Typer(
    help="Exchange rates for multi-currency reports: a rate converts one unit of BASE into QUOTE on a day. "
    "Reports use the rate of the sale's UTC date or the closest earlier one; where only the opposite pair "
    "is stored they divide by its rate. A missing rate is an error, never 1.0.",
    no_args_is_help=True,
)

COLUMNS = ("rate_date", "base", "quote", "rate", "source")


def _row(rate: object) -> dict[str, object]:
    return {name: getattr(rate, name) for name in COLUMNS}


@app.command("set")
def set_(
    ctx: typer.Context,
    base: Annotated[str, typer.Argument(help="Currency converted from (ISO code).")],
    quote: Annotated[str, typer.Argument(help="Currency converted to (ISO code).")],
    rate: Annotated[str, typer.Argument(help="Units of QUOTE for one BASE (up to 8 decimals).")],
    on: Annotated[
        datetime | None,
        typer.Option(
            "--date", formats=["%Y-%m-%d"], help="Day of the rate (default: today, UTC).", show_default=False
        ),
    ] = None,
    wait: ManualWaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Store (or replace) the rate of BASE -> QUOTE on a day.

    Example: soleflip fx set EUR USD 1.0842 --date 2024-03-01
    """
    from soleflip_cli import render
    from soleflip_cli.services import fx

    day = on.date() if on else datetime.now(UTC).date()
    with manual_write(ctx, "fx set", wait) as s:
        row = fx.set_rate(s, base, quote, fx.parse_rate(rate), day)
    render.render_object(_row(row), output_format(fmt, as_json), title="FX rate")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with the columns date,base,quote,rate ('-' for stdin).")],
    wait: ManualWaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load rates from a CSV file (header date,base,quote,rate; dates YYYY-MM-DD); all or nothing.

    Rows for a day and pair already stored replace its rate.

    Example: soleflip fx import rates.csv
    """
    import sys

    from soleflip_cli import render
    from soleflip_cli.services import fx

    text = sys.stdin.read() if str(file) == "-" else None
    with manual_write(ctx, "fx import", wait) as s:
        result = fx.import_rates(s, None if text is not None else file, text)
    record = {
        "file": result.file,
        "rows": result.rows,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
    render.render_object(record, output_format(fmt, as_json), title="FX import")


@app.command("list")
def list_(
    ctx: typer.Context,
    base: Annotated[
        str | None, typer.Option("--base", help="Only this currency (with --quote: this pair).")
    ] = None,
    quote: Annotated[
        str | None, typer.Option("--quote", help="Only this currency (with --base: this pair).")
    ] = None,
    date_from: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day.", show_default=False)
    ] = None,
    date_to: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day.", show_default=False)
    ] = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """List stored rates, oldest first.

    Example: soleflip fx list --base EUR --quote USD --from 2024-01-01 --json
    """
    from soleflip_cli import render
    from soleflip_cli.services import fx

    with session(ctx) as s:
        rows = fx.list_rates(s, base=base, quote=quote, start=_day(date_from), end=_day(date_to))
    columns = [render.Column(c, numeric=c == "rate") for c in COLUMNS]
    render.render_rows([_row(r) for r in rows], columns, output_format(fmt, as_json), title="FX rates")


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None
