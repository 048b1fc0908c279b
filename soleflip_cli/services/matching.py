"""Sales consume inventory pairs: same product and size, bought by the sale's day, oldest purchase first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from soleflip_cli.models import Base, InventoryItem, Sale, utcnow
from soleflip_cli.services.product_cache import IN_CHUNK
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES
from soleflip_cli.tables import SELLABLE

Sold = tuple[int, datetime]  # a sale: its id, when it was sold
When = TypeVar("When", date, datetime)
_SALES, _ITEMS = Base.metadata.tables["sales"], Base.metadata.tables["inventory_items"]
# Core statements: the ORM's bulk update of many rows by key costs more than the database's work.
_SET_PAIR = (
    update(_SALES)
    .where(_SALES.c.id == bindparam("sale"))
    .values(inventory_item_id=bindparam("item"), updated_at=bindparam("now"))
)


def match_sales(session: Session, sale_ids: Iterable[int] | None = None) -> int:
    """Attach unmatched sales to sellable pairs of their variant (FIFO); returns pairs consumed.

    Runs over the given sales, or every unmatched sale when `sale_ids` is None, so purchases
    recorded after their sale still get matched. Sales are taken in date order; a sale takes only
    a pair bought on or before its (UTC) day, else it stays without a cost basis. Each size's stock
    is read once, however many sales there are (their ids are looked up IN-list by IN-list).
    """
    query = select(Sale.id, Sale.variant_id, Sale.sold_at).where(
        Sale.inventory_item_id.is_(None),
        Sale.variant_id.is_not(None),
        Sale.status.not_in(NON_SALES),
    )
    if sale_ids is None:
        found = list(session.execute(query))
    else:
        ids = list(dict.fromkeys(sale_ids))
        found = [
            row
            for start in range(0, len(ids), IN_CHUNK)
            for row in session.execute(query.where(Sale.id.in_(ids[start : start + IN_CHUNK])))
        ]
    by_variant: dict[int, list[Sold]] = defaultdict(list)
    for sale_id, variant_id, sold_at in sorted(found, key=lambda row: (row[2], row[0])):
        if variant_id is not None:
            by_variant[variant_id].append((sale_id, sold_at))
    if not by_variant:
        return 0
    pairs = _in_stock(session, list(by_variant))
    links = [link for variant_id, sales in by_variant.items() for link in _fifo(sales, pairs[variant_id])]
    _link(session, links)
    linked = {sale_id for sale_id, _ in links}
    waiting = {
        v: left for v, sales in by_variant.items() if (left := [s for s in sales if s[0] not in linked])
    }
    return len(links) + _refifo(session, waiting)


def _link(session: Session, links: list[tuple[int, int]]) -> None:
    """Each (sale, pair): the sale consumes the pair, which is sold."""
    _set_pairs(session, links)
    _set_status(session, [item_id for _, item_id in links], "sold")


def _set_pairs(session: Session, links: Iterable[tuple[int, int | None]]) -> None:
    """Each (sale, pair or None): the sale's pair, in one executemany."""
    now = utcnow()
    rows = [{"sale": sale_id, "item": item_id, "now": now} for sale_id, item_id in links]
    if rows:
        session.execute(_SET_PAIR, rows)


def _set_status(session: Session, item_ids: list[int], status: str) -> None:
    """The pairs' status, IN-list by IN-list."""
    now = utcnow()
    for start in range(0, len(item_ids), IN_CHUNK):
        chunk = item_ids[start : start + IN_CHUNK]
        session.execute(update(_ITEMS).where(_ITEMS.c.id.in_(chunk)).values(status=status, updated_at=now))


def _refifo(session: Session, waiting: dict[int, list[Sold]]) -> int:
    """FIFO again where sales left waiting could take a pair that a later CSV-imported sale holds.

    An older export imported after a newer one: its sales find the old pairs taken by later sales
    and only newer pairs in stock. Matching those sizes' sales from that day on again (with their
    pairs and the pairs in stock) gives each sale the oldest pair it can have. Only CSV-imported
    sales are re-matched: their pair is always FIFO's choice (a synced sale may be of a listed pair).
    Returns the waiting sales matched.
    """
    if not waiting:
        return 0
    first = {v: min(sold_at for _, sold_at in rows).date() for v, rows in waiting.items()}
    return _rematch(session, waiting, first)[0]


def rematch(session: Session, first: dict[int, date]) -> int:
    """FIFO again for these sizes (variants) from these days on; returns the waiting sales matched.

    Sales waiting for a pair of these sizes take one, and CSV-imported sales holding a pair from
    that day on are matched again with the waiting ones, so each gets the oldest pair it can have
    as in date order: after pairs were bought or given back, or sales added or changed, in
    whatever order the files came in.
    """
    waiting: dict[int, list[Sold]] = defaultdict(list)
    variants = sorted(first)
    for start in range(0, len(variants), IN_CHUNK):
        query = select(Sale.variant_id, Sale.id, Sale.sold_at).where(
            Sale.inventory_item_id.is_(None),
            Sale.status.not_in(NON_SALES),
            Sale.variant_id.in_(variants[start : start + IN_CHUNK]),
        )
        for variant_id, sale_id, sold_at in session.execute(query):
            if variant_id is not None:
                waiting[variant_id].append((sale_id, sold_at))
    since = {
        v: min([day, *(sold_at.date() for _, sold_at in waiting.get(v, []))]) for v, day in first.items()
    }
    moved, done = _rematch(session, waiting, since)
    # Sizes whose CSV sales hold no pairs from that day: their waiting sales against the stock.
    left = [sale_id for v, rows in waiting.items() if v not in done for sale_id, _ in rows]
    return moved + match_sales(session, left)


