"""Stock valuation: cost against the latest market observation per size; stale and missing data shown."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, TypeVarTuple

from sqlalchemy import Connection, Select, func, select

from soleflip_cli.choices import Basis, ValueBy
from soleflip_cli.errors import SoleflipError, UsageError
from soleflip_cli.fees import PLATFORMS, FeeTerms, apply_terms, fee_terms
from soleflip_cli.services.inventory_list import stream
from soleflip_cli.tables import SELLABLE, inventory_items, market_prices, products, variants

_ITEM = inventory_items.c
_PRODUCT = products.c
_VARIANT = variants.c
_MARKET = market_prices.c

# PairValue fields from market_price to note for a pair whose size has no market data.
_NO_DATA = (None, None, None, None, None, None, "no market data")
_Ts = TypeVarTuple("_Ts")


@dataclass(frozen=True, slots=True)
class Observation:
    """The latest market observation of one size with a price on the chosen basis."""

    price: Decimal
    currency: str
    source: str
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class Quote:
    """An observation and what one pair is worth by it (None when not comparable, see `note`)."""

    price: Decimal
    currency: str
    source: str
    observed_at: datetime
    value: Decimal | None
    note: str | None


class PairValue(NamedTuple):
    """One pair: cost against its market value (None when missing or not comparable, see `note`).

    A NamedTuple: one is built per pair of a possibly large stock.
    """

    id: int
    sku: str | None
    name: str | None
    brand: str | None
    size: str
    cost: Decimal
    currency: str
    market_price: Decimal | None
    market_value: Decimal | None
    unrealised_profit: Decimal | None
    source: str | None
    observed_at: datetime | None
    stale: bool | None
    note: str | None

    def as_record(self) -> dict[str, Any]:
        """The row as a plain mapping, for output."""
        return self._asdict()


@dataclass(frozen=True)
class GroupValue:
    """Pairs of one brand (and size) in one currency: value and profit over the valued pairs only."""

    brand: str | None
    size: str | None
    currency: str
    pairs: int
    cost: Decimal
    valued_pairs: int
    valued_cost: Decimal
    market_value: Decimal | None
    unrealised_profit: Decimal | None
    missing_pairs: int
    unvalued_pairs: int
    stale_pairs: int
    oldest_observed_at: datetime | None


@dataclass(frozen=True)
class Valuer:
    """Turns observed prices into per-pair values on a basis (fee schedules resolved once each)."""

    basis: Basis
    platform: str | None
    fee_overrides: Mapping[str, Mapping[str, Any]] | None
    stale_before: datetime
    _terms: dict[tuple[str, str], FeeTerms | str] = field(default_factory=dict, compare=False, repr=False)

    def quote(self, seen: Observation, cost_currency: str) -> Quote:
        """What one pair bought in `cost_currency` is worth by this observation."""
        price, currency, source, at = seen.price, seen.currency, seen.source, seen.observed_at
        if currency != cost_currency:
            return Quote(
                price, currency, source, at, None, f"market data in {currency}, cost in {cost_currency}"
            )
        if self.basis is not Basis.payout:
            return Quote(price, currency, source, at, price, None)
        platform = self.platform or source
        terms = self._terms.get((platform, currency))
        if terms is None:
            terms = self._terms[(platform, currency)] = _terms(platform, currency, self.fee_overrides)
        if isinstance(terms, str):
            return Quote(price, currency, source, at, None, terms)
        return Quote(price, currency, source, at, apply_terms(platform, terms, price).payout, None)


def make_valuer(
    basis: Basis,
    platform: str | None,
    fee_overrides: Mapping[str, Mapping[str, Any]] | None,
    *,
    stale_days: int,
    now: datetime,
) -> Valuer:
    """A Valuer; a payout basis on an explicit platform needs that platform's fee schedule."""
    name = platform.strip().lower() if platform else None
    if basis is Basis.payout and name is not None and name not in PLATFORMS:
        raise UsageError(
            f"no fee schedule for {platform!r}; the payout basis needs one of {', '.join(PLATFORMS)}"
        )
    return Valuer(basis, name, fee_overrides, now - timedelta(days=stale_days))


