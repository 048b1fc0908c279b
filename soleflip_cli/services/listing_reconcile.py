"""`listing reconcile`: StockX asks that could sell a pair twice, found and deleted or deactivated."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli.models import InventoryItem, Listing, Product, Variant
from soleflip_cli.services.listing import (
    DEACTIVATE,
    DELETE,
    OPEN,
    PLATFORM,
    RELINK,
    SUCCEEDED,
    record,
    status_of,
    sync_pair_status,
)
from soleflip_cli.services.listing_change import change_listings
from soleflip_cli.services.listing_plan import LISTABLE
from soleflip_cli.services.sync.listings import sync_listings
from soleflip_cli.services.sync.refs import CatalogRefs

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient

ACTOR = "listing reconcile"


@dataclass(frozen=True)
class Finding:
    """An open StockX listing that could sell a pair twice, and what reconcile does (did) about it.

    problem: pair_sold, pair_returned, pair_consigned, pair_personal, pair_removed, listed_twice or
    no_free_pair. action: delete, deactivate, or relink (to a free pair of the same size, locally).
    result: found (not fixed), relinked, deleted, deactivated, unchanged, skipped, failed or pending.
    """

    id: int
    listing: str
    status: str
    item_id: int | None
    pair: str | None
    sku: str | None
    size: str | None
    pair_status: str | None
    ask: Decimal | None
    currency: str
    problem: str
    action: str
    relink_to: int | None
    result: str
    message: str


def refresh_listings(
    session: Session, client: StockXClient, *, now: datetime, checkpoint: Callable[[], None]
) -> None:
    """Mirror every open StockX listing (and how the vanished ones ended) and link new ones to pairs."""
    sync_listings(session, client, CatalogRefs(session), now=now, commit=checkpoint)


def find_problems(session: Session, *, deactivate: bool = False) -> list[Finding]:
    """Open StockX listings whose pair is not for sale, extra listings of one pair, and asks no pair backs.

    An ask is a claim on one pair of its size: when another pair of that size is in stock with no
    listing, the claim moves there (a relink) instead of the ask being taken down. With `deactivate`,
    inactive listings (which cannot sell) are left alone unless they can be relinked.
    """
    rows = session.execute(
        select(Listing, InventoryItem, Product, Variant)
        .outerjoin(InventoryItem, Listing.inventory_item_id == InventoryItem.id)
        .outerjoin(Product, Listing.product_id == Product.id)
        .outerjoin(Variant, Listing.variant_id == Variant.id)
        .where(Listing.platform == PLATFORM, func.lower(Listing.status).in_(OPEN))
        .order_by(Listing.id)
    ).all()
    claimed = {listing.inventory_item_id for listing, *_ in rows if listing.inventory_item_id}
    variants = {listing.variant_id for listing, *_ in rows if listing.variant_id}
    free: dict[int, list[int]] = defaultdict(list)
    tracked: set[int] = set()
    for item_id, variant_id, status in session.execute(
        select(InventoryItem.id, InventoryItem.variant_id, InventoryItem.status)
        .where(InventoryItem.variant_id.in_(variants))
        .order_by(InventoryItem.purchase_date, InventoryItem.id)
    ):
        tracked.add(variant_id)
        if status in LISTABLE and item_id not in claimed:
            free[variant_id].append(item_id)
    # Per pair, the listing kept is the active one, then the oldest; the others are extra.
    ordered = sorted(
        rows, key=lambda r: (status_of(r[0]) != "active", r[0].remote_created_at or r[0].created_at, r[0].id)
    )
    kept: dict[int, int] = {}
    findings = []
    for listing, item, product, variant in ordered:
        if item is not None and item.status not in LISTABLE:
            problem, why = f"pair_{item.status}", f"pair {item.id} is {item.status}"
        elif item is not None and item.id in kept:
            problem, why = "listed_twice", f"pair {item.id} is already listed by listing {kept[item.id]}"
        elif item is None and listing.variant_id in tracked:
            problem, why = "no_free_pair", "no pair of this size is free in the inventory"
        else:
            if item is not None:
                kept[item.id] = listing.id
            continue
        spare = free.get(listing.variant_id or 0)
        relink_to = spare.pop(0) if spare else None
        if relink_to is None and deactivate and status_of(listing) == "inactive":
            continue
        action = RELINK if relink_to is not None else (DEACTIVATE if deactivate else DELETE)
        if relink_to is not None:
            why += f"; pair {relink_to} of the same size is free"
        findings.append(
            Finding(
                id=listing.id,
                listing=listing.external_id,
                status=status_of(listing),
                item_id=item.id if item else None,
                pair=(product.name or product.sku) if product else None,
                sku=product.sku if product else None,
                size=variant.size if variant else None,
                pair_status=item.status if item else None,
                ask=listing.amount,
                currency=listing.currency,
                problem=problem,
                action=action,
                relink_to=relink_to,
                result="found",
                message=why,
            )
        )
    return sorted(findings, key=lambda f: f.id)


def fix_problems(
    session: Session,
    client: StockXClient,
    findings: list[Finding],
    *,
    checkpoint: Callable[[], None],
    sleep: Callable[[float], None] = time.sleep,
) -> list[Finding]:
    """Relink, delete or deactivate as each finding says; every change is recorded old -> new."""
    fixed = {f.id: _relink(session, f) for f in findings if f.action == RELINK}
    checkpoint()
    for action in (DELETE, DEACTIVATE):
        chosen = [f for f in findings if f.action == action]
        if not chosen:
            continue
        listings = [session.get_one(Listing, f.id) for f in chosen]
        reasons = {f.id: f"{f.problem}: {f.message}" for f in chosen}
        outcomes = change_listings(
            session,
            client,
            listings,
            action,
            checkpoint=checkpoint,
            sleep=sleep,
            actor=ACTOR,
            reasons=reasons,
        )
        for finding, outcome in zip(chosen, outcomes, strict=True):
            fixed[finding.id] = replace(
                finding, result=outcome.status, message=outcome.message or finding.message
            )
    return [fixed.get(f.id, f) for f in findings]


def _relink(session: Session, finding: Finding) -> Finding:
    listing = session.get_one(Listing, finding.id)
    event = record(
        session,
        RELINK,
        actor=ACTOR,
        item_id=finding.relink_to,
        listing=listing,
        old_status=status_of(listing),
        new_status=status_of(listing),
        old_amount=listing.amount,
        new_amount=listing.amount,
        currency=listing.currency,
    )
    previous = listing.inventory_item_id
    listing.inventory_item_id = finding.relink_to
    event.status = SUCCEEDED
    event.message = (
        f"{finding.problem}: the ask now sells pair {finding.relink_to} instead of pair {previous}"
    )
    session.flush()
    sync_pair_status(session, [i for i in (previous, finding.relink_to) if i is not None])
    return replace(finding, result="relinked", message=event.message)
