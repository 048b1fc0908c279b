"""StockX orders into sales: active orders, then order history from a high-water mark, page by page."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from soleflip_cli.models import InventoryItem, Listing, Sale, SaleFee, utcnow
from soleflip_cli.money import quantize
from soleflip_cli.services.matching import match_sales, release_pairs, rematch
from soleflip_cli.services.sync.progress import PLATFORM, Counts, later, read_cursor, sync_state, write_cursor
from soleflip_cli.services.sync.refs import CatalogRefs
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES
from soleflip_cli.tables import SELLABLE

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient
    from soleflip_cli.clients.stockx.models import Order, Payout

RESOURCE = "orders"
PAGE_SIZE = 100
# History filters on the creation date while statuses keep changing: re-read this much before the mark.
OVERLAP = timedelta(days=7)
ACTIVE_STATUSES = frozenset(
    "created ccauthorizationfailed shipped received authenticating authenticated payoutpending "
    "payoutcompleted systemfulfilled payoutfailed suspended pending donotship".split()
)


def fee_kind(adjustment_type: str) -> str:
    """`transaction`, `processing`, `shipping` or `other`, by substring of StockX's free-text label."""
    label = adjustment_type.lower().replace(" ", "")
    if "transaction" in label:
        return "transaction"
    if "proc" in label:
        return "processing"
    if "shipping" in label:
        return "shipping"
    return "other"


def sync_orders(
    session: Session,
    client: StockXClient,
    refs: CatalogRefs,
    *,
    since: date | None,
    full: bool,
    now: datetime,
    commit: Callable[[], None],
) -> Counts:
    """Upsert active orders and order history as sales (platform `stockx`, key = order number).

    A history walk commits after every page together with its resume cursor, so a killed run
    continues where it stopped; the high-water mark (latest creation time seen) moves only when a
    walk completes. Orders that left the active list are re-read (history from their creation
    date, or their detail) so status changes are never missed.
    """
    counts = Counts()
    state = sync_state(session, RESOURCE)
    state.last_started_at = now
    active: set[str] = set()
    page_number = 1
    while True:
        page = client.get_active_orders(page_number=page_number, page_size=PAGE_SIZE)
        active.update(o.order_number for o in page.orders)
        upsert_orders(session, client, refs, page.orders, counts)
        if not page.has_next_page or not page.orders:
            break
        page_number += 1
    commit()
    cursor = None if full else read_cursor(state)
    if cursor is not None:
        from_text, page_number, seen_text = cursor.get("from"), int(cursor["page"]), cursor.get("max_seen")
        start = date.fromisoformat(from_text) if from_text else None
        max_seen = datetime.fromisoformat(seen_text) if seen_text else None
    else:
        start = since
        if start is None and not full and state.high_water is not None:
            start = (state.high_water - OVERLAP).date()
        left = _left_active(session, active)
        if start is not None and left:
            start = min([start, *(sold_at.date() for sold_at in left.values())])
        page_number, max_seen = 1, None
    while True:
        page = client.get_order_history(from_date=start, page_number=page_number, page_size=PAGE_SIZE)
        upsert_orders(session, client, refs, page.orders, counts)
        for order in page.orders:
            max_seen = later(max_seen, order.created_at)
        done = not page.has_next_page or not page.orders
        next_cursor = {
            "from": start.isoformat() if start else None,
            "page": page_number + 1,
            "max_seen": max_seen.isoformat() if max_seen else None,
        }
        write_cursor(state, None if done else next_cursor)
        if done:
            state.high_water = later(state.high_water, max_seen)
            state.last_success_at = now
        commit()
        if done:
            break
        page_number += 1
    stragglers = [client.get_order(number) for number in _left_active(session, active)]
    upsert_orders(session, client, refs, stragglers, counts, fetched=False)
    commit()
    return counts


def _left_active(session: Session, active: set[str]) -> dict[str, datetime]:
    """Sales still active here that StockX no longer lists as active: order number -> sold_at."""
    rows = session.execute(
        select(Sale.external_id, Sale.sold_at).where(
            Sale.platform == PLATFORM, Sale.status.in_(ACTIVE_STATUSES)
        )
    )
    return {number: sold_at for number, sold_at in rows if number not in active}


