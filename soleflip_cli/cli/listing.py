"""`soleflip listing`: list pairs on StockX, keep the listings honest, and show what happened to them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

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
    from soleflip_cli.clients.stockx import StockXClient

app = typer.Typer(help="StockX listings: create, list, activate, delete, reconcile.", no_args_is_help=True)

ListingRefs = Annotated[list[str], typer.Argument(help="Listing ids (local) or StockX listing ids.")]
_MONEY = {"cost", "ask", "floor", "payout", "profit"}
CREATE_COLUMNS = [
    Column(key, numeric=key in _MONEY)
    for key in ("item_id", "pair", "sku", "size", "cost", "cost_currency", "ask", "currency", "floor")
    + ("payout", "profit", "listing", "status", "message")
]
LIST_COLUMNS = [
    Column(key, numeric=key in _MONEY | {"days_listed"})
    for key in ("id", "listing", "status", "item_id", "pair", "sku", "size", "pair_status", "cost")
    + ("cost_currency", "ask", "currency", "payout", "profit", "days_listed", "expires_at")
]
CHANGE_COLUMNS = [
    Column(key, numeric=key == "ask")
    for key in (
        "id",
        "listing",
        "item_id",
        "old_status",
        "new_status",
        "ask",
        "currency",
        "status",
        "message",
    )
]
EVENT_COLUMNS = [
    Column(key, numeric=key in {"old_amount", "new_amount"})
    for key in ("at", "action", "actor", "old_status", "new_status", "old_amount", "new_amount", "currency")
    + ("status", "operation_id", "message")
]
FINDING_COLUMNS = [
    Column(key, numeric=key == "ask")
    for key in ("id", "listing", "status", "item_id", "pair", "size", "pair_status", "ask", "currency")
    + ("problem", "action", "relink_to", "result", "message")
]


def _counts(statuses: Sequence[str], order: Sequence[str]) -> str:
    counts = Counter(statuses)
    return ", ".join(f"{counts[name]} {name}" for name in order if counts[name])


def _summary(statuses: Sequence[str], order: Sequence[str], client: StockXClient) -> None:
    stats = client.stats
    text = _counts(statuses, order) or "nothing to do"
    render.info(f"{text}; {stats.requests} StockX requests, {stats.rate_limited} rate-limited")


CREATE_ORDER = ("created", "failed", "pending", "refused", "skipped")


@app.command("create")
def create(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(help="Pair ids.", show_default=False)] = None,
    all_in_stock: Annotated[bool, typer.Option("--all-in-stock", help="Every pair in stock.")] = False,
    price: Annotated[
        str | None, typer.Option("--price", help="Ask this (whole currency units).", show_default=False)
    ] = None,
    suggested: Annotated[bool, typer.Option("--suggested", help="Ask what `price suggest` says.")] = False,
    inactive: Annotated[bool, typer.Option("--inactive", help="Create listings without a live ask.")] = False,
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="Asks expire after N days (StockX: 999).")
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option("--currency", help="Ask currency (default: base_currency).", show_default=False),
    ] = None,
    yes: YesOption = False,
    wait: WaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """List pairs on StockX at a given or suggested ask, never below a pair's floor.

    Without --yes it previews and asks; with no terminal, --yes is required. A pair that has a
    listing (or an unfinished create) is never listed again. Exit 3 when a create failed or its
    outcome is still unknown.

    Example: soleflip listing create --all-in-stock --suggested --yes
    """
    from datetime import UTC, datetime, timedelta

    from soleflip_cli.cli.price import parse_amount
    from soleflip_cli.money import check_currency
    from soleflip_cli.services.auth import open_stockx
    from soleflip_cli.services.listing_create import create_listings
    from soleflip_cli.services.listing_plan import CreateRequest, plan_create
    from soleflip_cli.services.listing_settle import pending_writes, settle_pending
    from soleflip_cli.services.price import pricing_policy

    app_state = state(ctx)
    settings = app_state.loaded.settings
    try:
        cur = check_currency(currency or settings.base_currency)
    except ValueError as exc:
        raise UsageError(f"--currency: {exc}") from None
    now = datetime.now(UTC)
    request = CreateRequest(
        item_ids=tuple(ids or ()),
        all_in_stock=all_in_stock,
        price=parse_amount(price, "--price") if price is not None else None,
        suggested=suggested,
        currency=cur,
        active=not inactive,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    policy = pricing_policy(settings)
    chosen = output_format(fmt, as_json)
    with session(ctx) as db:
        plan = plan_create(db, request, policy, settings.fees)
        todo = sum(1 for row in plan if row.status == "would_create")
        unfinished = pending_writes(db)
        if not yes or not (todo or unfinished):
            _render(plan, CREATE_COLUMNS, chosen, "Planned listings")
        if not (todo or unfinished):
            counts = _counts([row.status for row in plan], CREATE_ORDER)
            render.info(f"Nothing to list ({counts})." if counts else "Nothing to list.")
            return
        question = f"Create {todo} StockX listings" + (
            f" (and check {unfinished} unfinished)?" if unfinished else "?"
        )
        if not confirm(question, yes):
            render.info("Nothing created.")
            return
        db.commit()  # end the read transaction: never wait for the writer lock holding table locks
        with writer_lock(app_state.engine(), "listing create", wait), open_stockx(app_state.loaded) as client:
            settle_pending(db, client, now=now, checkpoint=db.commit, actor="listing create")
            plan = plan_create(db, request, policy, settings.fees)
            results = create_listings(db, client, plan, request, checkpoint=db.commit, notify=render.info)
    _render(results, CREATE_COLUMNS, chosen, "Listings")
    statuses = [row.status for row in results]
    _summary(statuses, CREATE_ORDER, client)
    unresolved = sum(1 for s in statuses if s in ("failed", "pending"))
    if unresolved:
        raise FindingsError(
            f"{unresolved} listings failed or are still pending",
            hint="see the message column; run `soleflip listing create` again to check pending ones",
        )


def _render(rows: Sequence[Any], columns: list[Column], chosen: OutputFormat, title: str) -> None:
    render.render_rows([asdict(row) for row in rows], columns, chosen, title=title)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help="open (default: active and inactive), all, or active, inactive, matched, completed, "
            "canceled, deleted; repeat or comma-separate.",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """StockX listings with their pairs: cost, ask, payout at that ask, profit and days listed.

    Example: soleflip listing list --status active --json
    """
    from datetime import UTC, datetime

    from soleflip_cli.services.listing import list_listings

    settings = state(ctx).loaded.settings
    with session(ctx) as db:
        rows = list_listings(db, settings.fees, statuses=tuple(status or ()), now=datetime.now(UTC))
    _render(rows, LIST_COLUMNS, output_format(fmt, as_json), "StockX listings")


@app.command("show")
def show(
    ctx: typer.Context,
    listing: Annotated[str, typer.Argument(help="Listing id (local) or StockX listing id.")],
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """One listing with its pair, payout and profit, and every recorded change (who, what, when, old -> new).

    Example: soleflip listing show 12 --json
    """
    from datetime import UTC, datetime

    from soleflip_cli.services.listing import show_listing

    settings = state(ctx).loaded.settings
    with session(ctx) as db:
        story = show_listing(db, listing, settings.fees, now=datetime.now(UTC))
    chosen = output_format(fmt, as_json)
    record = asdict(story.listing) | {
        "inventory_type": story.inventory_type,
        "order_number": story.order_number,
    }
    events = [asdict(event) for event in story.events]
    if chosen is not OutputFormat.table:
        render.render_object(record | {"events": events}, chosen)
        return
    render.render_object(record, chosen, title=f"Listing {story.listing.id}")
    render.render_rows(events, EVENT_COLUMNS, chosen, title="History")


def _change(
    ctx: typer.Context, refs: list[str], action: str, wait: bool, fmt: OutputFormat | None, as_json: bool
) -> None:
    from datetime import UTC, datetime

    from soleflip_cli.services.auth import open_stockx
    from soleflip_cli.services.listing import find_listing
    from soleflip_cli.services.listing_change import DONE_WORD, change_listings
    from soleflip_cli.services.listing_settle import settle_pending

    app_state = state(ctx)
    actor = f"listing {action}"
    with writer_lock(app_state.engine(), actor, wait), session(ctx) as db:
        listings = [find_listing(db, ref) for ref in refs]
        with open_stockx(app_state.loaded) as client:
            settle_pending(db, client, now=datetime.now(UTC), checkpoint=db.commit, actor=actor)
            outcomes = change_listings(db, client, listings, action, checkpoint=db.commit, actor=actor)
    _render(outcomes, CHANGE_COLUMNS, output_format(fmt, as_json), f"Listings to {action}")
    statuses = [row.status for row in outcomes]
    order = (DONE_WORD[action], "unchanged", "skipped", "refused", "failed", "pending")
    _summary(statuses, order, client)
    unresolved = sum(1 for s in statuses if s in ("failed", "pending"))
    if unresolved:
        raise FindingsError(
            f"{unresolved} listings could not be {DONE_WORD[action]} (failed or still pending)",
            hint="see the message column; a pending change is checked by the next `soleflip listing` run",
        )


@app.command("activate")
def activate(
    ctx: typer.Context,
    listings: ListingRefs,
    wait: WaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Put inactive listings' asks live again (never for a pair that is no longer for sale).

    Example: soleflip listing activate 12 13
    """
    _change(ctx, listings, "activate", wait, fmt, as_json)


