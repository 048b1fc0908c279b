"""Apply asks to StockX listings: plan against the floor, PATCH or batch update, follow each operation."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.errors import ApiError, UsageError
from soleflip_cli.fees import compute_fees
from soleflip_cli.models import InventoryItem, Listing, ListingEvent, Product, Variant
from soleflip_cli.pricing import PricingPolicy
from soleflip_cli.services.price import PRICE_CHANGE, Selection, suggest_prices
from soleflip_cli.services.stockx_ops import (
    BATCH_MIN,
    BATCH_PREFIX,
    BATCH_SIZE,
    DONE,
    REJECTED,
    follow_batch,
    follow_operations,
)

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient
    from soleflip_cli.clients.stockx.models import Operation


@dataclass(frozen=True)
class PriceChange:
    """One pair's planned or applied ask change and its outcome (money in `currency`).

    status: would_update, updated, failed, pending, unchanged, skipped or refused.
    """

    item_id: int | None
    pair: str
    sku: str | None
    size: str
    listing: str
    old_ask: Decimal | None
    new_ask: Decimal | None
    currency: str
    payout: Decimal | None
    floor: Decimal | None
    status: str
    message: str
    listing_row: int | None = None


def plan_changes(
    session: Session,
    selection: Selection,
    policy: PricingPolicy,
    overrides: Mapping[str, Mapping[str, Any]],
    *,
    price: Decimal | None = None,
) -> list[PriceChange]:
    """What applying would do to each selected pair's open StockX listing; never an ask below the floor."""
    if price is not None and price != price.to_integral_value():
        raise UsageError(f"--price {price}: StockX asks are whole currency units")
    changes = []
    for row in suggest_prices(session, selection, policy, overrides):
        listing = session.get(Listing, row.listing_id) if row.listing_id else None
        target = price if price is not None else row.suggested_ask
        change = PriceChange(
            row.item_id,
            row.pair,
            row.sku,
            row.size,
            listing.external_id if listing else "",
            listing.amount if listing else None,
            target,
            row.currency,
            None,
            row.floor,
            "would_update",
            row.reason if price is None else f"price {price} given",
            listing.id if listing else None,
        )
        if listing is None:
            change = replace(change, status="skipped", message="no open StockX listing for this pair")
        elif target is None:
            change = replace(change, status="skipped", message=row.reason)
        elif listing.currency != row.currency:
            change = replace(change, status="skipped", message=f"the listing is in {listing.currency}")
        elif row.floor is None:
            change = replace(change, status="refused", message=f"no floor could be computed: {row.reason}")
        elif target < row.floor:
            change = replace(change, status="refused", message=f"{target} is below the floor {row.floor}")
        elif target == listing.amount:
            change = replace(change, status="unchanged", message="already at this ask")
        if target is not None and change.status != "skipped":
            change = replace(change, payout=compute_fees("stockx", target, row.currency, overrides).payout)
        changes.append(change)
    return changes


@dataclass(frozen=True)
class _Run:
    session: Session
    client: StockXClient
    checkpoint: Callable[[], None]
    sleep: Callable[[float], None]


def apply_prices(
    session: Session,
    client: StockXClient,
    changes: list[PriceChange],
    *,
    checkpoint: Callable[[], None],
    sleep: Callable[[float], None] = time.sleep,
) -> list[PriceChange]:
    """Send the `would_update` changes, follow each operation to its end, record old -> new.

    Each outcome is recorded in `listing_events` and saved through `checkpoint` before the next
    request, so an interrupted run loses nothing: the next run resolves what was left pending.
    """
    run = _Run(session, client, checkpoint, sleep)
    todo = [c for c in changes if c.status == "would_update"]
    if todo:  # fail on a missing login before anything is recorded as pending
        client.credentials.require_api_key()
        client.tokens.current()
    events = {}
    for change in todo:
        event = ListingEvent(
            listing_id=change.listing_row,
            inventory_item_id=change.item_id,
            action=PRICE_CHANGE,
            old_amount=change.old_ask,
            new_amount=change.new_ask,
            currency=change.currency,
            status="pending",
            actor="cli",
        )
        session.add(event)
        events[change.listing] = event
    session.flush()
    checkpoint()
    if len(todo) >= BATCH_MIN:
        for start in range(0, len(todo), BATCH_SIZE):
            _apply_batch(run, [events[c.listing] for c in todo[start : start + BATCH_SIZE]])
    else:
        for change in todo:
            _apply_one(run, events[change.listing])
    outcome = {c.listing: events[c.listing] for c in todo}
    return [
        replace(c, status=_STATUS[outcome[c.listing].status], message=outcome[c.listing].message or c.message)
        if c.listing in outcome
        else c
        for c in changes
    ]


_STATUS = {"succeeded": "updated", "failed": "failed", "pending": "pending"}


def _listing(run: _Run, event: ListingEvent) -> Listing:
    listing = run.session.get(Listing, event.listing_id)
    if listing is None:
        raise ApiError(f"listing row {event.listing_id} vanished during the run")
    return listing


def _finish(run: _Run, event: ListingEvent, status: str, message: str | None) -> None:
    event.status, event.message = status, message
    if status == "succeeded":
        listing = _listing(run, event)
        listing.amount = event.new_amount
        listing.remote_updated_at = datetime.now(UTC)
    run.session.flush()
    run.checkpoint()


def _apply_one(run: _Run, event: ListingEvent) -> None:
    listing = _listing(run, event)
    try:
        operation = run.client.update_listing(listing.external_id, amount=event.new_amount)
    except ApiError as exc:
        _finish(run, event, "failed" if exc.status in REJECTED else "pending", exc.message)
        return
    event.operation_id = operation.operation_id
    run.session.flush()
    run.checkpoint()
    _follow(run, event, operation)


