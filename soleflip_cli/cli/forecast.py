"""`soleflip forecast`: sales forecasts, honest backtests and how long the stock lasts."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from soleflip_cli.cli._common import FormatOption, JsonOption, output_format, session

if TYPE_CHECKING:
    from soleflip_cli.render import OutputFormat
    from soleflip_cli.services.forecast import SalesForecast
    from soleflip_cli.services.forecast_backtest import LevelBacktest
    from soleflip_cli.services.forecast_stock import StockOutlook

app = typer.Typer(
    help="Forecast sales, backtest the methods, and see how long stock lasts.", no_args_is_help=True
)


class Level(StrEnum):
    """Forecast levels."""

    total = "total"
    brand = "brand"
    sku = "sku"
    sku_size = "sku-size"


class Source(StrEnum):
    """Whose sales are forecast."""

    own = "own"
    market = "market"


class Freq(StrEnum):
    """Forecast periods."""

    day = "day"
    week = "week"
    month = "month"


ByOption = Annotated[Level, typer.Option("--by", help="Level of the series.")]
SourceOption = Annotated[
    Source, typer.Option("--source", help="own: your sales; market: imported market sales.")
]
SkuOption = Annotated[
    list[str] | None,
    typer.Option(
        "--sku", metavar="SKU", help="Only this SKU or product name (repeatable).", show_default=False
    ),
]
AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="Last day of history (default: today for own sales, the latest day for market sales).",
        show_default=False,
    ),
]


def _single_threaded_blas() -> None:
    # These fits multiply tiny matrices: BLAS threads only fight each other (and other processes).
    if "numpy" not in sys.modules:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")


@app.command("sales")
def sales(
    ctx: typer.Context,
    by: ByOption = Level.sku,
    freq: Annotated[Freq, typer.Option("--freq", help="Length of a period.")] = Freq.day,
    horizon: Annotated[
        int | None,
        typer.Option(
            "--horizon", min=1, metavar="N", help="Periods ahead (default 28 days, 4 weeks or 1 month)."
        ),
    ] = None,
    source: SourceOption = Source.own,
    sku: SkuOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forecast units and revenue per period with 80 % and 95 % intervals.

    The method (moving mean, Croston-SBA, TSB, blends, damped variants, ARIMA on small levels)
    is chosen per level by a rolling-origin backtest on the last year.

    Example: soleflip forecast sales --by sku --freq week --horizon 4 --source market
    """
    _single_threaded_blas()
    from soleflip_cli import render
    from soleflip_cli.services.forecast import forecast_sales

    with session(ctx) as s:
        result = forecast_sales(
            s,
            by=by.value,
            freq=freq.value,
            horizon=horizon,
            source=source.value,
            skus=sku or (),
            as_of=as_of.date() if as_of else None,
        )
    render.info(_describe(result))
    _render_sales(result, output_format(fmt, as_json))


def _describe(result: Any) -> str:
    damping = f", damping x{result.damping:.2f}" if result.damping is not None else ""
    if result.half_life_days is not None:
        damping += f" halving every {result.half_life_days:.0f} days"
    return (
        f"{result.by}: {result.method}{damping}, chosen on {result.selection_windows} windows "
        f"up to {result.as_of.isoformat()}; intervals from {result.intervals}"
    )