@app.command("deactivate")
def deactivate(
    ctx: typer.Context,
    listings: ListingRefs,
    wait: WaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take listings' asks down but keep the listings (inactive ones are reported, not errors).

    Example: soleflip listing deactivate 12
    """
    _change(ctx, listings, "deactivate", wait, fmt, as_json)


@app.command("delete")
def delete(
    ctx: typer.Context,
    listings: ListingRefs,
    wait: WaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete listings on StockX (matched or completed ones are reported and left alone).

    Example: soleflip listing delete 12 --json
    """
    _change(ctx, listings, "delete", wait, fmt, as_json)


@app.command("reconcile")
def reconcile(
    ctx: typer.Context,
    yes: YesOption = False,
    deactivate_only: Annotated[
        bool, typer.Option("--deactivate", help="Deactivate extra listings instead of deleting them.")
    ] = False,
    wait: WaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find StockX listings that could sell a pair twice and, with --yes, take them down.

    Re-reads the open listings from StockX, then flags listings whose pair is sold, returned,
    consigned, personal or removed, a pair's extra listings, and asks no free pair backs. An ask
    moves to a free pair of the same size when there is one; otherwise it is deleted (or with
    --deactivate, deactivated). Safe in cron: one writer at a time (another exits 5, or queues
    with --wait). Exit 3 when
    something was found and --yes was not given, or a fix failed.

    Example: soleflip listing reconcile --yes --json
    """
    from datetime import UTC, datetime

    from soleflip_cli.services.auth import open_stockx
    from soleflip_cli.services.listing_reconcile import ACTOR, find_problems, fix_problems, refresh_listings
    from soleflip_cli.services.listing_settle import settle_pending

    app_state = state(ctx)
    now = datetime.now(UTC)
    engine = app_state.engine()
    lock = writer_lock(engine, "listing reconcile", wait)
    with lock, open_stockx(app_state.loaded) as client, session(ctx) as db:
        settle_pending(db, client, now=now, checkpoint=db.commit, actor=ACTOR)
        refresh_listings(db, client, now=now, checkpoint=db.commit)
        findings = find_problems(db, deactivate=deactivate_only)
        if findings and yes:
            findings = fix_problems(db, client, findings, checkpoint=db.commit)
    _render(findings, FINDING_COLUMNS, output_format(fmt, as_json), "Listings that could sell a pair twice")
    order = ("found", "relinked", "deleted", "deactivated", "unchanged", "skipped", "failed", "pending")
    _summary([f.result for f in findings], order, client)
    if findings and not yes:
        raise FindingsError(
            f"{len(findings)} StockX listings could sell a pair twice",
            hint="run `soleflip listing reconcile --yes` to fix them",
        )
    unresolved = sum(1 for f in findings if f.result in ("failed", "pending"))
    if unresolved:
        raise FindingsError(
            f"{unresolved} listings could not be fixed (failed or still pending)",
            hint="see the message column; run `soleflip listing reconcile --yes` again",
        )
