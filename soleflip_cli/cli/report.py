"""`soleflip report`: profit summary, breakdowns, best/worst SKUs and the tax ledger."""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from soleflip_cli.cli._common import FormatOption, JsonOption, output_format, reading, session, state
from soleflip_cli.render import OutputFormat

if TYPE_CHECKING:
    from soleflip_cli.services.report import Period, Summary

RULES = (
    "Rules: amounts are what the marketplace paid, converted per sale to the report currency at the rate "
    "of the sale's UTC date (a pair's cost: of its purchase date) and rounded to the cent before summing, "
    "so breakdowns add up exactly. Cancelled sales (cancelled, canceled, didnotship, authfailed) are "
    "excluded and only counted; returned sales (returned, refunded) are excluded from revenue, fees, cogs "
    "and profit and counted as `returned` - their pair is not re-stocked by a report (set its status to "
    "in_stock or returned and it counts as held). Partial refunds are netted in the payout; an eBay "
    "refund of the whole price makes the sale refunded (its pair back in stock). cogs and profit "
    "cover only sales matched to a pair; the rest are counted in no_cost_basis (never costed at zero). "
    "Sales with neither a payout nor fees recorded (a generic CSV without fee columns, say) count in "
    "no_fee_data: their payout is taken as the sale price. Alias exports carry no fees: import gives them "
    "the fee schedule's lines, marked (estimated). `orders` counts sales, one per pair sold (an order "
    "line of 2 pairs is 2 sales, each with its own cost), as `units` does. Periods are UTC calendar days."
)
app = typer.Typer(help="Profit reports a reseller can file taxes with. " + RULES, no_args_is_help=True)

FromOption = Annotated[
    datetime | None,
    typer.Option("--from", formats=["%Y-%m-%d"], help="First sale day (UTC), inclusive.", show_default=False),
]
ToOption = Annotated[
    datetime | None,
    typer.Option("--to", formats=["%Y-%m-%d"], help="Last sale day (UTC), inclusive.", show_default=False),
]
YearOption = Annotated[int | None, typer.Option("--year", min=1900, max=9999, help="A calendar year (UTC).")]
MonthOption = Annotated[
    str | None, typer.Option("--month", metavar="YYYY-MM", help="A calendar month (UTC).")
]
PlatformOption = Annotated[str | None, typer.Option("--platform", help="Only sales on this platform.")]
CurrencyOption = Annotated[
    str | None,
    typer.Option("--currency", metavar="CUR", help="Report currency [default: SOLEFLIP_BASE_CURRENCY, USD]."),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the data to FILE (format from .json/.ndjson/.csv unless --format)."
    ),
]
_SUFFIX_FORMATS = {".json": OutputFormat.json, ".ndjson": OutputFormat.ndjson, ".jsonl": OutputFormat.ndjson}
MEASURES = (
    "orders",
    "units",
    "gross",
    "fees",
    "payout",
    "vat",
    "cogs",
    "profit",
    "margin_pct",
    "roi_pct",
    "avg_days_to_sell",
    "sell_through_pct",
    "no_cost_basis",
    "no_cost_basis_payout",
    "no_fee_data",
    "returned",
    "cancelled",
)


def _period(
    date_from: datetime | None, date_to: datetime | None, year: int | None, month: str | None
) -> Period:
    from soleflip_cli.services.report import resolve_period

    return resolve_period(
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        year=year,
        month=month,
    )


def _currency(ctx: typer.Context, currency: str | None) -> str:
    return currency or state(ctx).loaded.settings.base_currency


def _format(fmt: OutputFormat | None, as_json: bool, output: Path | None) -> OutputFormat:
    if fmt is None and not as_json and output is not None:
        suffix = output.suffix.lower()
        return OutputFormat.csv if suffix == ".csv" else _SUFFIX_FORMATS.get(suffix, OutputFormat.table)
    return output_format(fmt, as_json)


