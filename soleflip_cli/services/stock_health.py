"""Aging of the stock by purchase date, and dead stock: too old, or worth less than cost after fees."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, case, func, select

from soleflip_cli.choices import Basis
from soleflip_cli.errors import UsageError
from soleflip_cli.services.inventory_list import stream
from soleflip_cli.services.valuation import QuoteCache, Valuer, latest_observations, stock_select
from soleflip_cli.tables import SELLABLE, inventory_items, products, variants

_ITEM = inventory_items.c
_PRODUCT = products.c
_VARIANT = variants.c


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


def aging(conn: Connection, bounds: Sequence[int], *, by_brand: bool, today: date) -> list[AgingRow]:
    """Sellable pairs and cost per age bucket (by brand, or totalled), grouped in SQL.

    Age is whole days from the purchase date to `today`; costs stay in their purchase currency.
    """
    spans = buckets(bounds)
    index = case(
        *((_ITEM.purchase_date >= today - timedelta(days=high), n) for n, high in enumerate(bounds)),
        else_=len(spans) - 1,
    ).label("bucket")
    # Count and sum the pairs alone first, then name the brands of the (few) products: joining each
    # pair to its product made both databases look one up per pair. The grouping order matches no
    # index, so SQLite scans the table instead of visiting it row by row in variant or product order.
    keys = [_ITEM.purchase_currency] + ([_ITEM.product_id] if by_brand else [])
    pairs, cost = func.count().label("pairs"), func.sum(_ITEM.purchase_price).label("cost")
    query: Select[Any] = (
        select(index, *keys, pairs, cost)
        .where(_ITEM.status.in_(SELLABLE))
        .group_by("bucket", *keys)  # by the label: the CASE is evaluated once per pair
    )
    if by_brand:
        per_product = query.subquery("per_product")
        bucket, currency = per_product.c.bucket, per_product.c.purchase_currency
        query = (
            select(
                bucket,
                currency,
                func.sum(per_product.c.pairs),
                func.sum(per_product.c.cost),
                _PRODUCT.brand,
            )
            .select_from(per_product)
            .join(products, _PRODUCT.id == per_product.c.product_id)
            .group_by(bucket, currency, _PRODUCT.brand)
        )
    rows = []
    for bucket_index, currency_code, count, total, *brand in conn.execute(query):
        span = spans[bucket_index]
        rows.append(
            AgingRow(
                brand[0] if brand else None,
                span.label,
                span.min_days,
                span.max_days,
                int(count),
                total,
                currency_code,
            )
        )
    return sorted(rows, key=lambda r: ((r.brand or "\uffff").lower(), r.min_days, r.currency))


def dead_stock(conn: Connection, valuer: Valuer, *, dead_after_days: int, today: date) -> Iterator[DeadPair]:
    """Sellable pairs older than `dead_after_days`, or whose latest payout after fees is below cost.

    `valuer` must use the payout basis (fees from the observation's platform, or its own). Pairs
    are streamed oldest first; a pair with no market data can only be flagged by age.
    """
    if valuer.basis is not Basis.payout:
        raise UsageError("dead stock compares cost with the payout after fees; use the payout basis")
    if dead_after_days <= 0:
        raise UsageError(f"the dead-stock age must be a positive number of days (got {dead_after_days})")
    quotes = QuoteCache(valuer, latest_observations(conn, valuer.basis, valuer.platform))
    query = stock_select(
        _ITEM.id, _PRODUCT.sku, _PRODUCT.name, _PRODUCT.brand, _VARIANT.size_norm, _ITEM.status,
        _ITEM.purchase_price, _ITEM.purchase_currency, _ITEM.purchase_date,
        _ITEM.variant_id,
    ).order_by(_ITEM.purchase_date, _ITEM.id)  # fmt: skip
    for id_, sku, name, brand, size, status, cost, currency, bought, variant in stream(conn, query):
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
