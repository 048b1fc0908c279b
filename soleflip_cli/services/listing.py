"""StockX listings of pairs: shared lookups and the audit trail, and the list and show views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from soleflip_cli.errors import ConfigError, NotFoundError, UsageError
from soleflip_cli.fees import compute_fees
from soleflip_cli.models import InventoryItem, Listing, ListingEvent, Product, Variant
from soleflip_cli.money import quantize

PLATFORM = "stockx"
OPEN = ("active", "inactive")
CLOSED = ("matched", "completed", "canceled", "deleted")
STATUSES = OPEN + CLOSED
# Listing actions recorded in listing_events (price changes are `price_change`, from price apply).
CREATE, ACTIVATE, DEACTIVATE, DELETE, RELINK = "create", "activate", "deactivate", "delete", "relink"
PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


def status_of(listing: Listing) -> str:
    """The listing's status, lower-case (rows written by other code may be upper-case)."""
    return listing.status.lower()


def find_listing(session: Session, ref: str) -> Listing:
    """A StockX listing by local id (digits) or StockX listing id."""
    text = ref.strip()
    query = select(Listing).where(Listing.platform == PLATFORM)
    if text.isdigit():
        listing = session.scalar(query.where(Listing.id == int(text)))
    else:
        listing = session.scalar(query.where(Listing.external_id == text))
    if listing is None:
        raise NotFoundError(
            f"no StockX listing {text!r}", hint="`soleflip listing list --status all` shows the listings"
        )
    return listing


def open_listings(session: Session, item_ids: Sequence[int]) -> dict[int, list[Listing]]:
    """Each pair's open (active or inactive) StockX listings, oldest first."""
    found: dict[int, list[Listing]] = {}
    if not item_ids:
        return found
    query = (
        select(Listing)
        .where(
            Listing.platform == PLATFORM,
            Listing.inventory_item_id.in_(item_ids),
            func.lower(Listing.status).in_(OPEN),
        )
        .order_by(Listing.id)
    )
    for listing in session.scalars(query):
        found.setdefault(listing.inventory_item_id or 0, []).append(listing)
    return found


def record(
    session: Session,
    action: str,
    *,
    actor: str,
    item_id: int | None,
    listing: Listing | None = None,
    old_status: str | None = None,
    new_status: str | None = None,
    old_amount: Decimal | None = None,
    new_amount: Decimal | None = None,
    currency: str | None = None,
) -> ListingEvent:
    """A pending audit event (who, what, old -> new), flushed; the caller finishes it."""
    event = ListingEvent(
        listing_id=listing.id if listing else None,
        inventory_item_id=item_id,
        action=action,
        old_status=old_status,
        new_status=new_status,
        old_amount=old_amount,
        new_amount=new_amount,
        currency=currency,
        status=PENDING,
        actor=actor,
    )
    session.add(event)
    session.flush()
    return event


def _linked(*statuses: str) -> Any:
    return select(Listing.inventory_item_id).where(
        func.lower(Listing.status).in_(statuses), Listing.inventory_item_id.is_not(None)
    )


def sync_pair_status(session: Session, item_ids: Sequence[int]) -> None:
    """Pairs with an active StockX listing are `listed`; listed pairs without one go back `in_stock`.

    A pair whose listing was matched (sold on StockX, order not synced yet) stays `listed`: back in
    stock it could be listed, and sold, a second time.
    """
    if not item_ids:
        return
    chosen = InventoryItem.id.in_(item_ids)
    session.execute(
        update(InventoryItem)
        .where(chosen, InventoryItem.status == "in_stock", InventoryItem.id.in_(_linked("active")))
        .values(status="listed")
    )
    session.execute(
        update(InventoryItem)
        .where(
            chosen,
            InventoryItem.status == "listed",
            InventoryItem.id.not_in(_linked("active", "matched", "completed")),
        )
        .values(status="in_stock")
    )


def sold_listings(session: Session, item_ids: Sequence[int]) -> dict[int, Listing]:
    """Pairs whose StockX listing was matched or completed (sold there), with that listing."""
    if not item_ids:
        return {}
    query = select(Listing).where(
        Listing.platform == PLATFORM,
        Listing.inventory_item_id.in_(item_ids),
        func.lower(Listing.status).in_(("matched", "completed")),
    )
    return {listing.inventory_item_id or 0: listing for listing in session.scalars(query)}


