"""`soleflip inventory`: record, list, show, edit, move, remove and sell pairs (one row per physical pair)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from soleflip_cli.choices import BoxCondition, Condition, EditableStatus, ItemStatus, SortKey
from soleflip_cli.cli import inventory_health
from soleflip_cli.cli._common import (
    FormatOption,
    JsonOption,
    ManualWaitOption,
    YesOption,
    confirm,
    manual_write,
    output_format,
    reading,
    session,
    state,
)
from soleflip_cli.cli._values import parse_amount, parse_day
from soleflip_cli.errors import SoleflipError

if TYPE_CHECKING:
    from soleflip_cli.services.inventory import CatalogLookup

app = typer.Typer(help="Pairs from purchase to sale: record, list, edit, sell; aging, dead stock, value.")

Amount = Annotated[Decimal, typer.Option(parser=parse_amount, metavar="AMOUNT")]
Day = Annotated[date | None, typer.Option(parser=parse_day, metavar="YYYY-MM-DD")]
Ids = Annotated[list[int], typer.Argument(help="Pair IDs (see `soleflip inventory list`).", metavar="ID...")]
ITEM_COLUMNS = (
    ("id", True), ("sku", False), ("name", False), ("brand", False), ("size", False), ("condition", False),
    ("box", False), ("status", False), ("cost", True), ("currency", False), ("purchase_date", False),
    ("days_in_stock", True), ("location", False), ("supplier", False),
)  # fmt: skip


def _columns() -> list[Any]:
    from soleflip_cli import render

    return [
        render.Column(key, key.replace("_in_stock", "").replace("_", " "), num) for key, num in ITEM_COLUMNS
    ]


@app.command("add")
def add(
    ctx: typer.Context,
    sku: Annotated[str, typer.Option("--sku", help="Style code, e.g. DM7866-200.")],
    size: Annotated[str, typer.Option("--size", help="Size as printed: 10, 10.5, 8W, 5Y, EU 44.")],
    cost: Annotated[
        Decimal, typer.Option("--cost", parser=parse_amount, metavar="AMOUNT", help="Cost per pair.")
    ],
    currency: Annotated[
        str | None, typer.Option("--currency", help="ISO code [default: base currency].")
    ] = None,
    on: Annotated[date | None, typer.Option("--date", parser=parse_day, metavar="YYYY-MM-DD")] = None,
    condition: Annotated[Condition, typer.Option("--condition")] = Condition.new,
    box: Annotated[BoxCondition, typer.Option("--box")] = BoxCondition.good,
    location: Annotated[str | None, typer.Option("--location", help="Where the pairs are kept.")] = None,
    supplier: Annotated[str | None, typer.Option("--supplier", help="Supplier name or ID.")] = None,
    quantity: Annotated[int, typer.Option("--quantity", "-n", help="Number of identical pairs.")] = 1,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    lookup: Annotated[
        bool,
        typer.Option(
            "--lookup/--no-lookup", help="Ask the StockX catalog for name and brand when logged in."
        ),
    ] = True,
    wait: ManualWaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record bought pairs, one row per pair; name and brand come only from a catalog (local or StockX).

    Example: soleflip inventory add --sku DM7866-200 --size 10 --cost 180 --supplier SNKRS -n 2
    """
    from soleflip_cli import render
    from soleflip_cli.services.inventory import Purchase, add_pairs

    settings = state(ctx).loaded.settings
    today = date.today()
    purchase = Purchase(
        sku=sku, size=size, cost=cost, currency=currency or settings.base_currency,
        purchase_date=on or today, condition=condition.value, box=box.value, location=location,
        supplier=supplier, notes=notes, quantity=quantity,
    )  # fmt: skip
    with manual_write(ctx, "inventory add", wait) as s, _stockx_lookup(ctx, lookup) as finder:
        result = add_pairs(s, purchase, today=today, lookup=finder)
    first = result.pairs[0]
    added_sku, added_size = first["sku"], first["size"]  # normalised
    ids = ", ".join(str(p["id"]) for p in result.pairs)
    render.info(f"Added {len(result.pairs)} pair(s) of {added_sku} size {added_size} (ID {ids}).")
    if result.looked_up:
        render.info(f"Name and brand from the StockX catalog: {first['name']} ({first['brand']}).")
    if result.lookup_error:
        render.warn(f"StockX catalog lookup failed: {result.lookup_error}")
    if not result.catalog_known:
        render.warn(
            f"{added_sku} is not in the catalog: its name and brand stay unknown until a StockX lookup "
            f"(`soleflip catalog resolve {added_sku} {added_size}` when logged in), a sync or an import."
        )
    if result.matched_sales:
        render.info(f"{result.matched_sales} earlier sale(s) of this size took a new pair (FIFO).")
    render.render_rows(result.pairs, _columns(), output_format(fmt, as_json))