# Paths of devices and of a process's open files (/dev/stdout into `>> log`, /dev/fd/N of `>(...)`):
# written as they are, never replaced.
DESCRIPTORS = ("/dev/", "/proc/")
STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


@contextmanager
def _stream(output: Path | None) -> Iterator[IO[str]]:
    """stdout, or the --output file (a file is replaced only once the report is complete)."""
    if output is None:
        yield sys.stdout
        return
    from soleflip_cli import render
    from soleflip_cli.errors import UsageError

    if output.is_dir():
        raise UsageError(f"{output}: cannot write: it is a directory")
    try:
        with _written(output) as handle:
            yield handle
    except OSError as exc:
        raise UsageError(f"{output}: cannot write: {exc.strerror}") from None
    render.info(f"Wrote {output}")


@contextmanager
def _written(output: Path) -> Iterator[IO[str]]:
    """`output` open for writing: a file (new, or behind a link) is replaced by a complete one.

    Ctrl-C or SIGTERM half-way keeps an earlier ledger whole, with its mode. A pipe, a device or a
    descriptor (`--output >(gzip > x.gz)`, /dev/stdout into `>> log`) is written as it comes, as is a
    file in a directory where no sibling can be made. A file the user may not write is refused.
    """
    if (number := _descriptor(output)) is not None:  # written on the descriptor, as a shell does: never
        with os.fdopen(os.dup(number), "w", encoding="utf-8", newline="") as handle:  # truncated or replaced
            yield handle
        return
    target = output.resolve()
    if target.exists() and not _writable(target):
        raise PermissionError(errno.EACCES, "Permission denied", str(output))
    sibling = None if _in_place(output, target) else _sibling(target)
    if sibling is None:
        with output.open("w", encoding="utf-8", newline="") as handle:
            yield handle
        return
    descriptor, name = sibling
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            shutil.copymode(target, partial)
        else:  # mkstemp's 0600: a new file gets the mode open() would give it
            umask = os.umask(0)
            os.umask(umask)
            partial.chmod(0o666 & ~umask)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _descriptor(output: Path) -> int | None:
    """The open file descriptor a path names (/dev/stdout, /dev/fd/3, /proc/self/fd/3), else None."""
    name = str(output)
    if name in STANDARD:
        return STANDARD[name]
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            return int(name[len(prefix) :])
    return None


def _writable(path: Path) -> bool:
    """Whether this user may write the file (a rename beside it would not ask)."""
    return os.access(path, os.W_OK)


def _in_place(output: Path, target: Path) -> bool:
    """Whether `output` is written where it is: a device, a pipe, another process's file."""
    return str(output.absolute()).startswith(DESCRIPTORS) or (target.exists() and not target.is_file())


def _sibling(target: Path) -> tuple[int, str] | None:
    """A new temporary file beside `target` (descriptor, path); None for a file in a read-only directory."""
    try:
        return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    except PermissionError:
        if not target.exists():
            raise
        return None  # the file itself is writable: written in place, as before


def _warn(totals: Summary) -> None:
    """Flag, on stderr, sales whose cost or fees are unknown."""
    from soleflip_cli import render

    if totals.no_fee_data:
        render.warn(
            f"{totals.no_fee_data} sale(s) have neither a payout nor fees recorded: their payout is taken "
            "as the sale price. Tip: re-import a marketplace export that carries payouts, or an Alias "
            "report imported before its fees came from the fee schedule."
        )
    no_cost_basis, payout, currency = totals.no_cost_basis, totals.no_cost_basis_payout, totals.currency
    if no_cost_basis:
        render.warn(
            f"{no_cost_basis} sale(s) have no cost basis (payout {payout} {currency}): they are left out "
            "of cogs and profit. Tip: record the pairs with `soleflip inventory add` or import purchases."
        )


