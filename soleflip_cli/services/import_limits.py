"""Records against the database's limits: text too long or money too large for its column is a bad cell.

SQLite would store such values and PostgreSQL would refuse the whole batch with a driver error; both
now reject the row with its line, like any other bad cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from soleflip_cli.importers.base import (
    FeeLine,
    MarketSaleRecord,
    PaymentRecord,
    PurchaseRecord,
    Record,
    RowError,
    SaleRecord,
)
from soleflip_cli.models import (
    InventoryItem,
    MarketSale,
    PaymentTransaction,
    Product,
    Sale,
    Supplier,
    Variant,
)
from soleflip_cli.money import MAX_AMOUNT
from soleflip_cli.services.sale_units import reserved, unit_id


def _length(column: Any) -> int:
    length = column.type.length
    assert isinstance(length, int), column
    return length


# Record field -> the longest text its column holds (the product's name and SKU, the variant's size).
_TEXT: dict[type, tuple[tuple[str, int], ...]] = {
    SaleRecord: (
        ("platform", _length(Sale.platform)),
        ("external_id", _length(Sale.external_id)),
        ("item_name", _length(Product.name)),
        ("sku", _length(Product.sku)),
        ("size", _length(Variant.size)),
        ("buyer_country", _length(Sale.buyer_country)),
        ("status", _length(Sale.status)),
    ),
    PurchaseRecord: (
        ("key", _length(InventoryItem.source_key)),
        ("sku", _length(Product.sku)),
        ("size", _length(Variant.size)),
        ("name", _length(Product.name)),
        ("supplier", _length(Supplier.name)),
        ("location", _length(InventoryItem.location)),
    ),
    MarketSaleRecord: (
        ("row_key", _length(MarketSale.row_key)),
        ("name", _length(Product.name)),
        ("size", _length(Variant.size)),
        ("region", _length(MarketSale.region)),
    ),
    PaymentRecord: (
        ("platform", _length(PaymentTransaction.platform)),
        ("row_key", _length(PaymentTransaction.row_key)),
        ("type", _length(PaymentTransaction.type)),
        ("order_number", _length(PaymentTransaction.order_number)),
        ("item_id", _length(PaymentTransaction.item_id)),
        ("payout_id", _length(PaymentTransaction.payout_id)),
    ),
}
# Money fields (the parsers bound each cell; sums and products of cells can still overflow).
_MONEY: dict[type, tuple[str, ...]] = {
    SaleRecord: ("sale_price", "payout", "vat_amount"),
    PurchaseRecord: ("cost",),
    MarketSaleRecord: ("sale_price", "retail_price"),
    PaymentRecord: ("net_amount", "gross_amount"),
}


_EXTERNAL_ID = dict(_TEXT[SaleRecord])["external_id"]
_MARKET = dict(_TEXT[MarketSaleRecord])
_ROW_KEY, _NAME, _SIZE, _REGION = (_MARKET[f] for f in ("row_key", "name", "size", "region"))
_LOWEST = -MAX_AMOUNT


def market_fits(r: MarketSaleRecord) -> bool:
    """Whether every field fits its column: out_of_bounds for a market sale, without its generic loop."""
    return (
        len(r.row_key) <= _ROW_KEY
        and len(r.name) <= _NAME
        and len(r.size) <= _SIZE
        and (r.region is None or len(r.region) <= _REGION)
        and _LOWEST < r.sale_price < MAX_AMOUNT
        and (r.retail_price is None or _LOWEST < r.retail_price < MAX_AMOUNT)
    )


def out_of_bounds(record: Record) -> list[RowError]:
    """One RowError per field of `record` that its database column cannot hold (usually none)."""
    if type(record) is MarketSaleRecord and market_fits(record):
        return []
    errors = []
    for field, limit in _TEXT[type(record)]:
        text = getattr(record, field)
        if text is not None and len(text) > limit:
            errors.append(RowError(record.line, field, text, f"longer than {limit} characters"))
    for field in _MONEY[type(record)]:
        amount = getattr(record, field)
        if amount is not None and abs(amount) >= MAX_AMOUNT:
            errors.append(RowError(record.line, field, str(amount), "too large"))
    if type(record) is SaleRecord:
        errors.extend(_pair_ids(record))
    fees: Sequence[FeeLine] = getattr(record, "fees", ())
    if fees and (any(abs(f.amount) >= MAX_AMOUNT for f in fees) or abs(_total(fees)) >= MAX_AMOUNT):
        errors.append(RowError(record.line, "fees", str(_total(fees)), "too large"))
    return errors


def _pair_ids(record: SaleRecord) -> list[RowError]:
    """An id of the form kept for the pairs of a line of several, or too long to number them."""
    if reserved(record.external_id):
        reason = "ends like the ids soleflip gives the pairs of an order line of several"
        return [RowError(record.line, "external_id", record.external_id, reason)]
    longest = unit_id(record.external_id, record.quantity)
    if record.quantity > 1 and len(longest) > _EXTERNAL_ID:
        reason = (
            f"too long to number its {record.quantity} pairs ({longest!r} is over {_EXTERNAL_ID} characters)"
        )
        return [RowError(record.line, "external_id", record.external_id, reason)]
    return []


def _total(fees: Sequence[FeeLine]) -> Decimal:
    return sum((f.amount for f in fees), Decimal(0))