@app.command("backtest")
def backtest(
    ctx: typer.Context,
    by: Annotated[
        list[Level] | None,
        typer.Option("--by", help="Level (repeatable; default: all four).", show_default=False),
    ] = None,
    windows: Annotated[int, typer.Option("--windows", min=1, metavar="N", help="Windows scored.")] = 3,
    horizon: Annotated[int, typer.Option("--horizon", min=1, metavar="DAYS", help="Days per window.")] = 28,
    source: SourceOption = Source.own,
    sku: SkuOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score every method on rolling origins: RMSSE, MASE, WAPE, bias, interval coverage.

    Each window's chosen method was picked on earlier windows only, so the chosen RMSSE is
    what the automatic choice really achieves; ratios compare with seasonal naive.

    Example: soleflip forecast backtest --by sku --source market --json
    """
    _single_threaded_blas()
    from soleflip_cli.services.forecast import LEVELS
    from soleflip_cli.services.forecast_backtest import backtest_sales

    with session(ctx) as s:
        results = backtest_sales(
            s,
            levels=[level.value for level in by] if by else LEVELS,
            windows=windows,
            horizon=horizon,
            source=source.value,
            skus=sku or (),
            as_of=as_of.date() if as_of else None,
        )
    _render_backtests(results, output_format(fmt, as_json))


@app.command("stock")
def stock(
    ctx: typer.Context,
    source: SourceOption = Source.own,
    limit: Annotated[
        int, typer.Option("--limit", min=1, metavar="N", help="SKUs in the restock ranking.")
    ] = 10,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Days to sell the pairs in stock at the forecast rate, and the SKUs that paid best to restock.

    Restock ranks SKUs by realised ROI per 30 days held (sales matched to your pairs).

    Example: soleflip forecast stock --source market --json
    """
    _single_threaded_blas()
    from soleflip_cli.services.forecast_stock import stock_outlook

    with session(ctx) as s:
        result = stock_outlook(s, source=source.value, as_of=as_of.date() if as_of else None, limit=limit)
    _render_stock(result, output_format(fmt, as_json))


_LABELS = {"total": [], "brand": ["brand"], "sku": ["sku", "name"], "sku-size": ["sku", "name", "size"]}


def _render_sales(result: SalesForecast, fmt: OutputFormat) -> None:
    from soleflip_cli import render

    rows = [render.jsonable(r) for r in result.rows]
    numbers = ["units", "lower_80", "upper_80", "lower_95", "upper_95", "revenue"]
    columns = [render.Column(k) for k in [*_LABELS[result.by], "period"]]
    columns += [render.Column(k, numeric=True) for k in numbers] + [render.Column("currency")]
    if fmt is not render.OutputFormat.table:
        extra = ["revenue_lower_95", "revenue_upper_95", "method", "note"]
        columns += [render.Column(k) for k in extra]
    render.render_rows(rows, columns, fmt, title=f"Forecast by {result.by} ({result.freq})")


def _render_backtests(levels: list[LevelBacktest], fmt: OutputFormat) -> None:
    from soleflip_cli import render
    from soleflip_cli.services.forecast_backtest import METRICS

    objects = [render.jsonable(level) for level in levels]
    if fmt is render.OutputFormat.json:
        render.emit_json(objects)
        return
    if fmt is render.OutputFormat.ndjson:
        for obj in objects:
            render.render_object(obj, fmt)
        return
    rows = []
    for obj in objects:
        choices = ", ".join(w["method"] for w in obj["window_choices"])
        note = obj["note"] or f"chosen per window: {choices}; next: {obj['chosen_method']}"
        rows.append({**obj, "method": "auto", "fallbacks": None, "seconds": None, "note": note})
        rows += [{"by": obj["by"], **m, "note": None} for m in obj["methods"]]
    keys = ["by", "method", *METRICS, "ratio_to_seasonal_naive", "fallbacks", "seconds", "note"]
    columns = [render.Column(k, numeric=k not in ("by", "method", "note")) for k in keys]
    render.render_rows(rows, columns, fmt, title="Backtest (daily units)")


def _render_stock(result: StockOutlook, fmt: OutputFormat) -> None:
    from soleflip_cli import render

    stock = [render.jsonable(r) for r in result.stock]
    restock = [render.jsonable(r) for r in result.restock]
    if fmt is render.OutputFormat.json:
        render.emit_json(
            {
                "source": result.source,
                "as_of": result.as_of,
                "horizon_days": result.horizon_days,
                "stock": stock,
                "restock": restock,
                "skipped_sales": result.skipped_sales,
            }
        )
        return
    stock_keys = [
        "sku",
        "name",
        "size",
        "pairs",
        "cost",
        "currency",
        "oldest_purchase",
        "forecast_per_day",
        "days_to_sell",
        "note",
    ]
    restock_keys = [
        "sku",
        "name",
        "sold",
        "avg_days_to_sell",
        "cost",
        "payout",
        "profit",
        "currency",
        "roi",
        "roi_per_30_days",
        "forecast_units_28d",
    ]
    if fmt is render.OutputFormat.table:
        render.render_rows(stock, [render.Column(k) for k in stock_keys], fmt, title="Stock: days to sell")
        render.render_rows(
            restock, [render.Column(k) for k in restock_keys], fmt, title="Restock: best ROI per 30 days"
        )
        return
    keys = ["section", *dict.fromkeys([*stock_keys, *restock_keys])]
    rows = [{"section": "stock", **r} for r in stock] + [{"section": "restock", **r} for r in restock]
    render.render_rows(rows, [render.Column(k) for k in keys], fmt)