@app.command("summary")
def summary(
    ctx: typer.Context,
    date_from: FromOption = None,
    date_to: ToOption = None,
    year: YearOption = None,
    month: MonthOption = None,
    platform: PlatformOption = None,
    currency: CurrencyOption = None,
    output: OutputOption = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Orders, units, gross, fees, payout, cogs, profit, margin, ROI, days to sell and sell-through.

    Sell-through = pairs sold (with a cost basis) / (those + pairs held at the period's end).
    See `soleflip report --help` for the rules on refunds, cancellations and currencies.

    Example: soleflip report summary --year 2024 --currency EUR --json
    """
    from soleflip_cli import render
    from soleflip_cli.services import report

    with reading(ctx) as conn:
        result = report.summarize(
            conn,
            period=_period(date_from, date_to, year, month),
            platform=platform,
            currency=_currency(ctx, currency),
        )
    _warn(result)
    with _stream(output) as out:
        render.render_object(
            dataclasses.asdict(result), _format(fmt, as_json, output), title="Summary", stream=out
        )


@app.command("breakdown")
def breakdown(
    ctx: typer.Context,
    by: Annotated[
        str, typer.Option("--by", help="month, week, platform, brand, sku, size or supplier.")
    ] = "month",
    date_from: FromOption = None,
    date_to: ToOption = None,
    year: YearOption = None,
    month: MonthOption = None,
    platform: PlatformOption = None,
    currency: CurrencyOption = None,
    chart: Annotated[
        bool | None,
        typer.Option(
            "--chart/--no-chart",
            help="Bar chart of payout and profit [default: on a terminal, --by month|week].",
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Save a chart of gross and profit, plus the `soleflip forecast` of gross with its 95 % "
            "interval when one can be made (needs soleflip[plot]).",
        ),
    ] = None,
    output: OutputOption = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """The summary's measures per group; the groups' amounts and counts add up exactly to the totals.

    A week is keyed by its Monday (UTC). Sell-through is per group against pairs held at the group's end
    (months, weeks) or the period's end; none by platform. JSON: {"by", "currency", "groups", "total"};
    CSV and NDJSON: one line per group.

    Example: soleflip report breakdown --by month --year 2024 --plot profit.png
    """
    from soleflip_cli import plot as plotting
    from soleflip_cli import render
    from soleflip_cli.services import report

    if plot is not None:
        plotting.check_target(plot, by)
    forecast: list[report.ForecastPoint] = []
    note = ""
    with reading(ctx) as conn:
        result = report.breakdown(
            conn,
            by=by,
            period=_period(date_from, date_to, year, month),
            platform=platform,
            currency=_currency(ctx, currency),
        )
    if plot is not None:
        with session(ctx) as s:
            horizon = 3 if by == "month" else 8
            forecast, note = report.gross_forecast(s, by=by, currency=result.currency, horizon=horizon)
    _warn(result.total)
    groups = [dataclasses.asdict(g) | {"currency": result.currency} for g in result.rows]
    chosen = _format(fmt, as_json, output)
    if plot is not None:
        plotting.plot_history(plot, result, forecast)
        render.info(f"Saved {plot} ({'with the ' if forecast else 'history only: '}{note})")
    with _stream(output) as out:
        if chosen is OutputFormat.json:
            render.emit_json(
                {"by": result.by, "currency": result.currency, "groups": groups, "total": result.total}, out
            )
            return
        columns = (
            [render.Column("group", header=by)]
            + [render.Column(k, numeric=True) for k in MEASURES]
            + [render.Column("currency")]
        )
        footer = dataclasses.asdict(result.total) | {"group": "total"}
        render.render_rows(groups, columns, chosen, title=f"Breakdown by {by}", footer=footer, stream=out)
        show_chart = chart if chart is not None else by in ("month", "week") and output is None
        if show_chart and chosen is OutputFormat.table and (chart or not render.plain_output(out)):
            labels = [g.group or "-" for g in result.rows]
            render.bar_chart(
                labels,
                {"payout": [g.payout for g in result.rows], "profit": [g.profit for g in result.rows]},
                unit=result.currency,
                stream=out,
            )


@app.command("top")
def top(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="profit, roi or speed (fewest days to sell).")] = "profit",
    limit: Annotated[int, typer.Option("--limit", min=1, help="SKUs on each side.")] = 10,
    date_from: FromOption = None,
    date_to: ToOption = None,
    year: YearOption = None,
    month: MonthOption = None,
    platform: PlatformOption = None,
    currency: CurrencyOption = None,
    output: OutputOption = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """The best and worst SKUs by profit, ROI or speed, over sales with a cost basis.

    Example: soleflip report top --by roi --limit 5 --year 2024
    """
    from soleflip_cli import render
    from soleflip_cli.services import report

    with reading(ctx) as conn:
        rows = report.top_skus(
            conn,
            by=by,
            limit=limit,
            period=_period(date_from, date_to, year, month),
            platform=platform,
            currency=_currency(ctx, currency),
        )
    keys = (
        "side",
        "rank",
        "sku",
        "orders",
        "payout",
        "cogs",
        "profit",
        "roi_pct",
        "avg_days_to_sell",
        "currency",
    )
    columns = [render.Column(k, numeric=k not in ("side", "sku", "currency")) for k in keys]
    with _stream(output) as out:
        render.render_rows(
            [dataclasses.asdict(r) for r in rows],
            columns,
            _format(fmt, as_json, output),
            title=f"Best and worst SKUs by {by}",
            stream=out,
        )


@app.command("tax")
def tax(
    ctx: typer.Context,
    year: Annotated[
        int, typer.Option("--year", min=1900, max=9999, help="The tax year (UTC calendar year).")
    ],
    currency: CurrencyOption = None,
    output: OutputOption = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """The year's ledger: every counted sale with its price, each fee, payout, VAT, cost and profit.

    Fee lines that do not add up to price - payout get an "other (not itemised)" column. After the
    sales: the totals and the pairs held on 31 December at cost (bought by then and not sold by then;
    removed and personal pairs excluded). JSON: {"year", "currency", "sales", "totals", "fee_totals",
    "inventory"}, a fee line's key in snake_case (`fee_final_value_fee_fixed`); CSV and NDJSON: one
    line per sale, then a `total` and an `inventory` line (column row_type).

    Example: soleflip report tax --year 2024 --output ledger-2024.csv
    """
    from soleflip_cli import render
    from soleflip_cli.services import report_tax

    with reading(ctx) as conn:
        ledger = report_tax.tax_ledger(conn, year=year, currency=_currency(ctx, currency))
    _warn(ledger.totals)
    rows, total, stock = report_tax.ledger_records(ledger)
    fee_keys = report_tax.fee_keys(ledger.fee_names)
    t = ledger.totals
    chosen = _format(fmt, as_json, output)
    with _stream(output) as out:
        if chosen is OutputFormat.json:
            render.emit_json(
                {
                    "year": ledger.year,
                    "currency": ledger.currency,
                    "sales": rows,
                    "totals": t,
                    "fee_totals": {fee_keys[n]: v for n, v in ledger.fee_totals.items()},
                    "inventory": ledger.inventory,
                },
                out,
            )
            return
        keys = (
            list(rows[0])
            if rows
            else [
                "row_type",
                "date",
                "platform",
                "order_id",
                "item",
                "sale_price",
                "fees",
                "payout",
                "vat",
                "cost",
                "profit",
                "currency",
            ]
        )
        money = {
            "sale_price",
            "fees",
            "payout",
            "vat",
            "cost",
            "profit",
            *(k for k in keys if k.startswith("fee_")),
        }
        columns = [render.Column(k, numeric=k in money) for k in keys]
        if chosen is OutputFormat.table:
            render.render_rows(
                rows,
                columns[1:],
                chosen,
                title=f"Tax ledger {year} ({ledger.currency})",
                footer=total | {"date": "total"},
                stream=out,
            )
            render.render_object(stock, chosen, title="Inventory at cost, 31 December", stream=out)
        else:
            render.render_rows([*rows, total, stock], columns, chosen, stream=out)