def earliest(first: dict[int, date], variant_id: int | None, day: date) -> None:
    """Note in `first` that FIFO must look at this size again from `day` (see rematch)."""
    if variant_id is None:
        return
    known = first.get(variant_id)
    if known is None or day < known:
        first[variant_id] = day


def _rematch(
    session: Session, waiting: dict[int, list[Sold]], first: dict[int, date]
) -> tuple[int, set[int]]:
    """FIFO over `waiting` sales and the CSV sales holding a pair from `first` on, per size.

    Returns the waiting sales matched and the sizes done (those with such CSV sales).
    """
    held = _held(session, first)
    if not held:
        return 0, set()
    stock = _in_stock(session, list(held))
    before: dict[int, int] = {}
    after: dict[int, int] = {}
    for variant_id, rows in held.items():
        before.update((sale_id, item_id) for sale_id, _, item_id, _ in rows)
        queue = [*waiting.get(variant_id, []), *((sale_id, sold_at) for sale_id, sold_at, _, _ in rows)]
        pool = [*((item_id, bought) for _, _, item_id, bought in rows), *stock[variant_id]]
        after.update(_fifo(sorted(queue, key=_in_order), sorted(pool, key=_in_order)))
    _relink(session, before, after)
    return sum(1 for rows in waiting.values() for sale_id, _ in rows if sale_id in after), set(held)


def _in_order(row: tuple[int, When]) -> tuple[When, int]:
    """A sale (id, when sold) or pair (id, day bought) in FIFO order: by time, then id."""
    return row[1], row[0]


def _in_stock(session: Session, variants: list[int]) -> defaultdict[int, list[tuple[int, date]]]:
    """The sellable pairs (id, purchase day) of each of `variants`, oldest first."""
    pairs: defaultdict[int, list[tuple[int, date]]] = defaultdict(list)
    for start in range(0, len(variants), IN_CHUNK):
        stock = session.execute(
            select(InventoryItem.id, InventoryItem.variant_id, InventoryItem.purchase_date)
            .where(
                InventoryItem.variant_id.in_(variants[start : start + IN_CHUNK]),
                InventoryItem.status.in_(SELLABLE),
            )
            .order_by(InventoryItem.purchase_date, InventoryItem.id)
        )
        for item_id, variant_id, bought in stock:
            pairs[variant_id].append((item_id, bought))
    return pairs


def _held(session: Session, first: dict[int, date]) -> dict[int, list[tuple[int, datetime, int, date]]]:
    """Per variant, its CSV sales holding a pair from its `first` day on: (sale, sold, pair, bought)."""
    variants = list(first)
    held: dict[int, list[tuple[int, datetime, int, date]]] = defaultdict(list)
    for start in range(0, len(variants), IN_CHUNK):
        rows = session.execute(
            select(Sale.variant_id, Sale.id, Sale.sold_at, InventoryItem.id, InventoryItem.purchase_date)
            .join(InventoryItem, InventoryItem.id == Sale.inventory_item_id)
            .where(
                Sale.variant_id.in_(variants[start : start + IN_CHUNK]),
                Sale.source == "csv",
                Sale.status.not_in(NON_SALES),
            )
        )
        for variant_id, sale_id, sold_at, item_id, bought in rows:
            if variant_id is not None and sold_at.date() >= first[variant_id]:
                held[variant_id].append((sale_id, sold_at, item_id, bought))
    return held


def release_pairs(session: Session, item_ids: list[int], first: dict[int, date]) -> None:
    """Sales that no longer consume these pairs (cancelled, returned, refunded) give them back to stock.

    Their purchase days are noted in `first`: FIFO looks again from there (see rematch), so a pair
    given back goes to the oldest sale it can.
    """
    if not item_ids:
        return
    session.execute(update(Sale).where(Sale.inventory_item_id.in_(item_ids)).values(inventory_item_id=None))
    session.execute(
        update(InventoryItem)
        .where(InventoryItem.id.in_(item_ids), InventoryItem.status == "sold")
        .values(status="in_stock")
    )
    for start in range(0, len(item_ids), IN_CHUNK):
        query = select(InventoryItem.variant_id, InventoryItem.purchase_date).where(
            InventoryItem.id.in_(item_ids[start : start + IN_CHUNK])
        )
        for variant_id, bought in session.execute(query):
            earliest(first, variant_id, bought)


def _relink(session: Session, before: dict[int, int], after: dict[int, int]) -> None:
    """Move sales from their pairs `before` to `after`: unlinked first (a pair has one sale at a time)."""
    changed = [s for s in {*before, *after} if before.get(s) != after.get(s)]
    if not changed:
        return
    _set_pairs(session, [(s, None) for s in changed if s in before])
    _set_pairs(session, [(s, after[s]) for s in changed if s in after])
    _set_status(session, sorted(set(before.values()) - set(after.values())), "in_stock")
    _set_status(session, sorted(set(after.values()) - set(before.values())), "sold")


def _fifo(sales: list[Sold], pairs: list[tuple[int, date]]) -> list[tuple[int, int]]:
    """(sale, pair) links: each sale, in time order, takes the oldest pair left if bought by its day."""
    links: list[tuple[int, int]] = []
    for sale_id, sold_at in sales:
        if len(links) < len(pairs) and pairs[len(links)][1] <= sold_at.date():
            links.append((sale_id, pairs[len(links)][0]))
    return links
