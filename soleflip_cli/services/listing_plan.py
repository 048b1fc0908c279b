"""What `listing create` would do per pair: the ask (given or suggested), its floor, payout and profit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.errors import ConfigError, NotFoundError, UsageError
from soleflip_cli.fees import compute_fees, fee_terms
from soleflip_cli.models import InventoryItem, ListingEvent, Product, Variant
from soleflip_cli.money import quantize
from soleflip_cli.pricing import PricingPolicy, ask_floor
from soleflip_cli.services.listing import (
    CREATE,
    PENDING,
    PLATFORM,
    open_listings,
    sold_listings,
    status_of,
)
from soleflip_cli.services.price import Selection, suggest_prices

# Pairs that may get a listing; the others are sold, returned, consigned, personal or removed.
LISTABLE = ("in_stock", "listed")


@dataclass(frozen=True)
class CreateRequest:
    """The pairs to list and how: a given price or the suggestion, live or inactive, expiry (UTC)."""

    item_ids: tuple[int, ...] = ()
    all_in_stock: bool = False
    price: Decimal | None = None
    suggested: bool = False
    currency: str = "USD"
    active: bool = True
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ListingOutcome:
    """One pair's planned or finished listing (money in `currency`; cost in `cost_currency`).

    status: would_create, created, failed, pending (outcome not known yet), refused (below the
    floor) or skipped.
    """

    item_id: int
    pair: str
    sku: str | None
    size: str
    cost: Decimal
    cost_currency: str
    ask: Decimal | None
    currency: str
    floor: Decimal | None
    payout: Decimal | None
    profit: Decimal | None
    listing: str | None
    status: str
    message: str


def check_request(request: CreateRequest) -> None:
    """Refuse impossible combinations before anything is read."""
    if request.item_ids and request.all_in_stock:
        raise UsageError("give pair ids or --all-in-stock, not both")
    if not request.item_ids and not request.all_in_stock:
        raise UsageError("choose the pairs: pair ids or --all-in-stock")
    if (request.price is None) == (not request.suggested):
        raise UsageError("give --price P or --suggested (the pricing engine's ask)")
    if request.price is not None and request.price != request.price.to_integral_value():
        raise UsageError(f"--price {request.price}: StockX asks are whole currency units")


def _pairs(session: Session, request: CreateRequest) -> list[tuple[InventoryItem, Product, Variant]]:
    query = (
        select(InventoryItem, Product, Variant)
        .join(Product, InventoryItem.product_id == Product.id)
        .join(Variant, InventoryItem.variant_id == Variant.id)
        .order_by(InventoryItem.id)
    )
    if request.item_ids:
        query = query.where(InventoryItem.id.in_(request.item_ids))
    else:
        query = query.where(InventoryItem.status == "in_stock")
    rows = [(item, product, variant) for item, product, variant in session.execute(query).all()]
    missing = sorted(set(request.item_ids) - {item.id for item, _, _ in rows})
    if missing:
        raise NotFoundError(
            f"no pair with id {', '.join(map(str, missing))}",
            hint="`soleflip inventory list` shows the pairs and their ids",
        )
    return rows


def unresolved_creates(session: Session, item_ids: list[int] | None = None) -> set[int]:
    """Pairs whose earlier create is still pending (its outcome not yet known)."""
    query = select(ListingEvent.inventory_item_id).where(
        ListingEvent.action == CREATE, ListingEvent.status == PENDING
    )
    if item_ids is not None:
        query = query.where(ListingEvent.inventory_item_id.in_(item_ids))
    return {item_id for item_id in session.scalars(query) if item_id is not None}


def plan_create(
    session: Session,
    request: CreateRequest,
    policy: PricingPolicy,
    overrides: Mapping[str, Mapping[str, Any]],
) -> list[ListingOutcome]:
    """Each chosen pair's ask and whether it would be listed; never an ask below the pair's floor.

    A pair that has an open StockX listing, or whose earlier create is unresolved, is skipped: a
    second ask for one pair is a double sale waiting to happen.
    """
    check_request(request)
    rows = _pairs(session, request)
    ids = [item.id for item, _, _ in rows]
    listed = open_listings(session, ids)
    sold = sold_listings(session, ids)
    unresolved = unresolved_creates(session, ids)
    outcomes = []
    for item, product, variant in rows:
        outcome = ListingOutcome(
            item.id,
            product.name or product.sku or product.product_key,
            product.sku,
            variant.size,
            item.purchase_price,
            item.purchase_currency,
            None,
            request.currency,
            None,
            None,
            None,
            None,
            "would_create",
            "",
        )
        if item.status not in LISTABLE:
            outcome = replace(outcome, status="skipped", message=f"the pair is {item.status}")
        elif item.id in sold:
            message = (
                f"sold on StockX: listing {sold[item.id].id} is {status_of(sold[item.id])}; "
                "`soleflip sync stockx` records the order"
            )
            outcome = replace(outcome, status="skipped", listing=sold[item.id].external_id, message=message)
        elif item.id in listed:
            first = listed[item.id][0]
            hint = (
                f"; `soleflip listing activate {first.id}` puts it live"
                if status_of(first) == "inactive"
                else ""
            )
            outcome = replace(
                outcome,
                status="skipped",
                listing=first.external_id,
                message=f"already listed: listing {first.id} ({status_of(first)}){hint}",
            )
        elif item.id in unresolved:
            outcome = replace(
                outcome,
                status="pending",
                message="an earlier create's outcome is still unknown; the next run re-reads StockX first",
            )
        outcomes.append(outcome)
    priced = _price(session, request, policy, overrides, [o for o in outcomes if o.status == "would_create"])
    return [priced.get(o.item_id, o) for o in outcomes]


def _price(
    session: Session,
    request: CreateRequest,
    policy: PricingPolicy,
    overrides: Mapping[str, Mapping[str, Any]],
    todo: list[ListingOutcome],
) -> dict[int, ListingOutcome]:
    if not todo:
        return {}
    suggestions = {}
    if request.suggested:
        selection = Selection(item_ids=tuple(o.item_id for o in todo))
        suggestions = {s.item_id: s for s in suggest_prices(session, selection, policy, overrides)}
    priced = {}
    for outcome in todo:
        ask: Decimal | None
        floor: Decimal | str | None
        if request.price is not None:
            ask, floor = request.price, _floor(outcome, request.currency, policy, overrides)
            why = message = f"price {request.price} given"
        else:
            suggestion = suggestions[outcome.item_id]
            ask, floor, why = suggestion.suggested_ask, suggestion.floor, suggestion.reason
            message = suggestion.reason
            if ask is not None and suggestion.currency != request.currency:
                ask = None
                why = f"the suggestion is in {suggestion.currency}; pass --currency {suggestion.currency}"
        priced[outcome.item_id] = _judge(outcome, ask, floor, why, message, overrides)
    return priced


def _floor(
    outcome: ListingOutcome, currency: str, policy: PricingPolicy, overrides: Mapping[str, Mapping[str, Any]]
) -> Decimal | str:
    """The pair's floor in `currency`, or why there is none."""
    if outcome.cost_currency != currency:
        return f"the pair cost {outcome.cost_currency}, the ask is in {currency}: no floor without conversion"
    try:
        terms = fee_terms(PLATFORM, currency, overrides)
    except (ConfigError, UsageError) as exc:
        return exc.message
    return ask_floor(PLATFORM, terms, outcome.cost, policy.min_margin)


def _judge(
    outcome: ListingOutcome,
    ask: Decimal | None,
    floor: Decimal | str | None,
    why: str,
    message: str,
    overrides: Mapping[str, Mapping[str, Any]],
) -> ListingOutcome:
    if isinstance(floor, str):
        why, floor = floor, None
    cur = outcome.currency
    if ask is None:
        return replace(outcome, status="skipped", message=why)
    ask = quantize(ask, cur)
    outcome = replace(outcome, ask=ask)
    if floor is None:
        return replace(outcome, status="refused", message=f"no floor could be computed: {why}")
    floor = quantize(floor, cur)
    payout = compute_fees(PLATFORM, ask, cur, overrides).payout
    outcome = replace(outcome, floor=floor, payout=payout, profit=payout - outcome.cost)
    if ask < floor:
        message = f"{ask} is below the floor {floor} (cost + fees + minimum margin)"
        return replace(outcome, status="refused", message=message)
    return replace(outcome, message=message)
