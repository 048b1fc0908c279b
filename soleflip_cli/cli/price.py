"""`soleflip price`: fee calculator and calibration, break-even asks, suggestions."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

import typer

from soleflip_cli import render
from soleflip_cli.cli._common import (
    FormatOption,
    JsonOption,
    WaitOption,
    YesOption,
    confirm,
    output_format,
    session,
    state,
    writer_lock,
)
from soleflip_cli.errors import FindingsError, UsageError
from soleflip_cli.render import Column, OutputFormat

if TYPE_CHECKING:
    from soleflip_cli.services.price_apply import PriceChange

app = typer.Typer(help="Fee-aware pricing: fees, break-even, suggestions.", no_args_is_help=True)

CurrencyOption = Annotated[
    str | None, typer.Option("--currency", help="ISO currency (default: base_currency).", show_default=False)
]
ItemOption = Annotated[
    list[str] | None,
    typer.Option("--item", help="Pair id (repeat or comma-separate for several).", show_default=False),
]
SkuOption = Annotated[str | None, typer.Option("--sku", help="Every pair of this SKU.", show_default=False)]
SizeOption = Annotated[
    str | None, typer.Option("--size", help="With --sku: only this size.", show_default=False)
]
AllOption = Annotated[bool, typer.Option("--all", help="Every pair in stock or listed.")]
StrategyOption = Annotated[
    str | None,
    typer.Option(
        "--strategy",
        help="match-lowest, beat-lowest, sell-faster, earn-more or max-profit (default: [pricing]).",
        show_default=False,
    ),
]
MinMarginOption = Annotated[
    str | None, typer.Option("--min-margin", help="Floor margin on the price, e.g. 10%.", show_default=False)
]


def parse_amount(text: str, option: str) -> Decimal:
    """A positive decimal amount from an option value."""
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise UsageError(f"{option}: not an amount: {text!r}") from None
    if not amount.is_finite() or amount <= 0:
        raise UsageError(f"{option}: must be a positive amount (got {text!r})")
    return amount


def parse_percent(text: str | None, option: str) -> Decimal | None:
    """A fraction from `15%` or `0.15`."""
    if text is None:
        return None
    from soleflip_cli.fees import parse_rate

    try:
        return parse_rate(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def parse_items(values: list[str] | None) -> tuple[int, ...]:
    """Pair ids from repeated and comma-separated --item values."""
    ids = []
    for value in values or []:
        for part in value.split(","):
            if part.strip():
                if not part.strip().isdigit():
                    raise UsageError(f"--item: not a pair id: {part!r}")
                ids.append(int(part))
    return tuple(ids)


def _percent(rate: Decimal | None) -> str | None:
    return None if rate is None else f"{(rate * 100).normalize():f}%"


@app.command("fees")
def fees(
    ctx: typer.Context,
    platform: Annotated[str, typer.Option("--platform", "-p", help="stockx, alias or ebay.")] = "stockx",
    price: Annotated[str | None, typer.Option("--price", help="Sale price.", show_default=False)] = None,
    currency: CurrencyOption = None,
    calibrate: Annotated[
        bool, typer.Option("--calibrate", help="Compare the StockX schedule with your last sales' fee lines.")
    ] = False,
    last: Annotated[int, typer.Option("--last", min=1, help="With --calibrate: how many sales.")] = 20,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show each fee line and the payout at a price, or calibrate the StockX schedule against real sales.

    Example: soleflip price fees --platform stockx --price 250 --currency EUR --json
    """
    from soleflip_cli.fees import compute_fees, fee_terms

    settings = state(ctx).loaded.settings
    chosen = output_format(fmt, as_json)
    if calibrate:
        _calibrate(ctx, platform, last, chosen)
        return
    if price is None:
        raise UsageError("--price is required (or use --calibrate)")
    cur = currency or settings.base_currency
    result = compute_fees(platform, parse_amount(price, "--price"), cur, settings.fees)
    terms = fee_terms(platform, cur, settings.fees)
    render.info(f"{platform} schedule effective {terms.version}, checked {terms.checked}")
    lines = [{"name": line.name, "rate": line.rate, "amount": line.amount} for line in result.fees]
    if chosen is OutputFormat.json:
        render.emit_json(
            {
                "platform": result.platform,
                "price": result.price,
                "currency": result.currency,
                "fees": lines,
                "payout": result.payout,
            }
        )
        return
    columns = [Column("name"), Column("rate", numeric=True), Column("amount", numeric=True)]
    if chosen is OutputFormat.table:
        shown = [{"name": f.name, "rate": _percent(f.rate), "amount": f.amount} for f in result.fees]
        title = f"{platform} fees at {result.price} {result.currency}"
        render.render_rows(
            shown, columns, chosen, title=title, footer={"name": "payout", "amount": result.payout}
        )
    else:
        render.render_rows(
            [*lines, {"name": "payout", "rate": None, "amount": result.payout}], columns, chosen
        )