@contextmanager
def _stockx_lookup(ctx: typer.Context, enabled: bool) -> Iterator[CatalogLookup | None]:
    """`resolve_variant` on a StockX client when logged in to StockX, else None (no lookup)."""
    if not enabled:
        yield None
        return
    from soleflip_cli.errors import AuthError
    from soleflip_cli.services.auth import auth_status, open_secrets, open_stockx
    from soleflip_cli.services.catalog import resolve_variant

    loaded = state(ctx).loaded
    try:
        store = open_secrets(loaded)
        logged_in = auth_status(loaded.settings.stockx, store, datetime.now(UTC)).logged_in
    except AuthError:
        logged_in = False
    if not logged_in:
        yield None
        return
    with open_stockx(loaded, store) as client:
        yield lambda db_session, sku, size: resolve_variant(db_session, client, sku, size)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        list[ItemStatus] | None,
        typer.Option("--status", "-s", help="Repeatable; `all` for every status [default: owned pairs]."),
    ] = None,
    brand: Annotated[str | None, typer.Option("--brand")] = None,
    sku: Annotated[str | None, typer.Option("--sku")] = None,
    size: Annotated[str | None, typer.Option("--size")] = None,
    location: Annotated[str | None, typer.Option("--location")] = None,
    supplier: Annotated[str | None, typer.Option("--supplier", help="Supplier name or ID.")] = None,
    older_than: Annotated[int | None, typer.Option("--older-than", metavar="DAYS", min=0)] = None,
    sort: Annotated[
        SortKey,
        typer.Option("--sort", help="size: kids (C, Y), US men's, women's (W), EU, UK; each numerically."),
    ] = SortKey.id,
    desc: Annotated[bool, typer.Option("--desc", help="Sort descending.")] = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """List pairs (in stock, listed, consigned, personal unless --status says otherwise), streamed.

    Example: soleflip inventory list --brand Nike --older-than 60 --sort cost --desc
    """
    from soleflip_cli import render
    from soleflip_cli.services.inventory_list import ListFilters, list_items, list_totals

    filters = ListFilters(
        statuses=tuple(s.value for s in status or ()), brand=brand, sku=sku, size=size, location=location,
        supplier=supplier, older_than=older_than, sort=sort, descending=desc,
    )  # fmt: skip
    chosen = output_format(fmt, as_json)
    today = date.today()
    with reading(ctx) as conn:
        rows = list_items(conn, filters, today=today)
        footer = None
        if chosen is render.OutputFormat.table:
            totals = list_totals(conn, filters, today=today)
            cost = " + ".join(f"{t.cost} {t.currency}" for t in totals)
            footer = {"id": "total", "sku": f"{sum(t.pairs for t in totals)} pairs", "cost": cost}
        render.render_rows(rows, _columns(), chosen, footer=footer)


