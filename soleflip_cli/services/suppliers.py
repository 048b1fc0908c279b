"""Suppliers: where pairs are bought, their account passwords (keyring only) and what they earned."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Integer, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from soleflip_cli.errors import NotFoundError, SoleflipError, UsageError
from soleflip_cli.models import InventoryItem, Sale, Supplier
from soleflip_cli.secrets import SecretStore
from soleflip_cli.services.inputs import valid_choice
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES

KINDS = ("retail", "raffle", "reseller", "private")


@dataclass(frozen=True)
class SupplierFields:
    """Supplier details as entered; None leaves a field as it is on edit, "" clears an optional one."""

    name: str | None = None
    kind: str | None = None
    website: str | None = None
    account_email: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class SupplierInfo:
    """A supplier and how many pairs came from it; never its password, only whether one is stored."""

    id: int
    name: str
    kind: str
    website: str | None
    account_email: str | None
    notes: str | None
    pairs: int
    password_stored: bool | None
    created_at: datetime


@dataclass(frozen=True)
class SupplierStats:
    """Per supplier and purchase currency: pairs bought, spend and realised results of sold pairs.

    Profit and ROI cover sold pairs whose sale is in the purchase currency and has a known payout;
    `sold_unpriced` counts the sold pairs left out for that reason (never counted as zero profit).
    """

    supplier_id: int | None
    supplier: str | None
    currency: str | None
    pairs: int
    spend: Decimal
    sold: int
    realised_profit: Decimal | None
    avg_roi_pct: Decimal | None
    avg_days_to_sell: Decimal | None
    sold_unpriced: int


def password_key(supplier_id: int) -> str:
    """The secret-store name of a supplier's account password."""
    return f"supplier:{supplier_id}:password"


def find_supplier(session: Session, ref: str) -> Supplier:
    """The supplier with this ID or name (case-insensitive), or NotFoundError."""
    text = ref.strip()
    query = select(Supplier).where(func.lower(Supplier.name) == text.lower())
    supplier = session.scalar(query)
    if supplier is None and text.isdigit():
        supplier = session.get(Supplier, int(text))
    if supplier is None:
        raise NotFoundError(
            f"no supplier named {ref!r}",
            hint=f"`soleflip supplier list` shows them; `soleflip supplier add {text!r}` creates it",
        )
    return supplier


def add_supplier(
    session: Session,
    details: SupplierFields,
    *,
    store: SecretStore | None = None,
    password: str | None = None,
) -> SupplierInfo:
    """Create a supplier; a password goes to `store` under `password_key(id)`, never the database."""
    name = (details.name or "").strip()
    if not name:
        raise UsageError("a supplier needs a name")
    _check_unique(session, name, None)
    supplier = Supplier(name=name, kind=valid_choice("--kind", details.kind or "retail", KINDS))
    _apply_optional(supplier, details)
    session.add(supplier)
    session.flush()
    if password is not None:
        _store_password(store, supplier.id, password)
    return supplier_info(session, supplier, store)


def edit_supplier(
    session: Session,
    ref: str,
    details: SupplierFields,
    *,
    store: SecretStore | None = None,
    password: str | None = None,
    clear_password: bool = False,
) -> SupplierInfo:
    """Change a supplier's details, set (`password`) or delete (`clear_password`) its stored password."""
    if (
        all(getattr(details, f.name) is None for f in fields(details))
        and password is None
        and not clear_password
    ):
        raise UsageError(
            "nothing to change", hint="pass at least one option, see `soleflip supplier edit -h`"
        )
    supplier = find_supplier(session, ref)
    if details.name is not None:
        name = details.name.strip()
        if not name:
            raise UsageError("a supplier needs a name")
        _check_unique(session, name, supplier.id)
        supplier.name = name
    if details.kind is not None:
        supplier.kind = valid_choice("--kind", details.kind, KINDS)
    _apply_optional(supplier, details)
    session.flush()
    if password is not None:
        _store_password(store, supplier.id, password)
    elif clear_password and store is not None:
        store.delete(password_key(supplier.id))
    return supplier_info(session, supplier, store)


def list_suppliers(session: Session, *, store: SecretStore | None = None) -> list[SupplierInfo]:
    """Every supplier with its pair count, by name."""
    return [
        supplier_info(session, s, store) for s in session.scalars(select(Supplier).order_by(Supplier.name))
    ]