def _calibrate(ctx: typer.Context, platform: str, last: int, chosen: OutputFormat) -> None:
    from soleflip_cli.services.price_calibration import calibrate_fees

    if platform != "stockx":
        raise UsageError("--calibrate works on StockX sales only (--platform stockx)")
    with session(ctx) as db:
        rows = calibrate_fees(db, state(ctx).loaded.settings.fees, last=last)
    differs = [row.setting for row in rows if row.advice != "ok"]
    render.info(
        f"Differs: {', '.join(differs)}" if differs else "The configured schedule matches your sales."
    )
    columns = [
        Column("setting"),
        Column("currency"),
        Column("configured", numeric=True),
        Column("observed", numeric=True),
        Column("difference", numeric=True),
        Column("sales", numeric=True),
        Column("matching", numeric=True),
        Column("advice"),
    ]
    render.render_rows(
        [asdict(row) for row in rows], columns, chosen, title=f"StockX fees vs last {last} sales"
    )


@app.command("breakeven")
def breakeven(
    ctx: typer.Context,
    cost: Annotated[str, typer.Option("--cost", help="What the pair cost.", show_default=False)],
    currency: CurrencyOption = None,
    margin: Annotated[
        str | None, typer.Option("--margin", help="Target profit as a share of the price, e.g. 15%.")
    ] = None,
    roi: Annotated[
        str | None, typer.Option("--roi", help="Target profit as a share of the cost, e.g. 20%.")
    ] = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Break-even and target asks on every marketplace, side by side.

    Example: soleflip price breakeven --cost 180 --margin 15%
    """
    from soleflip_cli.services.price import breakeven_table

    if margin is not None and roi is not None:
        raise UsageError("give --margin or --roi, not both")
    settings = state(ctx).loaded.settings
    rows = breakeven_table(
        parse_amount(cost, "--cost"),
        currency or settings.base_currency,
        settings.fees,
        margin=parse_percent(margin, "--margin"),
        roi=parse_percent(roi, "--roi"),
    )
    columns = [
        Column("platform"),
        Column("cost", numeric=True),
        Column("currency"),
        Column("breakeven", numeric=True),
        Column("target", numeric=True),
        Column("payout", numeric=True),
        Column("profit", numeric=True),
        Column("schedule"),
        Column("note"),
    ]
    render.render_rows(
        [asdict(row) for row in rows], columns, output_format(fmt, as_json), title="Break-even"
    )


@app.command("suggest")
def suggest(
    ctx: typer.Context,
    item: ItemOption = None,
    sku: SkuOption = None,
    size: SizeOption = None,
    every: AllOption = False,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy",
            help="match-lowest, beat-lowest, sell-faster, earn-more or max-profit (default: [pricing]).",
            show_default=False,
        ),
    ] = None,
    min_margin: Annotated[
        str | None,
        typer.Option("--min-margin", help="Floor margin on the price, e.g. 10%.", show_default=False),
    ] = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Suggest a fee-aware StockX ask per pair, never below its floor, and the marketplace that nets most.

    Example: soleflip price suggest --all --strategy beat-lowest --min-margin 10%
    """
    from soleflip_cli.services.price import Selection, pricing_policy, suggest_prices

    settings = state(ctx).loaded.settings
    policy = pricing_policy(settings, strategy=strategy, min_margin=parse_percent(min_margin, "--min-margin"))
    selection = Selection(parse_items(item), sku, size, every)
    with session(ctx) as db:
        rows = suggest_prices(db, selection, policy, settings.fees)
    flagged = sum(1 for row in rows if row.flag)
    render.info(f"{len(rows)} pairs, {len(rows) - flagged} priced by the market, {flagged} flagged")
    render.render_rows(
        [asdict(row) for row in rows], SUGGEST_COLUMNS, output_format(fmt, as_json), title="Suggested asks"
    )


_NUMERIC = {"cost", "current_ask", "suggested_ask", "payout", "profit", "roi", "floor", "market_age_days"}
SUGGEST_COLUMNS = [
    Column(key, numeric=key in _NUMERIC)
    for key in (
        "item_id",
        "pair",
        "sku",
        "size",
        "cost",
        "currency",
        "current_ask",
        "suggested_ask",
        "payout",
        "profit",
        "roi",
        "floor",
        "market_age_days",
        "best_platform",
        "best_payout",
        "flag",
        "reason",
    )
]


APPLY_COLUMNS = [
    Column(key, numeric=key in {"old_ask", "new_ask", "payout", "floor"})
    for key in ("item_id", "pair", "sku", "size", "listing", "old_ask", "new_ask", "currency", "payout")
    + ("floor", "status", "message")
]


@app.command("apply")
def apply(
    ctx: typer.Context,
    item: ItemOption = None,
    sku: SkuOption = None,
    size: SizeOption = None,
    every: AllOption = False,
    price: Annotated[
        str | None, typer.Option("--price", help="Ask this instead of the suggestion.", show_default=False)
    ] = None,
    strategy: StrategyOption = None,
    min_margin: MinMarginOption = None,
    yes: YesOption = False,
    wait: WaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Apply suggested asks (or --price) to your StockX listings, never below a pair's floor.

    Without --yes it previews and asks; with no terminal, --yes is required. Exit 3 when a
    change failed or is still pending; exit 5 while another soleflip run writes the database
    (or --wait to queue behind it; the plan is made again once it is done).

    Example: soleflip price apply --all --yes
    """
    from soleflip_cli.services.auth import open_stockx
    from soleflip_cli.services.price import Selection, pricing_policy
    from soleflip_cli.services.price_apply import apply_prices, pending_changes, plan_changes, resolve_pending

    settings = state(ctx).loaded.settings
    policy = pricing_policy(settings, strategy=strategy, min_margin=parse_percent(min_margin, "--min-margin"))
    selection = Selection(parse_items(item), sku, size, every)
    explicit = parse_amount(price, "--price") if price is not None else None
    chosen = output_format(fmt, as_json)
    with session(ctx) as db:
        plan = plan_changes(db, selection, policy, settings.fees, price=explicit)
        todo = sum(1 for change in plan if change.status == "would_update")
        idle = not todo and not pending_changes(db)
        if not yes or idle:
            _render_changes(plan, chosen, "Planned ask changes")
        if idle:
            render.info("Nothing to change.")
            return
        if not confirm(f"Apply {todo} ask changes on StockX?", yes):
            render.info("Nothing applied.")
            return
        db.commit()  # end the read transaction: never wait for the writer lock holding table locks
        lock = writer_lock(state(ctx).engine(), "price apply", wait)
        with lock, open_stockx(state(ctx).loaded) as client:
            resolve_pending(db, client, checkpoint=db.commit)
            plan = plan_changes(db, selection, policy, settings.fees, price=explicit)
            results = apply_prices(db, client, plan, checkpoint=db.commit)
            stats = client.stats
    _render_changes(results, chosen, "Ask changes")
    counts = {s: sum(1 for r in results if r.status == s) for s in ("updated", "failed", "pending")}
    render.info(
        f"{counts['updated']} updated, {counts['failed']} failed, {counts['pending']} pending; "
        f"{stats.requests} StockX requests, {stats.rate_limited} rate-limited"
    )
    if counts["failed"] or counts["pending"]:
        raise FindingsError(
            f"{counts['failed']} ask changes failed and {counts['pending']} are still pending",
            hint="see the message column; run `soleflip price apply` again to resolve pending ones",
        )


def _render_changes(changes: list[PriceChange], chosen: OutputFormat, title: str) -> None:
    rows = [{k: v for k, v in asdict(c).items() if k != "listing_row"} for c in changes]
    render.render_rows(rows, APPLY_COLUMNS, chosen, title=title)


@app.command("history")
def history(
    ctx: typer.Context,
    sku: SkuOption = None,
    item: ItemOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many changes.")] = 100,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Recorded ask changes, newest first: old -> new, status and StockX operation.

    Example: soleflip price history --sku DD1391-100 --json
    """
    from soleflip_cli.services.price_apply import price_history

    with session(ctx) as db:
        rows = price_history(db, sku=sku, item_ids=parse_items(item), limit=limit)
    columns = [
        Column(key, numeric=key in {"old_ask", "new_ask"})
        for key in ("at", "item_id", "pair", "sku", "size", "listing", "action", "old_ask", "new_ask")
        + ("currency", "status", "operation_id", "message")
    ]
    render.render_rows(
        [asdict(row) for row in rows], columns, output_format(fmt, as_json), title="Ask history"
    )