def latest_observations(conn: Connection, basis: Basis, platform: str | None) -> dict[int, Observation]:
    """The latest observation per variant that has a price on `basis` (from `platform` when given).

    One SQL query ranks observations with row_number() per variant; only variants with sellable
    pairs are ranked. The result is keyed by variant ID (one entry per size owned, at most).
    """
    column = _MARKET.highest_bid if basis is Basis.highest_bid else _MARKET.lowest_ask
    owned = select(_ITEM.variant_id).where(_ITEM.status.in_(SELLABLE))
    rank = func.row_number().over(
        partition_by=_MARKET.variant_id,
        order_by=(_MARKET.observed_at.desc(), _MARKET.id.desc()),
    )
    ranked = select(
        _MARKET.variant_id,
        column.label("price"),
        _MARKET.currency,
        _MARKET.source,
        _MARKET.observed_at,
        rank.label("rank"),
    ).where(column.is_not(None), _MARKET.variant_id.in_(owned))
    if platform:
        ranked = ranked.where(_MARKET.source == platform)
    inner = ranked.subquery("ranked")
    latest = select(inner.c.variant_id, inner.c.price, inner.c.currency, inner.c.source, inner.c.observed_at)
    return {
        variant: Observation(price, currency, source, observed_at)
        for variant, price, currency, source, observed_at in conn.execute(latest.where(inner.c.rank == 1))
    }


def value_groups(conn: Connection, valuer: Valuer, by: ValueBy) -> list[GroupValue]:
    """Stock valued per brand and size (or brand), per purchase currency.

    SQL counts pairs and sums cost per size; each size is then valued by its latest observation.
    """
    seen = latest_observations(conn, valuer.basis, valuer.platform)
    # Count and sum per size on the pairs alone, then name the sizes: joining every pair to its
    # product and variant first cost more than the grouping (see stock_health.aging).
    keys = (_ITEM.purchase_currency, _ITEM.product_id, _ITEM.variant_id)
    per_size = (
        select(*keys, func.count().label("pairs"), func.sum(_ITEM.purchase_price).label("cost"))
        .where(_ITEM.status.in_(SELLABLE))
        .group_by(*keys)
        .subquery("per_size")
    )
    query = (
        select(
            _PRODUCT.brand,
            _VARIANT.size_norm,
            per_size.c.variant_id,
            per_size.c.purchase_currency,
            per_size.c.pairs,
            per_size.c.cost,
        )
        .select_from(per_size)
        .join(products, _PRODUCT.id == per_size.c.product_id)
        .join(variants, _VARIANT.id == per_size.c.variant_id)
    )
    groups: dict[tuple[str | None, str | None, str], _Group] = {}
    for brand, size, variant, currency, pairs, cost in conn.execute(query):
        key = (brand, size if by is ValueBy.brand_size else None, currency)
        observation = seen.get(variant)
        quote = valuer.quote(observation, currency) if observation is not None else None
        groups.setdefault(key, _Group()).add(int(pairs), cost, quote, valuer.stale_before)
    ordered = sorted(groups.items(), key=lambda kv: (_brand_key(kv[0][0]), _size_key(kv[0][1]), kv[0][2]))
    return [group.result(*key) for key, group in ordered]


