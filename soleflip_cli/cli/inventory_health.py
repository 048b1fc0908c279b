"""`soleflip inventory aging|dead|value`: how old the stock is, what is rotting, what it is worth."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer

from soleflip_cli.choices import AgingBy, Basis, ValueBy
from soleflip_cli.cli._common import FormatOption, JsonOption, output_format, reading, state
from soleflip_cli.errors import FindingsError

PlatformOption = Annotated[
    str | None,
    typer.Option("--platform", help="Market data source and fee schedule [default: each observation's own]."),
]


def aging(
    ctx: typer.Context,
    by: Annotated[AgingBy, typer.Option("--by", help="Per brand, or one row per bucket.")] = AgingBy.brand,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pairs for sale and their cost by age bucket ([inventory] aging_buckets), by brand.

    Example: soleflip inventory aging --by total
    """
    from soleflip_cli import render
    from soleflip_cli.services.stock_health import aging as aging_rows

    bounds = state(ctx).loaded.settings.inventory.aging_buckets
    with reading(ctx) as conn:
        rows = aging_rows(conn, bounds, by_brand=by is AgingBy.brand, today=date.today())
    keys = (
        ["brand", "bucket", "pairs", "cost", "currency"]
        if by is AgingBy.brand
        else ["bucket", "pairs", "cost", "currency"]
    )
    columns = [render.Column(k, numeric=k in {"pairs", "cost"}) for k in keys]
    records = [render.jsonable(r) for r in rows]
    if by is AgingBy.total:
        records = [{k: v for k, v in r.items() if k != "brand"} for r in records]
    render.render_rows(records, columns, output_format(fmt, as_json), footer=_footer(rows, "bucket"))


def dead(
    ctx: typer.Context,
    platform: PlatformOption = None,
    fail_on_dead: Annotated[
        bool, typer.Option("--fail-on-dead", help="Exit 3 when any pair is dead stock.")
    ] = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Dead stock: pairs older than [inventory] dead_after_days, or worth less than cost after fees.

    Example: soleflip inventory dead --fail-on-dead --json
    """
    from soleflip_cli import render
    from soleflip_cli.services.stock_health import dead_stock
    from soleflip_cli.services.valuation import make_valuer

    settings = state(ctx).loaded.settings
    now = datetime.now(UTC)
    keys = ["id", "sku", "name", "brand", "size", "cost", "currency", "purchase_date", "days_in_stock",
            "market_payout", "reasons"]  # fmt: skip
    columns = [render.Column(k, numeric=k in {"id", "cost", "days_in_stock", "market_payout"}) for k in keys]
    chosen = output_format(fmt, as_json)
    with reading(ctx) as conn:
        valuer = make_valuer(
            Basis.payout, platform, settings.fees, stale_days=settings.inventory.stale_market_days, now=now
        )
        dead_after_days = settings.inventory.dead_after_days
        # Read whole first: the exit code must not depend on how much a reader (`| head`) took.
        pairs = list(dead_stock(conn, valuer, dead_after_days=dead_after_days, today=date.today()))
        for_table = chosen in (render.OutputFormat.table, render.OutputFormat.csv)
        records = []
        for pair in pairs:
            record = render.jsonable(pair)
            if for_table:
                record["reasons"] = "; ".join(r["message"] for r in record["reasons"])
            records.append(record)
        render.render_rows(records, columns, chosen)
    found = len(pairs)
    render.info(f"{found} pair(s) of dead stock.")
    if fail_on_dead and found:
        raise FindingsError(f"{found} pair(s) of dead stock (--fail-on-dead)")


def value(
    ctx: typer.Context,
    basis: Annotated[
        Basis, typer.Option("--basis", help="payout = after fees at the lowest ask.")
    ] = Basis.lowest_ask,
    platform: PlatformOption = None,
    by: Annotated[ValueBy, typer.Option("--by")] = ValueBy.brand_size,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cost against the latest market price per size: value and unrealised profit; stale and missing shown.

    Example: soleflip inventory value --basis payout --platform stockx --json
    """
    from soleflip_cli import render
    from soleflip_cli.services.valuation import make_valuer, value_groups, value_pairs

    settings = state(ctx).loaded.settings
    stale_days = settings.inventory.stale_market_days
    valuer = make_valuer(basis, platform, settings.fees, stale_days=stale_days, now=datetime.now(UTC))
    chosen = output_format(fmt, as_json)
    render.info(f"Basis: {basis.value}; market data older than {stale_days} days is stale.")
    with reading(ctx) as conn:
        if by is ValueBy.pair:
            keys = ["id", "sku", "brand", "size", "cost", "currency", "market_price", "market_value",
                    "unrealised_profit", "source", "observed_at", "stale", "note"]  # fmt: skip
            rows: Any = (p.as_record() for p in value_pairs(conn, valuer))
            render.render_rows(rows, [render.Column(k, numeric=_numeric(k)) for k in keys], chosen)
            return
        groups = value_groups(conn, valuer, by)
    keys = ["brand", "size", "currency", "pairs", "cost", "valued_pairs", "market_value", "unrealised_profit",
            "missing_pairs", "unvalued_pairs", "stale_pairs", "oldest_observed_at"]  # fmt: skip
    records = [render.jsonable(g) for g in groups]
    if by is ValueBy.brand:
        keys.remove("size")
        records = [{k: v for k, v in r.items() if k != "size"} for r in records]
    footer = _footer(
        groups, "brand", extra=("market_value", "unrealised_profit", "missing_pairs", "stale_pairs")
    )
    render.render_rows(records, [render.Column(k, numeric=_numeric(k)) for k in keys], chosen, footer=footer)


def _numeric(key: str) -> bool:
    return key in {
        "id",
        "cost",
        "pairs",
        "market_price",
        "market_value",
        "unrealised_profit",
    } or key.endswith("_pairs")


def _footer(rows: Any, label: str, extra: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """Totals for the table footer, only when every row shares one currency."""
    currencies = {r.currency for r in rows}
    if len(currencies) != 1:
        return None
    footer: dict[str, Any] = {label: "total", "currency": currencies.pop()}
    for key in ("pairs", "cost", *extra):
        values = [getattr(r, key) for r in rows if getattr(r, key) is not None]
        footer[key] = sum(values[1:], values[0]) if values else None
    return footer
