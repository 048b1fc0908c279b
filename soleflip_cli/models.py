"""SQLAlchemy 2.0 models: catalog, inventory pairs, sales, listings, market data, FX, bookkeeping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from soleflip_cli.sqltypes import Money, Rate, UTCDateTime
from soleflip_cli.tables import ITEM_STATUSES, NON_SALE_STATUSES

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CONDITIONS = ("new", "new-defects", "used")
BOX_CONDITIONS = ("good", "damaged", "missing")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _currency() -> Mapped[str]:
    return mapped_column(String(3))


class Base(DeclarativeBase):
    """Declarative base with stable constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime, Decimal: Money, date: Date}


class Product(Base):
    """A catalog product (one style code / SKU)."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised SKU when known, else "name:<slug>" — one row per real product either way.
    product_key: Mapped[str] = mapped_column(String(200), unique=True)
    sku: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(100), index=True)
    model: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(50))
    retail_price: Mapped[Decimal | None]
    retail_currency: Mapped[str | None] = _currency()
    release_date: Mapped[date | None]
    stockx_product_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stockx_url_key: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    variants: Mapped[list[Variant]] = relationship(back_populates="product")


class Variant(Base):
    """A product in one size: size as printed, normalised size and system, StockX ids."""

    __tablename__ = "variants"
    __table_args__ = (UniqueConstraint("product_id", "size_norm"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    size: Mapped[str] = mapped_column(String(40))
    size_norm: Mapped[str] = mapped_column(String(40))
    size_system: Mapped[str | None] = mapped_column(String(10))
    stockx_variant_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    gtin: Mapped[str | None] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(back_populates="variants")


class Supplier(Base):
    """Where pairs are bought: a retailer, raffle, reseller or private seller."""

    __tablename__ = "suppliers"
    __table_args__ = (CheckConstraint("kind IN ('retail', 'raffle', 'reseller', 'private')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="retail")
    website: Mapped[str | None] = mapped_column(String(300))
    account_email: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


FILE_NAME_CHARS = 500  # an import batch's file name (see import_batches.stored_name)


class ImportBatch(Base):
    """One run of `soleflip import csv` over one file."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(FILE_NAME_CHARS))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="running")
    rows: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # When the file was exported, if its name says so (StockX's `…_<epoch-ms>.csv`; migration 0007).
    exported_at: Mapped[datetime | None]


class InventoryItem(Base):
    """One physical pair, from purchase to sale."""

    __tablename__ = "inventory_items"
    __table_args__ = (
        CheckConstraint(
            "status IN ('in_stock', 'listed', 'sold', 'returned', 'consigned', 'personal', 'removed')",
            name="status",
        ),
        CheckConstraint("condition IN ('new', 'new-defects', 'used')", name="condition"),
        CheckConstraint(
            "box_condition IS NULL OR box_condition IN ('good', 'damaged', 'missing')",
            name="box_condition",
        ),
        CheckConstraint("purchase_price >= 0", name="purchase_price_nonnegative"),
        Index("ix_inventory_items_status_purchase_date", "status", "purchase_date"),
        # Reports: pairs in the book at a date (index-only count).
        Index("ix_inventory_items_purchase_date_status", "purchase_date", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"), index=True)
    condition: Mapped[str] = mapped_column(String(20), default="new")
    box_condition: Mapped[str | None] = mapped_column(String(20), default="good")
    purchase_price: Mapped[Decimal]
    purchase_currency: Mapped[str] = _currency()
    purchase_date: Mapped[date]
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="in_stock")
    notes: Mapped[str | None] = mapped_column(Text)
    # Idempotency key of the purchases-import row that created the pair (NULL when added by hand).
    source_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # Hash of that row's fields: a re-import updates the pair only when the row itself changed.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship()
    variant: Mapped[Variant] = relationship()
    supplier: Mapped[Supplier | None] = relationship()


class Sale(Base):
    """One sold unit on a platform, keyed by (platform, external order id)."""

    __tablename__ = "sales"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        Index("ix_sales_sold_at", "sold_at"),
        # Reports: every column they read, in sold_at order (index-only scans, months without sorting).
        Index(
            "ix_sales_report",
            "sold_at",
            "status",
            "inventory_item_id",
            "platform",
            "currency",
            "sale_price",
            "payout",
            "fees_total",
            "vat_amount",
            "quantity",
            "cost_price",
            "cost_currency",
            "cost_date",
        ),
        # Reports: the few cancelled and returned sales, counted apart (the condition as they write it).
        Index(
            "ix_sales_left_out",
            "sold_at",
            "status",
            sqlite_where=text(f"status IN {NON_SALE_STATUSES}"),
            postgresql_where=text(f"status IN {NON_SALE_STATUSES}"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(128))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"), index=True)
    item_name: Mapped[str | None] = mapped_column(String(300))
    sku: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[str | None] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(default=1)
    sold_at: Mapped[datetime]
    sale_price: Mapped[Decimal]
    fees_total: Mapped[Decimal | None]
    payout: Mapped[Decimal | None]
    vat_amount: Mapped[Decimal | None]
    currency: Mapped[str] = _currency()
    status: Mapped[str] = mapped_column(String(30), default="completed")
    payout_date: Mapped[datetime | None]
    buyer_country: Mapped[str | None] = mapped_column(String(60))
    inventory_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("inventory_items.id", ondelete="SET NULL"), unique=True
    )
    # The matched pair's purchase_price, purchase_currency and purchase_date (all NULL without one),
    # copied by database triggers (migration 0005) on every write: never set them in code.
    cost_price: Mapped[Decimal | None]
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    cost_date: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(20), default="csv")
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    # Hash of the source row's meaningful fields: a re-import updates only when it changes.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    fees: Mapped[list[SaleFee]] = relationship(
        back_populates="sale", cascade="all, delete-orphan", order_by="SaleFee.id"
    )
    inventory_item: Mapped[InventoryItem | None] = relationship()


