"""Listing pairs: filters and sorting in SQL, rows streamed, totals per currency (Core, no ORM).

Like stock_health and valuation, these read services take a Connection: the commands built on
them run without importing the ORM (see tables.py); callers holding a Session pass
`session.connection()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypedDict, TypeVarTuple

from sqlalchemy import Connection, Numeric, Select, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.choices import SortKey
from soleflip_cli.errors import UsageError
from soleflip_cli.services.inputs import valid_size
from soleflip_cli.tables import ITEM_STATUSES, inventory_items, products, sales, suppliers, variants

# What `inventory list` shows by default: pairs the reseller still owns.
OWNED = ("in_stock", "listed", "consigned", "personal")
STREAM_CHUNK = 2000
_Ts = TypeVarTuple("_Ts")


_ITEM = inventory_items.c
_SIZE = variants.c.size_norm


class _leading_number(FunctionElement[Decimal]):
    """The number a text starts with (`10.5W` -> 10.5), NULL when it starts with none."""

    type = Numeric()
    inherit_cache = True


@compiles(_leading_number, "sqlite")
def _leading_number_sqlite(element: _leading_number, compiler: SQLCompiler, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    return f"CASE WHEN {text} GLOB '[0-9]*' THEN CAST({text} AS REAL) END"  # CAST reads the leading number


@compiles(_leading_number, "postgresql")
def _leading_number_postgresql(element: _leading_number, compiler: SQLCompiler, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    return f"CAST(substring({text} from '^[0-9]+(?:[.][0-9]+)?') AS NUMERIC)"


# Size systems in `--sort size` order: kids (toddler C, youth Y), US men's, women's, EU, UK; then the rest.
_SYSTEMS = ("us-c", "us-y", "us-m", "us-w", "eu", "uk")


def _size_order() -> tuple[Any, ...]:
    """Sort keys for sizes: by system, then numerically (4, 4.5, 10, 10.5), then as text."""
    system = case(
        *((variants.c.size_system == name, rank) for rank, name in enumerate(_SYSTEMS)), else_=len(_SYSTEMS)
    )
    # EU sizes in thirds are normalised like "EU442/3" (44 2/3): read 44 and add the third.
    third = case((_SIZE.like("%1/3"), 1.0 / 3), (_SIZE.like("%2/3"), 2.0 / 3), else_=0.0)
    whole = case((third > 0, func.substr(_SIZE, 1, func.length(_SIZE) - 3)), else_=_SIZE)
    bare = case((_SIZE.like("EU%") | _SIZE.like("UK%"), func.substr(whole, 3)), else_=whole)
    return (system, func.coalesce(_leading_number(bare), 0) + third, _SIZE)


_SORT_COLUMNS: dict[SortKey, tuple[Any, ...]] = {
    SortKey.id: (_ITEM.id,),
    SortKey.date: (_ITEM.purchase_date,),
    SortKey.cost: (_ITEM.purchase_price,),
    SortKey.sku: (products.c.sku,),
    SortKey.brand: (products.c.brand,),
    SortKey.size: _size_order(),
    SortKey.status: (_ITEM.status,),
    SortKey.location: (_ITEM.location,),
}


class ItemRow(TypedDict):
    """One pair as `inventory list` shows it; `days_in_stock` runs to the sale date once sold.

    A plain dict (typed) rather than a dataclass or named tuple: a listing builds one per pair and
    prints it as it is, and a dict is the record the output formats take.
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


def list_items(conn: Connection, filters: ListFilters, *, today: date) -> Iterator[ItemRow]:
    """Pairs matching `filters`, filtered and sorted in SQL, streamed in chunks."""
    keys = _SORT_COLUMNS[filters.sort]
    # Pairs without the value (no brand, no location) last either way, on SQLite as on PostgreSQL.
    order = [*((key.desc() if filters.descending else key.asc()).nulls_last() for key in keys), _ITEM.id]
    query = _where(conn, _row_select(), filters, _statuses(filters.statuses), today).order_by(*order)
    return _stream(conn, query, today)