def _follow(run: _Run, event: ListingEvent, operation: Operation) -> None:
    operation = follow_operations(run.client, {0: operation}, sleep=run.sleep)[0]
    if operation.operation_status == "SUCCEEDED":
        _finish(run, event, "succeeded", None)
    elif operation.operation_status == "FAILED":
        _finish(run, event, "failed", operation.error or "StockX reported the operation FAILED")
    else:
        _finish(
            run, event, "pending", f"operation still {operation.operation_status}; the next run checks it"
        )


def _apply_batch(run: _Run, events: list[ListingEvent]) -> None:
    from soleflip_cli.clients.stockx import ListingChange

    by_listing = {_listing(run, e).external_id: e for e in events}
    items = [ListingChange(listing_id, amount=e.new_amount) for listing_id, e in by_listing.items()]
    try:
        batch = run.client.update_listings_batch(items)
    except ApiError as exc:
        for event in events:
            _finish(run, event, "failed" if exc.status in REJECTED else "pending", exc.message)
        return
    for event in events:
        event.operation_id = BATCH_PREFIX + batch.batch_id
    run.session.flush()
    run.checkpoint()
    _follow_batch(run, batch.batch_id, by_listing)


def _follow_batch(run: _Run, batch_id: str, by_listing: dict[str, ListingEvent]) -> None:
    status = follow_batch(run.client, "update", batch_id, sleep=run.sleep)
    if status.status != "COMPLETED":
        for event in by_listing.values():
            _finish(run, event, "pending", f"batch still {status.status}; the next run checks it")
        return
    for item in run.client.get_batch_items("update", batch_id):
        listing_id = str(item.listing_input.get("listingId"))
        if listing_id in by_listing:
            event = by_listing.pop(listing_id)
            ok = item.status == "COMPLETED"
            _finish(run, event, "succeeded" if ok else "failed", None if ok else item.error or "item FAILED")
    for event in by_listing.values():
        _finish(run, event, "failed", "the batch did not report this listing")


def pending_changes(session: Session) -> int:
    """How many price changes an earlier run left pending."""
    query = select(func.count()).where(ListingEvent.action == PRICE_CHANGE, ListingEvent.status == "pending")
    return session.scalar(query) or 0


def resolve_pending(
    session: Session,
    client: StockXClient,
    *,
    checkpoint: Callable[[], None],
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Finish price changes an interrupted run left pending (never re-sending them); returns how many."""
    run = _Run(session, client, checkpoint, sleep)
    pending = session.scalars(
        select(ListingEvent)
        .where(ListingEvent.action == PRICE_CHANGE, ListingEvent.status == "pending")
        .order_by(ListingEvent.id)
    ).all()
    batches: dict[str, dict[str, ListingEvent]] = {}
    for event in pending:
        listing = _listing(run, event)
        if event.operation_id and event.operation_id.startswith(BATCH_PREFIX):
            batches.setdefault(event.operation_id.removeprefix(BATCH_PREFIX), {})[listing.external_id] = event
        elif event.operation_id:
            _follow(run, event, client.get_operation(listing.external_id, event.operation_id))
        else:
            _confirm_from_listing(run, event, listing)
    for batch_id, by_listing in batches.items():
        _follow_batch(run, batch_id, by_listing)
    return len(pending)


def _confirm_from_listing(run: _Run, event: ListingEvent, listing: Listing) -> None:
    """No operation id was saved: read the listing to learn whether the change reached StockX."""
    detail = run.client.get_listing(listing.external_id)
    last = detail.last_operation
    if last is not None and last.operation_status not in DONE and last.changes.updates.get("amount"):
        _follow(run, event, last)
    elif detail.amount == event.new_amount:
        _finish(run, event, "succeeded", "confirmed from the listing after an interrupted run")
    else:
        _finish(run, event, "failed", "not applied: the run stopped before StockX accepted it")


@dataclass(frozen=True)
class PriceEvent:
    """One recorded ask change (newest first in `price_history`); times UTC."""

    at: datetime
    item_id: int | None
    pair: str | None
    sku: str | None
    size: str | None
    listing: str | None
    action: str
    old_ask: Decimal | None
    new_ask: Decimal | None
    currency: str | None
    status: str
    operation_id: str | None
    message: str | None


def price_history(
    session: Session, *, sku: str | None = None, item_ids: tuple[int, ...] = (), limit: int = 100
) -> list[PriceEvent]:
    """Recorded ask changes (price changes and new asks), optionally for one SKU or some pairs."""
    query = (
        select(ListingEvent, Listing.external_id, Product.name, Product.sku, Variant.size)
        .outerjoin(Listing, ListingEvent.listing_id == Listing.id)
        .outerjoin(InventoryItem, ListingEvent.inventory_item_id == InventoryItem.id)
        .outerjoin(Product, InventoryItem.product_id == Product.id)
        .outerjoin(Variant, InventoryItem.variant_id == Variant.id)
        .where(ListingEvent.new_amount.is_not(None))
        .order_by(ListingEvent.created_at.desc(), ListingEvent.id.desc())
        .limit(limit)
    )
    if sku:
        query = query.where(Product.sku == normalise_sku(sku))
    if item_ids:
        query = query.where(ListingEvent.inventory_item_id.in_(item_ids))
    return [
        PriceEvent(
            event.created_at,
            event.inventory_item_id,
            name or product_sku,
            product_sku,
            size,
            external_id,
            event.action,
            event.old_amount,
            event.new_amount,
            event.currency,
            event.status,
            event.operation_id,
            event.message,
        )
        for event, external_id, name, product_sku, size in session.execute(query).all()
    ]
