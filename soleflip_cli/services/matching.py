"""Sales consume inventory pairs: same product and size, bought by the sale's day, oldest purchase first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from soleflip_cli.models import InventoryItem, Sale
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES
from soleflip_cli.tables import SELLABLE


def match_sales(session: Session, sale_ids: Iterable[int] | None = None) -> int:
    """Attach unmatched sales to sellable pairs of their variant (FIFO); returns pairs consumed.

    Runs over the given sales, or every unmatched sale when `sale_ids` is None, so purchases
    recorded after their sale still get matched. Sales are taken in date order; a sale takes only
    a pair bought on or before its (UTC) day, else it stays without a cost basis.
    """
    query = (
        select(Sale.id, Sale.variant_id, Sale.sold_at)
        .where(
            Sale.inventory_item_id.is_(None),
            Sale.variant_id.is_not(None),
            Sale.status.not_in(NON_SALES),
        )
        .order_by(Sale.sold_at, Sale.id)
    )
    if sale_ids is not None:
        ids = list(sale_ids)
        if not ids:
            return 0
        query = query.where(Sale.id.in_(ids))
    by_variant: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for sale_id, variant_id, sold_at in session.execute(query):
        if variant_id is not None:
            by_variant[variant_id].append((sale_id, sold_at.date()))
    if not by_variant:
        return 0
    stock = session.execute(
        select(InventoryItem.id, InventoryItem.variant_id, InventoryItem.purchase_date)
        .where(InventoryItem.variant_id.in_(by_variant), InventoryItem.status.in_(SELLABLE))
        .order_by(InventoryItem.purchase_date, InventoryItem.id)
    )
    pairs: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for item_id, variant_id, bought in stock:
        pairs[variant_id].append((item_id, bought))
    links = [link for variant_id, sales in by_variant.items() for link in _fifo(sales, pairs[variant_id])]
    if not links:
        return 0
    session.execute(
        update(Sale), [{"id": sale_id, "inventory_item_id": item_id} for sale_id, item_id in links]
    )
    session.execute(update(InventoryItem), [{"id": item_id, "status": "sold"} for _, item_id in links])
    return len(links)


def _fifo(sales: list[tuple[int, date]], pairs: list[tuple[int, date]]) -> list[tuple[int, int]]:
    """(sale, pair) links: each sale, in date order, takes the oldest pair left if bought by its day."""
    links: list[tuple[int, int]] = []
    for sale_id, day in sales:
        if len(links) < len(pairs) and pairs[len(links)][1] <= day:
            links.append((sale_id, pairs[len(links)][0]))
    return links
