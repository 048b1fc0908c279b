"""Listing pairs: filters and sorting in SQL, rows streamed, totals per currency."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.choices import SortKey
from soleflip_cli.errors import UsageError
from soleflip_cli.models import ITEM_STATUSES, InventoryItem, Product, Sale, Supplier, Variant
from soleflip_cli.services.inputs import valid_size
from soleflip_cli.services.suppliers import find_supplier

# What `inventory list` shows by default: pairs the reseller still owns.
OWNED = ("in_stock", "listed", "consigned", "personal")
STREAM_CHUNK = 2000
_Ts = TypeVarTuple("_Ts")


_SORT_COLUMNS: dict[SortKey, Any] = {
    SortKey.id: InventoryItem.id,
    SortKey.date: InventoryItem.purchase_date,
    SortKey.cost: InventoryItem.purchase_price,
    SortKey.sku: Product.sku,
    SortKey.brand: Product.brand,
    SortKey.size: Variant.size_norm,
    SortKey.status: InventoryItem.status,
    SortKey.location: InventoryItem.location,
}


class ItemRow(NamedTuple):
    """One pair as `inventory list` shows it; `days_in_stock` runs to the sale date once sold.

    An immutable NamedTuple rather than a frozen dataclass: a listing builds one per pair, and
    tuples are several times cheaper to create and to turn into a record.
    """

    id: int
    sku: str | None
    name: str | None
    brand: str | None
    size: str
    condition: str
    box: str | None
    status: str
    cost: Decimal
    currency: str
    purchase_date: date
    days_in_stock: int
    location: str | None
    supplier: str | None

    def as_record(self) -> dict[str, Any]:
        """The row as a plain mapping, for output."""
        return self._asdict()


@dataclass(frozen=True)
class ListFilters:
    """`inventory list` filters; statuses empty means the owned ones, ("all",) means every status."""

    statuses: tuple[str, ...] = ()
    brand: str | None = None
    sku: str | None = None
    size: str | None = None
    location: str | None = None
    supplier: str | None = None
    older_than: int | None = None
    sort: SortKey = SortKey.id
    descending: bool = False


@dataclass(frozen=True)
class CurrencyTotal:
    """Pairs and summed cost in one purchase currency."""

    currency: str
    pairs: int
    cost: Decimal


def list_items(session: Session, filters: ListFilters, *, today: date) -> Iterator[ItemRow]:
    """Pairs matching `filters`, filtered and sorted in SQL, streamed in chunks."""
    column = _SORT_COLUMNS[filters.sort]
    order = [column.desc() if filters.descending else column.asc(), InventoryItem.id]
    query = _where(session, _row_select(), filters, _statuses(filters.statuses), today).order_by(*order)
    return _stream(session, query, today)


def list_totals(session: Session, filters: ListFilters, *, today: date) -> tuple[CurrencyTotal, ...]:
    """Pair count and summed cost per purchase currency of the pairs `list_items` returns (one SQL query)."""
    query = _joined(
        select(InventoryItem.purchase_currency, func.count(), func.sum(InventoryItem.purchase_price))
    )
    query = _where(session, query, filters, _statuses(filters.statuses), today).group_by(
        InventoryItem.purchase_currency
    )
    return tuple(
        CurrencyTotal(currency, int(pairs), cost or Decimal("0.00"))
        for currency, pairs, cost in session.execute(query.order_by(InventoryItem.purchase_currency))
    )


def rows_by_id(session: Session, ids: Iterable[int], *, today: date) -> Iterator[ItemRow]:
    """The given pairs as list rows, in ID order."""
    query = _row_select().where(InventoryItem.id.in_(list(ids))).order_by(InventoryItem.id)
    return _stream(session, query, today)


def _row_select() -> Select[*tuple[Any, ...]]:
    return _joined(
        select(
            InventoryItem.id,
            Product.sku,
            Product.name,
            Product.brand,
            Variant.size_norm,
            InventoryItem.condition,
            InventoryItem.box_condition,
            InventoryItem.status,
            InventoryItem.purchase_price,
            InventoryItem.purchase_currency,
            InventoryItem.purchase_date,
            InventoryItem.location,
            Supplier.name,
            Sale.sold_at,
        )
    ).outerjoin(Sale, Sale.inventory_item_id == InventoryItem.id)


def _joined(query: Select[*_Ts]) -> Select[*_Ts]:
    return (
        query.select_from(InventoryItem)
        .join(Product, Product.id == InventoryItem.product_id)
        .join(Variant, Variant.id == InventoryItem.variant_id)
        .outerjoin(Supplier, Supplier.id == InventoryItem.supplier_id)
    )


def _where(
    session: Session,
    query: Select[*_Ts],
    filters: ListFilters,
    statuses: Sequence[str] | None,
    today: date,
) -> Select[*_Ts]:
    if statuses is not None:
        query = query.where(InventoryItem.status.in_(statuses))
    if filters.brand:
        query = query.where(func.lower(Product.brand) == filters.brand.strip().lower())
    if filters.sku:
        query = query.where(Product.sku == normalise_sku(filters.sku))
    if filters.size:
        query = query.where(Variant.size_norm == valid_size(filters.size).norm)
    if filters.location:
        query = query.where(func.lower(InventoryItem.location) == filters.location.strip().lower())
    if filters.supplier:
        query = query.where(InventoryItem.supplier_id == find_supplier(session, filters.supplier).id)
    if filters.older_than is not None:
        if filters.older_than < 0:
            raise UsageError(f"--older-than must be zero or more days (got {filters.older_than})")
        query = query.where(InventoryItem.purchase_date < today - timedelta(days=filters.older_than))
    return query


def _statuses(requested: Sequence[str]) -> Sequence[str] | None:
    if not requested:
        return OWNED
    if "all" in requested:
        return None
    unknown = [s for s in requested if s not in ITEM_STATUSES]
    if unknown:
        raise UsageError(f"unknown status {', '.join(unknown)}; use one of {', '.join(ITEM_STATUSES)} or all")
    return list(requested)


def _stream(session: Session, query: Select[*tuple[Any, ...]], today: date) -> Iterator[ItemRow]:
    for row in stream(session, query):
        (
            id_,
            sku,
            name,
            brand,
            size,
            cond,
            box,
            status,
            cost,
            currency,
            bought,
            location,
            supplier,
            sold_at,
        ) = row
        until = sold_at.date() if sold_at is not None else today
        yield ItemRow(
            id_, sku, name, brand, size, cond, box, status, cost, currency, bought,
            (until - bought).days, location, supplier,
        )  # fmt: skip


def stream(session: Session, query: Select[*tuple[Any, ...]]) -> Iterator[Any]:
    """Rows of a Core query in chunks on the session's connection (server-side cursor on PostgreSQL)."""
    result = session.connection().execute(query, execution_options={"yield_per": STREAM_CHUNK})
    try:
        yield from result
    finally:  # also when the caller stops early: release the server-side cursor now
        result.close()