def value_pairs(conn: Connection, valuer: Valuer) -> Iterator[PairValue]:
    """Every sellable pair with its market value, streamed in pair ID order."""
    seen = latest_observations(conn, valuer.basis, valuer.platform)
    query = stock_select(
        _ITEM.id, _PRODUCT.sku, _PRODUCT.name, _PRODUCT.brand, _VARIANT.size_norm,
        _ITEM.purchase_price, _ITEM.purchase_currency, _ITEM.variant_id,
    ).order_by(_ITEM.id)  # fmt: skip
    quotes = QuoteCache(valuer, seen)
    for id_, sku, name, brand, size, cost, currency, variant in stream(conn, query):
        quote = quotes.get(variant, currency)
        if quote is None:
            yield PairValue(id_, sku, name, brand, size, cost, currency, *_NO_DATA)
            continue
        profit = quote.value - cost if quote.value is not None else None
        yield PairValue(
            id_, sku, name, brand, size, cost, currency, quote.price, quote.value, profit, quote.source,
            quote.observed_at, quote.observed_at < valuer.stale_before, quote.note,
        )  # fmt: skip


class QuoteCache:
    """Quotes per (variant, cost currency), computed once each."""

    def __init__(self, valuer: Valuer, seen: Mapping[int, Observation]) -> None:
        self.valuer, self.seen = valuer, seen
        self._quotes: dict[tuple[int, str], Quote | None] = {}

    def get(self, variant: int, currency: str) -> Quote | None:
        """The quote for a pair of `variant` bought in `currency`; None without market data."""
        key = (variant, currency)
        if key not in self._quotes:
            observation = self.seen.get(variant)
            self._quotes[key] = self.valuer.quote(observation, currency) if observation is not None else None
        return self._quotes[key]


def stock_select(*columns: Any) -> Select[Any]:
    """A select over sellable pairs joined to their product and variant."""
    return _stock(select(*columns))


def _stock(query: Select[*_Ts]) -> Select[*_Ts]:
    return (
        query.select_from(inventory_items)
        .join(products, _PRODUCT.id == _ITEM.product_id)
        .join(variants, _VARIANT.id == _ITEM.variant_id)
        .where(_ITEM.status.in_(SELLABLE))
    )


class _Group:
    """Running totals of one output group."""

    def __init__(self) -> None:
        self.pairs = self.valued = self.missing = self.unvalued = self.stale = 0
        self.cost = self.valued_cost = self.value = Decimal("0.00")
        self.oldest: datetime | None = None

    def add(self, pairs: int, cost: Decimal, quote: Quote | None, stale_before: datetime) -> None:
        self.pairs += pairs
        self.cost += cost
        if quote is None:
            self.missing += pairs
            return
        if quote.value is None:
            self.unvalued += pairs
            return
        self.valued += pairs
        self.valued_cost += cost
        self.value += quote.value * pairs
        if quote.observed_at < stale_before:
            self.stale += pairs
        if self.oldest is None or quote.observed_at < self.oldest:
            self.oldest = quote.observed_at

    def result(self, brand: str | None, size: str | None, currency: str) -> GroupValue:
        valued = self.valued > 0
        return GroupValue(
            brand=brand,
            size=size,
            currency=currency,
            pairs=self.pairs,
            cost=self.cost,
            valued_pairs=self.valued,
            valued_cost=self.valued_cost,
            market_value=self.value if valued else None,
            unrealised_profit=self.value - self.valued_cost if valued else None,
            missing_pairs=self.missing,
            unvalued_pairs=self.unvalued,
            stale_pairs=self.stale,
            oldest_observed_at=self.oldest,
        )


def _terms(platform: str, currency: str, overrides: Mapping[str, Mapping[str, Any]] | None) -> FeeTerms | str:
    """The fee terms, or why there are none (an unknown platform or a currency the schedule lacks)."""
    if platform not in PLATFORMS:
        return f"no fee schedule for {platform!r}"
    try:
        return fee_terms(platform, currency, overrides)
    except SoleflipError as exc:
        return exc.message


def _brand_key(brand: str | None) -> tuple[bool, str]:
    return (brand is None, (brand or "").lower())


def _size_key(size: str | None) -> tuple[int, float, str]:
    if size is None:
        return (0, 0.0, "")
    try:
        return (0, float(size), size)
    except ValueError:
        return (1, 0.0, size)