def supplier_info(session: Session, supplier: Supplier, store: SecretStore | None = None) -> SupplierInfo:
    """One supplier's details; `password_stored` is None when no secret store was given."""
    pairs = session.scalar(
        select(func.count()).select_from(InventoryItem).where(InventoryItem.supplier_id == supplier.id)
    )
    stored = None if store is None else store.get(password_key(supplier.id)) is not None
    return SupplierInfo(
        id=supplier.id,
        name=supplier.name,
        kind=supplier.kind,
        website=supplier.website,
        account_email=supplier.account_email,
        notes=supplier.notes,
        pairs=int(pairs or 0),
        password_stored=stored,
        created_at=supplier.created_at,
    )


def supplier_stats(session: Session, supplier: str | None = None) -> list[SupplierStats]:
    """Pairs bought, spend, realised profit, average ROI and days to sell, per supplier and currency.

    Removed pairs are left out; pairs with no supplier form their own row (supplier None).
    Amounts are in the purchase currency; days are whole UTC days from purchase to sale.
    """
    payout = func.coalesce(Sale.payout, Sale.sale_price - Sale.fees_total)
    comparable = and_(Sale.currency == InventoryItem.purchase_currency, payout.is_not(None))
    profit = case((comparable, payout - InventoryItem.purchase_price))
    roi = case((comparable, (payout - InventoryItem.purchase_price) * 100 / InventoryItem.purchase_price))
    query = (
        select(
            Supplier.id,
            Supplier.name,
            InventoryItem.purchase_currency,
            func.count(InventoryItem.id),
            func.sum(InventoryItem.purchase_price),
            func.count(Sale.id),
            func.sum(profit),
            func.avg(roi),
            func.avg(_days_between(Sale.sold_at, InventoryItem.purchase_date)),
            func.count(profit),
        )
        .select_from(InventoryItem)
        .outerjoin(Supplier, Supplier.id == InventoryItem.supplier_id)
        .outerjoin(Sale, and_(Sale.inventory_item_id == InventoryItem.id, Sale.status.not_in(NON_SALES)))
        .where(InventoryItem.status != "removed")
        .group_by(Supplier.id, Supplier.name, InventoryItem.purchase_currency)
        .order_by(Supplier.name, InventoryItem.purchase_currency)
    )
    if supplier is not None:
        query = query.where(InventoryItem.supplier_id == find_supplier(session, supplier).id)
    rows = [_stats_row(row) for row in session.execute(query)]
    seen = {r.supplier_id for r in rows}
    idle = select(Supplier.id, Supplier.name).order_by(Supplier.name)
    if supplier is not None:
        idle = idle.where(Supplier.id == find_supplier(session, supplier).id)
    rows += [
        SupplierStats(sid, name, None, 0, Decimal("0.00"), 0, None, None, None, 0)
        for sid, name in session.execute(idle)
        if sid not in seen
    ]
    return sorted(rows, key=lambda r: (r.supplier is None, (r.supplier or "").lower(), r.currency or ""))


def _stats_row(row: Any) -> SupplierStats:
    sid, name, currency, pairs, spend, sold, profit, roi, days, priced = row
    return SupplierStats(
        supplier_id=sid,
        supplier=name,
        currency=currency,
        pairs=int(pairs),
        spend=spend,
        sold=int(sold),
        realised_profit=profit if priced else None,
        avg_roi_pct=_round(roi, "0.1"),
        avg_days_to_sell=_round(days, "0.1"),
        sold_unpriced=int(sold) - int(priced),
    )


def _round(value: Any, step: str) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(step), rounding=ROUND_HALF_UP)


def _check_unique(session: Session, name: str, own_id: int | None) -> None:
    clash = session.scalar(select(Supplier).where(func.lower(Supplier.name) == name.lower()))
    if clash is not None and clash.id != own_id:
        raise SoleflipError(
            f"a supplier named {clash.name!r} already exists (ID {clash.id})",
            hint=f"`soleflip supplier edit {clash.id} …` changes it",
        )


def _apply_optional(supplier: Supplier, details: SupplierFields) -> None:
    for attr in ("website", "account_email", "notes"):
        value = getattr(details, attr)
        if value is not None:
            setattr(supplier, attr, value.strip() or None)


def _store_password(store: SecretStore | None, supplier_id: int, password: str) -> None:
    if store is None:
        raise UsageError("no secret store to keep the password in")
    if not password:
        raise UsageError("the password is empty; nothing stored")
    store.set(password_key(supplier_id), password)


class _days_between(FunctionElement[int]):
    """Whole days from a date to the UTC date of a timestamp (NULL when either is NULL)."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(_days_between, "sqlite")
def _days_sqlite(element: _days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday(date({later})) - julianday({earlier}) AS INTEGER)"


@compiles(_days_between, "postgresql")
def _days_postgresql(element: _days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST(({later} AT TIME ZONE 'UTC') AS DATE) - {earlier})"
