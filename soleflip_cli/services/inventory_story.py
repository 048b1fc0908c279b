"""One pair's whole story: purchase, supplier, listings and their audit trail, sale, fees, profit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from soleflip_cli.models import InventoryItem, Listing, ListingEvent, Sale
from soleflip_cli.services.inventory import get_item


@dataclass(frozen=True)
class PurchaseInfo:
    """How the pair was bought."""

    date: date
    cost: Decimal
    currency: str
    supplier_id: int | None
    supplier: str | None
    source: str
    import_batch_id: int | None


@dataclass(frozen=True)
class ListingInfo:
    """An ask on a marketplace for this pair."""

    id: int
    platform: str
    external_id: str
    status: str
    amount: Decimal | None
    currency: str
    created_at: datetime


@dataclass(frozen=True)
class EventInfo:
    """A listing event: creation, price change, activation, deletion or relink (old -> new)."""

    at: datetime
    listing_id: int | None
    action: str
    old_status: str | None
    new_status: str | None
    old_amount: Decimal | None
    new_amount: Decimal | None
    currency: str | None
    status: str
    actor: str
    message: str | None


@dataclass(frozen=True)
class FeeInfo:
    """One fee line of the sale (charges positive, credits negative)."""

    name: str
    kind: str
    rate: Decimal | None
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class SaleInfo:
    """The sale that consumed the pair."""

    id: int
    platform: str
    external_id: str
    sold_at: datetime
    price: Decimal
    currency: str
    fees: tuple[FeeInfo, ...]
    fees_total: Decimal | None
    payout: Decimal | None
    status: str
    source: str


@dataclass(frozen=True)
class ItemStory:
    """Everything known about one pair; profit is None when unsold, unpriced or in another currency."""

    id: int
    status: str
    product_id: int
    sku: str | None
    name: str | None
    brand: str | None
    size: str
    condition: str
    box: str | None
    location: str | None
    notes: str | None
    purchase: PurchaseInfo
    listings: tuple[ListingInfo, ...]
    events: tuple[EventInfo, ...]
    sale: SaleInfo | None
    profit: Decimal | None
    roi_pct: Decimal | None
    profit_note: str | None
    days_in_stock: int


def item_story(session: Session, item_id: int, *, today: date) -> ItemStory:
    """The pair's story; days in stock run to the sale date once sold, else to `today`."""
    item = get_item(session, item_id)
    sale = session.scalar(
        select(Sale).where(Sale.inventory_item_id == item.id).options(selectinload(Sale.fees))
    )
    listings = session.scalars(
        select(Listing).where(Listing.inventory_item_id == item.id).order_by(Listing.created_at, Listing.id)
    ).all()
    events = session.scalars(
        select(ListingEvent)
        .where(
            or_(
                ListingEvent.inventory_item_id == item.id,
                ListingEvent.listing_id.in_([listing.id for listing in listings]),
            )
        )
        .order_by(ListingEvent.created_at, ListingEvent.id)
    ).all()
    sale_info = _sale_info(sale) if sale is not None else None
    profit, roi, note = _profit(item, sale_info)
    until = sale.sold_at.date() if sale is not None else today
    return ItemStory(
        id=item.id,
        status=item.status,
        product_id=item.product_id,
        sku=item.product.sku,
        name=item.product.name,
        brand=item.product.brand,
        size=item.variant.size_norm,
        condition=item.condition,
        box=item.box_condition,
        location=item.location,
        notes=item.notes,
        purchase=_purchase(item),
        listings=tuple(
            ListingInfo(
                lst.id, lst.platform, lst.external_id, lst.status, lst.amount, lst.currency, lst.created_at
            )
            for lst in listings
        ),
        events=tuple(
            EventInfo(
                e.created_at,
                e.listing_id,
                e.action,
                e.old_status,
                e.new_status,
                e.old_amount,
                e.new_amount,
                e.currency,
                e.status,
                e.actor,
                e.message,
            )
            for e in events
        ),
        sale=sale_info,
        profit=profit,
        roi_pct=roi,
        profit_note=note,
        days_in_stock=(until - item.purchase_date).days,
    )


def _purchase(item: InventoryItem) -> PurchaseInfo:
    return PurchaseInfo(
        date=item.purchase_date,
        cost=item.purchase_price,
        currency=item.purchase_currency,
        supplier_id=item.supplier_id,
        supplier=item.supplier.name if item.supplier is not None else None,
        source="import" if item.import_batch_id is not None else "manual",
        import_batch_id=item.import_batch_id,
    )


def _sale_info(sale: Sale) -> SaleInfo:
    fees = tuple(FeeInfo(f.name, f.kind, _plain(f.rate), f.amount, f.currency) for f in sale.fees)
    payout = sale.payout
    if payout is None and sale.fees_total is not None:
        payout = sale.sale_price - sale.fees_total
    return SaleInfo(
        id=sale.id,
        platform=sale.platform,
        external_id=sale.external_id,
        sold_at=sale.sold_at,
        price=sale.sale_price,
        currency=sale.currency,
        fees=fees,
        fees_total=sale.fees_total,
        payout=payout,
        status=sale.status,
        source=sale.source,
    )


def _plain(rate: Decimal | None) -> Decimal | None:
    """A rate without the column's trailing zeros (0.090000 -> 0.09), never in exponent form."""
    return None if rate is None else Decimal(format(rate.normalize(), "f"))


def _profit(item: InventoryItem, sale: SaleInfo | None) -> tuple[Decimal | None, Decimal | None, str | None]:
    if sale is None:
        return None, None, "not sold"
    if sale.payout is None:
        return None, None, "the sale has no payout or fees recorded"
    if sale.currency != item.purchase_currency:
        return (
            None,
            None,
            f"sale in {sale.currency}, purchase in {item.purchase_currency}: see `soleflip report`",
        )
    profit = sale.payout - item.purchase_price
    roi = (profit * 100 / item.purchase_price).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return profit, roi, None