class SaleFee(Base):
    """One fee line of a sale; charges are positive amounts, credits negative."""

    __tablename__ = "sale_fees"

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # transaction (marketplace commission), processing (payment), shipping, refund or other.
    kind: Mapped[str] = mapped_column(String(30), default="other")
    amount: Mapped[Decimal]
    currency: Mapped[str] = _currency()
    rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))

    sale: Mapped[Sale] = relationship(back_populates="fees")


class PaymentTransaction(Base):
    """A line of a marketplace payments report (eBay): an order's fees and payout, a refund, a payout.

    Kept even when its order is not imported yet; `sale_id` is set once the fees are attached.
    """

    __tablename__ = "payment_transactions"
    __table_args__ = (
        UniqueConstraint("platform", "row_key"),
        Index("ix_payment_transactions_platform_order", "platform", "order_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(30))
    row_key: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime]
    order_number: Mapped[str | None] = mapped_column(String(128))
    item_id: Mapped[str | None] = mapped_column(String(64))
    net_amount: Mapped[Decimal | None]
    gross_amount: Mapped[Decimal | None]
    fees_total: Mapped[Decimal | None]
    # JSON list of {"name", "kind", "amount"}: the fee columns of the row, charges positive.
    fee_lines: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = _currency()
    payout_date: Mapped[datetime | None]
    payout_id: Mapped[str | None] = mapped_column(String(64))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id", ondelete="SET NULL"), index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class Listing(Base):
    """An ask on a marketplace, linked to the pair it sells when known."""

    __tablename__ = "listings"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(128))
    inventory_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("inventory_items.id", ondelete="SET NULL"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"))
    amount: Mapped[Decimal | None]
    currency: Mapped[str] = _currency()
    status: Mapped[str] = mapped_column(String(20))
    inventory_type: Mapped[str | None] = mapped_column(String(20))
    order_number: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime | None]
    remote_created_at: Mapped[datetime | None]
    remote_updated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ListingEvent(Base):
    """Audit trail: every create, price change, activation and deletion, old -> new."""

    __tablename__ = "listing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"), index=True)
    inventory_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("inventory_items.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(30))
    # Listing status before and after (`inactive` -> `active` for an activation; None when unknown).
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str | None] = mapped_column(String(20))
    old_amount: Mapped[Decimal | None]
    new_amount: Mapped[Decimal | None]
    currency: Mapped[str | None] = _currency()
    operation_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(50), default="cli")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MarketPrice(Base):
    """A market observation for a product size: lowest ask, highest bid, StockX suggestions."""

    __tablename__ = "market_prices"
    __table_args__ = (Index("ix_market_prices_variant_observed", "variant_id", "observed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"))
    source: Mapped[str] = mapped_column(String(30))
    lowest_ask: Mapped[Decimal | None]
    highest_bid: Mapped[Decimal | None]
    sell_faster: Mapped[Decimal | None]
    earn_more: Mapped[Decimal | None]
    flex_lowest_ask: Mapped[Decimal | None]
    last_sale: Mapped[Decimal | None]
    currency: Mapped[str] = _currency()
    observed_at: Mapped[datetime]


class MarketSale(Base):
    """A public market sale (not the user's own), for demand and price history."""

    __tablename__ = "market_sales"
    __table_args__ = (
        # A unique index, not a constraint, so SQLite can drop it too for a big first load; led by
        # row_key, byte-wise on PostgreSQL, so rebuilding it is quick (migration 0006).
        Index("uq_market_sales_row_key_source", "row_key", "source", unique=True),
        Index("ix_market_sales_product_date", "product_id", "sale_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(30))
    row_key: Mapped[str] = mapped_column(String(80).with_variant(String(80, collation="C"), "postgresql"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"))
    sale_date: Mapped[date]
    sale_price: Mapped[Decimal]
    currency: Mapped[str] = _currency()
    region: Mapped[str | None] = mapped_column(String(60))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class SyncState(Base):
    """High-water mark and resume point of one platform resource (e.g. stockx/orders)."""

    __tablename__ = "sync_state"
    __table_args__ = (UniqueConstraint("platform", "resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(30))
    resource: Mapped[str] = mapped_column(String(30))
    high_water: Mapped[datetime | None]
    cursor: Mapped[str | None] = mapped_column(Text)
    last_started_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    details: Mapped[str | None] = mapped_column(Text)


class FxRate(Base):
    """How many units of `quote` one unit of `base` buys on a date."""

    __tablename__ = "fx_rates"
    __table_args__ = (
        UniqueConstraint("rate_date", "base", "quote"),
        CheckConstraint("rate > 0", name="rate_positive"),
        # Reports look up the closest earlier rate of a pair: (base, quote, rate_date <= day).
        Index("ix_fx_rates_base_quote_date", "base", "quote", "rate_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rate_date: Mapped[date]
    base: Mapped[str] = _currency()
    quote: Mapped[str] = _currency()
    rate: Mapped[Decimal] = mapped_column(Rate)
    source: Mapped[str] = mapped_column(String(30), default="manual")


__all__ = [
    "BOX_CONDITIONS",
    "CONDITIONS",
    "ITEM_STATUSES",
    "Base",
    "FxRate",
    "ImportBatch",
    "InventoryItem",
    "Listing",
    "ListingEvent",
    "MarketPrice",
    "MarketSale",
    "PaymentTransaction",
    "Product",
    "Sale",
    "SaleFee",
    "Supplier",
    "SyncState",
    "UTCDateTime",
    "Variant",
    "utcnow",
]