@dataclass(frozen=True)
class ListingRow:
    """One listing with its pair: cost, ask, payout at that ask and profit (money in its currency).

    `profit` is payout minus cost when both are in the same currency; `days_listed` counts from
    the listing's creation on StockX (or locally, when StockX did not say).
    """

    id: int
    listing: str
    status: str
    item_id: int | None
    pair: str | None
    sku: str | None
    size: str | None
    pair_status: str | None
    cost: Decimal | None
    cost_currency: str | None
    ask: Decimal | None
    currency: str
    payout: Decimal | None
    profit: Decimal | None
    days_listed: int
    expires_at: datetime | None


def _statuses(wanted: Sequence[str]) -> tuple[str, ...]:
    chosen: list[str] = []
    for raw in wanted or ("open",):
        for part in raw.lower().split(","):
            name = part.strip()
            if name == "all":
                return STATUSES
            if name == "open":
                chosen.extend(OPEN)
            elif name in STATUSES:
                chosen.append(name)
            elif name:
                raise UsageError(
                    f"--status: unknown status {name!r} (expected open, all, {', '.join(STATUSES)})"
                )
    return tuple(dict.fromkeys(chosen))


def _query() -> Any:
    return (
        select(Listing, InventoryItem, Product, Variant)
        .outerjoin(InventoryItem, Listing.inventory_item_id == InventoryItem.id)
        .outerjoin(Product, Listing.product_id == Product.id)
        .outerjoin(Variant, Listing.variant_id == Variant.id)
        .where(Listing.platform == PLATFORM)
    )


def _row(
    listing: Listing,
    item: InventoryItem | None,
    product: Product | None,
    variant: Variant | None,
    overrides: Mapping[str, Mapping[str, Any]],
    now: datetime,
) -> ListingRow:
    ask = quantize(listing.amount, listing.currency) if listing.amount is not None else None
    payout = None
    if ask is not None:
        try:
            payout = compute_fees(PLATFORM, ask, listing.currency, overrides).payout
        except (ConfigError, UsageError):
            payout = None  # no StockX fee schedule in this currency
    cost = item.purchase_price if item else None
    same = item is not None and item.purchase_currency == listing.currency
    since = listing.remote_created_at or listing.created_at
    return ListingRow(
        id=listing.id,
        listing=listing.external_id,
        status=status_of(listing),
        item_id=listing.inventory_item_id,
        pair=(product.name or product.sku) if product else None,
        sku=product.sku if product else None,
        size=variant.size if variant else None,
        pair_status=item.status if item else None,
        cost=cost,
        cost_currency=item.purchase_currency if item else None,
        ask=ask,
        currency=listing.currency,
        payout=payout,
        profit=payout - cost if payout is not None and cost is not None and same else None,
        days_listed=max((now - since).days, 0),
        expires_at=listing.expires_at,
    )


def list_listings(
    session: Session, overrides: Mapping[str, Mapping[str, Any]], *, statuses: Sequence[str], now: datetime
) -> list[ListingRow]:
    """StockX listings in the given statuses (default: open), oldest first; times UTC."""
    query = _query().where(func.lower(Listing.status).in_(_statuses(statuses))).order_by(Listing.id)
    return [
        _row(lst, item, prod, var, overrides, now) for lst, item, prod, var in session.execute(query).all()
    ]


@dataclass(frozen=True)
class EventRow:
    """One recorded change of a listing: who (actor), what (action), when, old -> new, outcome."""

    at: datetime
    action: str
    actor: str
    old_status: str | None
    new_status: str | None
    old_amount: Decimal | None
    new_amount: Decimal | None
    currency: str | None
    status: str
    operation_id: str | None
    message: str | None


@dataclass(frozen=True)
class ListingStory:
    """A listing with its pair, payout, and every recorded change, oldest first."""

    listing: ListingRow
    inventory_type: str | None
    order_number: str | None
    events: tuple[EventRow, ...]


def show_listing(
    session: Session, ref: str, overrides: Mapping[str, Mapping[str, Any]], *, now: datetime
) -> ListingStory:
    """One listing (local id or StockX id) and its audit trail."""
    listing = find_listing(session, ref)
    _, item, product, variant = session.execute(_query().where(Listing.id == listing.id)).one()
    events = session.scalars(
        select(ListingEvent)
        .where(ListingEvent.listing_id == listing.id)
        .order_by(ListingEvent.created_at, ListingEvent.id)
    )
    return ListingStory(
        listing=_row(listing, item, product, variant, overrides, now),
        inventory_type=listing.inventory_type,
        order_number=listing.order_number,
        events=tuple(
            EventRow(
                e.created_at,
                e.action,
                e.actor,
                e.old_status,
                e.new_status,
                e.old_amount,
                e.new_amount,
                e.currency,
                e.status,
                e.operation_id,
                e.message,
            )
            for e in events
        ),
    )
