"""StockX listings into `listings`, linked to inventory pairs by SKU and size; pair status follows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from soleflip_cli.errors import ApiError
from soleflip_cli.models import InventoryItem, Listing
from soleflip_cli.money import quantize
from soleflip_cli.services.sync.progress import PLATFORM, Counts, sync_state
from soleflip_cli.services.sync.refs import CatalogRefs

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient
    from soleflip_cli.clients.stockx.models import Listing as RemoteListing

RESOURCE = "listings"
PAGE_SIZE = 100
OPEN = ("active", "inactive")
_FIELDS = ("product_id", "variant_id", "amount", "currency", "status", "inventory_type", "order_number")
_TIMES = ("expires_at", "remote_created_at", "remote_updated_at")


def sync_listings(
    session: Session,
    client: StockXClient,
    refs: CatalogRefs,
    *,
    now: datetime,
    commit: Callable[[], None],
) -> Counts:
    """Mirror the open (ACTIVE/INACTIVE) StockX listings; re-read the ones that closed since.

    The open set is small, so it is walked whole every run (one page per 100 listings); a local
    listing no longer in it is read once by id to learn how it ended (matched, deleted, ...).
    Then pairs are linked to unlinked open listings of their size (oldest purchase first) and pairs
    with an active listing become `listed`, those without one go back to `in_stock`.
    """
    counts = Counts()
    state = sync_state(session, RESOURCE)
    state.last_started_at = now
    seen: set[str] = set()
    page_number = 1
    while True:
        page = client.get_listings(
            page_number=page_number, page_size=PAGE_SIZE, listing_statuses=["ACTIVE", "INACTIVE"]
        )
        seen.update(x.listing_id for x in page.listings)
        upsert_listings(session, refs, page.listings, counts)
        commit()
        if not page.has_next_page or not page.listings:
            break
        page_number += 1
    closed = session.scalars(
        select(Listing.external_id).where(Listing.platform == PLATFORM, Listing.status.in_(OPEN))
    ).all()
    for listing_id in closed:
        if listing_id not in seen:
            _close(session, client, refs, listing_id, counts)
    link_pairs(session)
    state.last_success_at = now
    commit()
    return counts


def _close(
    session: Session, client: StockXClient, refs: CatalogRefs, listing_id: str, counts: Counts
) -> None:
    try:
        detail = client.get_listing(listing_id)
    except ApiError as exc:
        if exc.status != 404:
            raise
        session.execute(
            update(Listing)
            .where(Listing.platform == PLATFORM, Listing.external_id == listing_id)
            .values(status="deleted")
        )
        counts.updated += 1
        return
    upsert_listings(session, refs, [detail], counts, fetched=False)


def upsert_listings(
    session: Session,
    refs: CatalogRefs,
    listings: Iterable[RemoteListing],
    counts: Counts,
    *,
    fetched: bool = True,
) -> None:
    """Insert new listings and update changed ones (compared field by field)."""
    rows = {x.listing_id: _row(refs, x) for x in listings}
    if fetched:
        counts.fetched += len(rows)
    if not rows:
        return
    existing = {
        listing.external_id: listing
        for listing in session.scalars(
            select(Listing).where(Listing.platform == PLATFORM, Listing.external_id.in_(rows))
        )
    }
    new_rows = [
        row | {"platform": PLATFORM, "external_id": key} for key, row in rows.items() if key not in existing
    ]
    changed = [
        row | {"id": existing[key].id}
        for key, row in rows.items()
        if key in existing and _differs(existing[key], row)
    ]
    if new_rows:
        session.execute(insert(Listing), new_rows)
    if changed:
        session.execute(update(Listing), changed)
    counts.inserted += len(new_rows)
    counts.updated += len(changed)


def _row(refs: CatalogRefs, listing: RemoteListing) -> dict[str, Any]:
    product, variant = listing.product, listing.variant
    ref = refs.resolve(
        product_id=product.product_id if product else None,
        style_id=product.style_id if product else None,
        name=product.product_name if product else None,
        variant_id=variant.variant_id if variant else None,
        size=variant.variant_value if variant else None,
    )
    currency = (listing.currency_code or "USD").upper()
    return {
        "product_id": ref.product_id,
        "variant_id": ref.variant_id,
        "amount": None if listing.amount is None else quantize(listing.amount, currency),
        "currency": currency,
        "status": listing.status.lower(),
        "inventory_type": listing.inventory_type,
        "order_number": listing.order.order_number if listing.order else None,
        "expires_at": listing.ask.ask_expires_at if listing.ask else None,
        "remote_created_at": listing.created_at,
        "remote_updated_at": listing.updated_at,
    }


def _differs(listing: Listing, row: dict[str, Any]) -> bool:
    if any(getattr(listing, key) != row[key] for key in _FIELDS):
        return True
    # SQLite keeps no sub-second precision guarantees across drivers: compare to the millisecond.
    return any(_ms(getattr(listing, key)) != _ms(row[key]) for key in _TIMES)


def _ms(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="milliseconds")


def link_pairs(session: Session) -> None:
    """Give unlinked open listings a pair of their size, then set `listed`/`in_stock` to match."""
    unlinked = session.execute(
        select(Listing.id, Listing.variant_id)
        .where(
            Listing.status.in_(OPEN),
            Listing.inventory_item_id.is_(None),
            Listing.variant_id.is_not(None),
        )
        .order_by(Listing.remote_created_at, Listing.id)
    ).all()
    if unlinked:
        taken = select(Listing.inventory_item_id).where(
            Listing.status.in_(OPEN), Listing.inventory_item_id.is_not(None)
        )
        free: dict[int, list[int]] = defaultdict(list)
        for item_id, variant_id in session.execute(
            select(InventoryItem.id, InventoryItem.variant_id)
            .where(
                InventoryItem.variant_id.in_({v for _, v in unlinked}),
                InventoryItem.status == "in_stock",
                InventoryItem.id.not_in(taken),
            )
            .order_by(InventoryItem.purchase_date, InventoryItem.id)
        ):
            free[variant_id].append(item_id)
        links = []
        for listing_id, wanted in unlinked:
            if wanted is not None and free.get(wanted):
                links.append({"id": listing_id, "inventory_item_id": free[wanted].pop(0)})
        if links:
            session.execute(update(Listing), links)
    active = select(Listing.inventory_item_id).where(
        Listing.status == "active", Listing.inventory_item_id.is_not(None)
    )
    session.execute(
        update(InventoryItem)
        .where(InventoryItem.status == "in_stock", InventoryItem.id.in_(active))
        .values(status="listed")
    )
    session.execute(
        update(InventoryItem)
        .where(InventoryItem.status == "listed", InventoryItem.id.not_in(active))
        .values(status="in_stock")
    )
