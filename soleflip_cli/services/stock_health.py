"""Aging of the stock by purchase date, and dead stock: too old, or worth less than cost after fees."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func
from sqlalchemy.orm import Session

from soleflip_cli.choices import Basis
from soleflip_cli.errors import UsageError
from soleflip_cli.models import InventoryItem, Product, Variant
from soleflip_cli.services.inventory_list import stream
from soleflip_cli.services.valuation import QuoteCache, Valuer, latest_observations, stock_select


@dataclass(frozen=True)
class Bucket:
    """An age bucket in whole days since purchase; `max_days` None is open-ended."""

    label: str
    min_days: int
    max_days: int | None


@dataclass(frozen=True)
class AgingRow:
    """Sellable pairs and their cost in one age bucket (per brand unless totalled), per currency."""

    brand: str | None
    bucket: str
    min_days: int
    max_days: int | None
    pairs: int
    cost: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class DeadReason:
    """Why a pair is dead stock: rule `age` or `below_cost`, in words."""

    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class DeadPair:
    """A pair flagged as dead stock, with every reason that applies."""

    id: int
    sku: str | None
    name: str | None
    brand: str | None
    size: str
    status: str
    cost: Decimal
    currency: str
    purchase_date: date
    days_in_stock: int
    market_payout: Decimal | None
    observed_at: datetime | None
    reasons: tuple[DeadReason, ...]


def buckets(bounds: Sequence[int]) -> list[Bucket]:
    """Buckets from ascending upper bounds: [30, 60] -> 0-30, 31-60, >60."""
    if not bounds or list(bounds) != sorted(set(bounds)) or bounds[0] <= 0:
        raise UsageError("aging buckets must be ascending positive day counts, e.g. 30,60,90,180")
    result, low = [], 0
    for high in bounds:
        result.append(Bucket(f"{low}-{high}", low, high))
        low = high + 1
    result.append(Bucket(f">{bounds[-1]}", low, None))
    return result


def aging(session: Session, bounds: Sequence[int], *, by_brand: bool, today: date) -> list[AgingRow]:
    """Sellable pairs and cost per age bucket (by brand, or totalled), grouped in SQL.

    Age is whole days from the purchase date to `today`; costs stay in their purchase currency.
    """
    spans = buckets(bounds)
    index = case(
        *((InventoryItem.purchase_date >= today - timedelta(days=high), n) for n, high in enumerate(bounds)),
        else_=len(spans) - 1,
    ).label("bucket")
    brand = Product.brand if by_brand else None
    keys = [index, InventoryItem.purchase_currency] + ([Product.brand] if brand is not None else [])
    query = stock_select(
        *keys, func.count(InventoryItem.id), func.sum(InventoryItem.purchase_price)
    ).group_by(*keys)
    rows = []
    for values in session.execute(query):
        bucket, currency = spans[values[0]], values[1]
        label_brand = values[2] if brand is not None else None
        pairs, cost = values[-2], values[-1]
        rows.append(
            AgingRow(label_brand, bucket.label, bucket.min_days, bucket.max_days, int(pairs), cost, currency)
        )
    return sorted(rows, key=lambda r: ((r.brand or "\uffff").lower(), r.min_days, r.currency))


def dead_stock(session: Session, valuer: Valuer, *, dead_after_days: int, today: date) -> Iterator[DeadPair]:
    """Sellable pairs older than `dead_after_days`, or whose latest payout after fees is below cost.

    `valuer` must use the payout basis (fees from the observation's platform, or its own). Pairs
    are streamed oldest first; a pair with no market data can only be flagged by age.
    """
    if valuer.basis is not Basis.payout:
        raise UsageError("dead stock compares cost with the payout after fees; use the payout basis")
    if dead_after_days <= 0:
        raise UsageError(f"the dead-stock age must be a positive number of days (got {dead_after_days})")
    quotes = QuoteCache(valuer, latest_observations(session, valuer.basis, valuer.platform))
    query = stock_select(
        InventoryItem.id, Product.sku, Product.name, Product.brand, Variant.size_norm, InventoryItem.status,
        InventoryItem.purchase_price, InventoryItem.purchase_currency, InventoryItem.purchase_date,
        InventoryItem.variant_id,
    ).order_by(InventoryItem.purchase_date, InventoryItem.id)  # fmt: skip
    for id_, sku, name, brand, size, status, cost, currency, bought, variant in stream(session, query):
        age = (today - bought).days
        reasons = []
        if age > dead_after_days:
            reasons.append(DeadReason("age", f"in stock {age} days (more than {dead_after_days})"))
        quote = quotes.get(variant, currency)
        payout = quote.value if quote is not None else None
        if quote is not None and payout is not None and payout < cost:
            reasons.append(
                DeadReason(
                    "below_cost",
                    f"payout {payout} {currency} after {valuer.platform or quote.source} fees at the "
                    f"{quote.observed_at.date().isoformat()} lowest ask {quote.price} is below cost "
                    f"{cost} {currency}",
                )
            )
        if reasons:
            yield DeadPair(
                id_, sku, name, brand, size, status, cost, currency, bought, age, payout,
                quote.observed_at if quote is not None else None, tuple(reasons),
            )  # fmt: skip