def upsert_orders(
    session: Session,
    client: StockXClient,
    refs: CatalogRefs,
    orders: Iterable[Order],
    counts: Counts,
    *,
    fetched: bool = True,
) -> None:
    """Insert new orders and update changed ones (with their fee lines); sales then consume pairs."""
    by_number = {o.order_number: o for o in orders}
    if fetched:
        counts.fetched += len(by_number)
    if not by_number:
        return
    existing = {
        number: (sale_id, digest, item_id)
        for sale_id, number, digest, item_id in session.execute(
            select(Sale.id, Sale.external_id, Sale.content_hash, Sale.inventory_item_id).where(
                Sale.platform == PLATFORM, Sale.external_id.in_(by_number)
            )
        )
    }
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    payouts: dict[str, Payout | None] = {}
    for number, order in by_number.items():
        digest = _digest(order)
        known = existing.get(number)
        if known is not None and known[1] == digest:
            continue
        payout = order.payout
        if payout is None:
            payout = client.get_order(number).payout
        payouts[number] = payout
        row = _sale_row(refs, order, payout) | {"content_hash": digest}
        if known is None:
            new_rows.append(row | {"platform": PLATFORM, "external_id": number, "source": "api"})
        else:
            changed_rows.append(row | {"id": known[0]})
    if new_rows:
        session.execute(insert(Sale), new_rows)
    if changed_rows:
        session.execute(update(Sale), changed_rows)
    if not payouts:
        return
    ids = dict(
        session.execute(
            select(Sale.external_id, Sale.id).where(Sale.platform == PLATFORM, Sale.external_id.in_(payouts))
        ).all()
    )
    _replace_fees(session, ids, payouts, by_number)
    released = [
        item_id
        for row_number in payouts
        if row_number in existing
        and (item_id := existing[row_number][2]) is not None
        and (by_number[row_number].status or "").lower() in NON_SALES
    ]
    first: dict[int, date] = {}  # sizes FIFO looks at again, from these days
    release_pairs(session, released, first)
    _take_listed_pairs(session, ids, by_number)
    match_sales(session, ids.values())
    rematch(session, first)
    counts.inserted += len(new_rows)
    counts.updated += len(changed_rows)


def _digest(order: Order) -> str:
    fields = [order.status, str(order.amount), order.currency_code, str(order.updated_at)]
    payout = order.payout.model_dump(mode="json") if order.payout else None
    text = json.dumps([fields, payout], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _sale_row(refs: CatalogRefs, order: Order, payout: Payout | None) -> dict[str, Any]:
    ref = refs.resolve(
        product_id=order.product.product_id,
        style_id=order.product.style_id,
        name=order.product.product_name,
        variant_id=order.variant.variant_id,
        size=order.variant.variant_value,
    )
    currency = (order.currency_code or (payout.currency_code if payout else None) or "USD").upper()
    price = order.amount if order.amount is not None else (payout.sale_price if payout else None)
    fees = None
    if payout is not None and payout.adjustments:
        fees = -sum((a.amount or Decimal(0) for a in payout.adjustments), Decimal(0))
    elif payout is not None and payout.total_adjustments is not None:
        fees = -payout.total_adjustments
    total = payout.total_payout if payout else None
    return {
        "product_id": ref.product_id,
        "variant_id": ref.variant_id,
        "item_name": order.product.product_name,
        "sku": ref.sku,
        "size": order.variant.variant_value,
        "quantity": 1,
        "sold_at": order.created_at or order.updated_at or utcnow(),
        "sale_price": quantize(price or Decimal(0), currency),
        "fees_total": None if fees is None else quantize(fees, currency),
        "payout": None if total is None else quantize(total, currency),
        "currency": currency,
        "status": (order.status or "unknown").lower(),
    }


def _replace_fees(
    session: Session, ids: dict[str, int], payouts: dict[str, Payout | None], orders: dict[str, Order]
) -> None:
    session.execute(delete(SaleFee).where(SaleFee.sale_id.in_([ids[n] for n in payouts if n in ids])))
    rows = []
    for number, payout in payouts.items():
        if payout is None or number not in ids:
            continue
        currency = (payout.currency_code or orders[number].currency_code or "USD").upper()
        rows += [
            {
                "sale_id": ids[number],
                "name": a.adjustment_type[:100],
                "kind": fee_kind(a.adjustment_type),
                "amount": quantize(-(a.amount or Decimal(0)), currency),
                "currency": currency,
                "rate": a.percentage,
            }
            for a in payout.adjustments
        ]
    if rows:
        session.execute(insert(SaleFee), rows)


def _take_listed_pairs(session: Session, ids: dict[str, int], orders: dict[str, Order]) -> None:
    """A sale of a listing that is linked to a pair consumes exactly that pair."""
    wanted = {o.listing_id: number for number, o in orders.items() if o.listing_id and number in ids}
    if not wanted:
        return
    rows = session.execute(
        select(Listing.external_id, Listing.inventory_item_id)
        .join(InventoryItem, InventoryItem.id == Listing.inventory_item_id)
        .where(
            Listing.platform == PLATFORM,
            Listing.external_id.in_(wanted),
            InventoryItem.status.in_(SELLABLE),
        )
    ).all()
    taken = {
        ids[wanted[listing_id]]: item_id
        for listing_id, item_id in rows
        if (orders[wanted[listing_id]].status or "").lower() not in NON_SALES
    }
    unmatched = set(
        session.scalars(select(Sale.id).where(Sale.id.in_(taken), Sale.inventory_item_id.is_(None))).all()
    )
    links = [(sale_id, item_id) for sale_id, item_id in taken.items() if sale_id in unmatched]
    if links:
        session.execute(update(Sale), [{"id": s, "inventory_item_id": i} for s, i in links])
        session.execute(update(InventoryItem), [{"id": i, "status": "sold"} for _, i in links])