def list_totals(conn: Connection, filters: ListFilters, *, today: date) -> tuple[CurrencyTotal, ...]:
    """Pair count and summed cost per purchase currency of the pairs `list_items` returns (one SQL query)."""
    query = _joined(select(_ITEM.purchase_currency, func.count(), func.sum(_ITEM.purchase_price)))
    query = _where(conn, query, filters, _statuses(filters.statuses), today).group_by(_ITEM.purchase_currency)
    return tuple(
        CurrencyTotal(currency, int(pairs), cost or Decimal("0.00"))
        for currency, pairs, cost in conn.execute(query.order_by(_ITEM.purchase_currency))
    )


def rows_by_id(conn: Connection, ids: Iterable[int], *, today: date) -> Iterator[ItemRow]:
    """The given pairs as list rows, in ID order."""
    query = _row_select().where(_ITEM.id.in_(list(ids))).order_by(_ITEM.id)
    return _stream(conn, query, today)


def _row_select() -> Select[*tuple[Any, ...]]:
    return _joined(
        select(
            _ITEM.id,
            products.c.sku,
            products.c.name,
            products.c.brand,
            variants.c.size_norm,
            _ITEM.condition,
            _ITEM.box_condition,
            _ITEM.status,
            _ITEM.purchase_price,
            _ITEM.purchase_currency,
            _ITEM.purchase_date,
            _ITEM.location,
            suppliers.c.name,
            sales.c.sold_at,
        )
    ).outerjoin(sales, sales.c.inventory_item_id == _ITEM.id)


def _joined(query: Select[*_Ts]) -> Select[*_Ts]:
    return (
        query.select_from(inventory_items)
        .join(products, products.c.id == _ITEM.product_id)
        .join(variants, variants.c.id == _ITEM.variant_id)
        .outerjoin(suppliers, suppliers.c.id == _ITEM.supplier_id)
    )


def _where(
    conn: Connection,
    query: Select[*_Ts],
    filters: ListFilters,
    statuses: Sequence[str] | None,
    today: date,
) -> Select[*_Ts]:
    if statuses is not None:
        query = query.where(_ITEM.status.in_(statuses))
    if filters.brand:
        query = query.where(func.lower(products.c.brand) == filters.brand.strip().lower())
    if filters.sku:
        query = query.where(products.c.sku == normalise_sku(filters.sku))
    if filters.size:
        query = query.where(variants.c.size_norm == valid_size(filters.size).norm)
    if filters.location:
        query = query.where(func.lower(_ITEM.location) == filters.location.strip().lower())
    if filters.supplier:
        query = query.where(_ITEM.supplier_id == _supplier_id(conn, filters.supplier))
    if filters.older_than is not None:
        if filters.older_than < 0:
            raise UsageError(f"--older-than must be zero or more days (got {filters.older_than})")
        query = query.where(_ITEM.purchase_date < today - timedelta(days=filters.older_than))
    return query


def _supplier_id(conn: Connection, ref: str) -> int:
    """The supplier's ID by name or ID; the ORM is imported only for this filter."""
    from sqlalchemy.orm import Session

    from soleflip_cli.services.suppliers import find_supplier

    with Session(bind=conn) as session:
        return find_supplier(session, ref).id


def _statuses(requested: Sequence[str]) -> Sequence[str] | None:
    if not requested:
        return OWNED
    if "all" in requested:
        return None
    unknown = [s for s in requested if s not in ITEM_STATUSES]
    if unknown:
        raise UsageError(f"unknown status {', '.join(unknown)}; use one of {', '.join(ITEM_STATUSES)} or all")
    return list(requested)


def _stream(conn: Connection, query: Select[*tuple[Any, ...]], today: date) -> Iterator[ItemRow]:
    for row in stream(conn, query):
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
        yield {
            "id": id_, "sku": sku, "name": name, "brand": brand, "size": size, "condition": cond, "box": box,
            "status": status, "cost": cost, "currency": currency, "purchase_date": bought,
            "days_in_stock": (until - bought).days, "location": location, "supplier": supplier,
        }  # fmt: skip


def stream(conn: Connection, query: Select[*tuple[Any, ...]]) -> Iterator[Any]:
    """Rows of a Core query in chunks (a server-side cursor on PostgreSQL)."""
    result = conn.execute(query, execution_options={"yield_per": STREAM_CHUNK})
    try:
        yield from result
    finally:  # also when the caller stops early: release the server-side cursor now
        result.close()