@app.command("show")
def show(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID")],
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Tell one pair's story: purchase, supplier, listings and price changes, sale, fees, profit, days.

    Example: soleflip inventory show 42 --json
    """
    from soleflip_cli import render
    from soleflip_cli.services.inventory_story import item_story

    with session(ctx) as s:
        story = item_story(s, item_id, today=date.today())
    chosen = output_format(fmt, as_json)
    if chosen is not render.OutputFormat.table:
        render.render_object(render.jsonable(story), chosen)
        return
    render.render_object(_story_summary(story), chosen, title=f"Pair {story.id}")
    if story.sale is not None and story.sale.fees:
        rows = [render.jsonable(fee) for fee in story.sale.fees]
        render.render_rows(rows, [render.Column(k) for k in rows[0]], chosen, title="Fees")
    if story.listings:
        rows = [render.jsonable(listing) for listing in story.listings]
        render.render_rows(rows, [render.Column(k) for k in rows[0]], chosen, title="Listings")
    if story.events:
        rows = [render.jsonable(event) for event in story.events]
        render.render_rows(rows, [render.Column(k) for k in rows[0]], chosen, title="Listing history")


def _story_summary(story: Any) -> dict[str, Any]:
    buy, sale = story.purchase, story.sale
    summary = {
        "status": story.status, "sku": story.sku, "name": story.name, "brand": story.brand,
        "size": story.size, "condition": story.condition, "box": story.box, "location": story.location,
        "purchased": f"{buy.date} from {buy.supplier or 'unknown supplier'} ({buy.source})",
        "cost": f"{buy.cost} {buy.currency}", "days_in_stock": story.days_in_stock, "notes": story.notes,
    }  # fmt: skip
    if sale is not None:
        summary["sold"] = f"{sale.sold_at.date()} on {sale.platform} ({sale.external_id})"
        summary["price"] = f"{sale.price} {sale.currency}"
        summary["fees"] = f"{sale.fees_total} {sale.currency}" if sale.fees_total is not None else None
        summary["payout"] = f"{sale.payout} {sale.currency}" if sale.payout is not None else None
    summary["profit"] = (
        f"{story.profit} {buy.currency} ({story.roi_pct}%)" if story.profit is not None else None
    )
    summary["profit_note"] = story.profit_note
    return summary


@app.command("edit")
def edit(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID")],
    sku: Annotated[str | None, typer.Option("--sku")] = None,
    size: Annotated[str | None, typer.Option("--size")] = None,
    cost: Annotated[Decimal | None, typer.Option("--cost", parser=parse_amount, metavar="AMOUNT")] = None,
    currency: Annotated[str | None, typer.Option("--currency")] = None,
    on: Annotated[date | None, typer.Option("--date", parser=parse_day, metavar="YYYY-MM-DD")] = None,
    condition: Annotated[Condition | None, typer.Option("--condition")] = None,
    box: Annotated[BoxCondition | None, typer.Option("--box")] = None,
    location: Annotated[str | None, typer.Option("--location", help='"" clears it.')] = None,
    supplier: Annotated[str | None, typer.Option("--supplier", help='Name or ID; "" clears it.')] = None,
    notes: Annotated[str | None, typer.Option("--notes", help='"" clears them.')] = None,
    status: Annotated[EditableStatus | None, typer.Option("--status")] = None,
    wait: ManualWaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Correct a pair's details (SKU, size and status stay fixed while a sale is tied to it).

    Example: soleflip inventory edit 42 --cost 175.50 --box damaged
    """
    from soleflip_cli import render
    from soleflip_cli.services.inventory import PairChanges, edit_pair

    changes = PairChanges(
        sku=sku, size=size, cost=cost, currency=currency, purchase_date=on,
        condition=condition.value if condition else None, box=box.value if box else None,
        location=location, supplier=supplier, notes=notes, status=status.value if status else None,
    )  # fmt: skip
    with manual_write(ctx, "inventory edit", wait) as s:
        row = edit_pair(s, item_id, changes, today=date.today())
    render.render_rows([row], _columns(), output_format(fmt, as_json))


@app.command("move")
def move(
    ctx: typer.Context,
    item_ids: Ids,
    location: Annotated[str, typer.Option("--location", "-l", help="The new location.")],
    wait: ManualWaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move pairs to another storage location.

    Example: soleflip inventory move 12 13 14 --location "shelf B"
    """
    from soleflip_cli import render
    from soleflip_cli.services.inventory import move_pairs

    with manual_write(ctx, "inventory move", wait) as s:
        result = move_pairs(s, item_ids, location)
    render.info(f"Moved {len(result.ids)} pair(s) to {result.location}.")
    render.render_object(
        {"moved": list(result.ids), "location": result.location}, output_format(fmt, as_json)
    )


@app.command("remove")
def remove(
    ctx: typer.Context,
    item_ids: Ids,
    yes: YesOption = False,
    force: Annotated[bool, typer.Option("--force", help="Also remove pairs tied to a sale.")] = False,
    wait: ManualWaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark pairs removed (their history stays); asks first unless --yes.

    Example: soleflip inventory remove 12 13 --yes
    """
    from soleflip_cli import render
    from soleflip_cli.services.inventory import plan_removal, remove_pairs

    with session(ctx) as s:
        plan = plan_removal(s, item_ids, force=force)
    if plan.targets and not confirm(f"Remove {len(plan.targets)} pair(s): {plan.describe()}?", yes):
        raise SoleflipError("cancelled; nothing was removed")
    with manual_write(ctx, "inventory remove", wait) as s:  # not held while the question waits
        result = remove_pairs(s, plan_removal(s, item_ids, force=force))
    for sale in result.unlinked_sales:
        where = (
            f"now takes pair {sale.rematched_item_id}" if sale.rematched_item_id else "has no cost basis now"
        )
        render.warn(f"sale {sale.sale_id} was unlinked from pair {sale.removed_item_id} and {where}")
    if result.open_listings:
        render.warn(
            f"listing(s) {_ids(result.open_listings)} still ask for removed pairs; "
            "`soleflip listing reconcile --yes` takes them down"
        )
    render.info(f"Removed {len(result.removed)} pair(s).")
    render.render_object(render.jsonable(result), output_format(fmt, as_json))


@app.command("sell")
def sell(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID")],
    price: Annotated[Decimal, typer.Option("--price", parser=parse_amount, metavar="AMOUNT")],
    platform: Annotated[str, typer.Option("--platform", help="Where it sold: local, stockx, ebay, …")],
    currency: Annotated[str | None, typer.Option("--currency", help="[default: purchase currency]")] = None,
    on: Annotated[date | None, typer.Option("--date", parser=parse_day, metavar="YYYY-MM-DD")] = None,
    fees: Annotated[
        Decimal | None,
        typer.Option(
            "--fees",
            parser=parse_amount,
            metavar="AMOUNT",
            help="Total fees paid [default: the fee schedule for stockx/alias/ebay, else 0].",
        ),  # fmt: skip
    ] = None,
    wait: ManualWaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record an offline or in-person sale of one pair: fees, payout and profit.

    Example: soleflip inventory sell 42 --price 260 --platform local --fees 0
    """
    from soleflip_cli import render
    from soleflip_cli.services.inventory_sale import SaleRequest, sell_pair

    request = SaleRequest(price=price, platform=platform, currency=currency, sold_on=on, fees=fees)
    overrides = state(ctx).loaded.settings.fees
    with manual_write(ctx, "inventory sell", wait) as s:
        result = sell_pair(
            s, item_id, request, fee_overrides=overrides, today=date.today(), now=datetime.now(UTC)
        )
    story, sale = result.story, result.sale
    if result.fees_estimated:
        render.info(
            f"Fees {sale.fees_total} {sale.currency} from the {sale.platform} fee schedule; --fees overrides."
        )
    if result.open_listings:
        render.warn(
            f"listing(s) {_ids(result.open_listings)} still ask for this pair; "
            "`soleflip listing reconcile --yes` takes them down before it sells twice"
        )
    record = {
        "item_id": story.id, "sale": sale,
        "cost": story.purchase.cost, "cost_currency": story.purchase.currency,
        "profit": story.profit, "roi_pct": story.roi_pct, "profit_note": story.profit_note,
        "days_in_stock": story.days_in_stock, "fees_estimated": result.fees_estimated,
    }  # fmt: skip
    chosen = output_format(fmt, as_json)
    if chosen is render.OutputFormat.table:
        record = {"item_id": story.id, **_story_summary(story)}
    render.render_object(render.jsonable(record), chosen, title=f"Pair {story.id} sold")


def _ids(ids: tuple[int, ...]) -> str:
    return ", ".join(str(i) for i in ids)


app.command("aging")(inventory_health.aging)
app.command("dead")(inventory_health.dead)
app.command("value")(inventory_health.value)
