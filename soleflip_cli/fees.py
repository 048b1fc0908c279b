"""Fee-aware payouts: each marketplace's fee lines at a price, and the lowest price that breaks even."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any, TypeVar

from soleflip_cli import fee_schedules as sched
from soleflip_cli.errors import UsageError
from soleflip_cli.fee_schedules import (
    PLATFORMS,
    ZERO,
    parse_rate,
    problem,
    read_overrides,
    validate_overrides,
)
from soleflip_cli.money import check_currency, minor_digits, quantize

__all__ = [
    "FEE_KINDS",
    "PLATFORMS",
    "AliasTerms",
    "EbayTerms",
    "FeeBreakdown",
    "FeeLine",
    "FeeTerms",
    "StockXTerms",
    "apply_terms",
    "breakeven_for",
    "breakeven_price",
    "compute_fees",
    "fee_terms",
    "parse_rate",
    "validate_overrides",
]


# Fee-engine line names in the project's fee-kind vocabulary (models.SaleFee.kind):
# transaction (marketplace commission), processing (payment), shipping, refund or other.
FEE_KINDS = {
    "transaction_fee": "transaction",
    "minimum_transaction_fee": "transaction",
    "commission": "transaction",
    "seller_fee": "transaction",
    "final_value_fee": "transaction",
    "per_order_fee": "transaction",
    "payment_processing": "processing",
    "cash_out": "processing",
    "shipping": "shipping",
}


@dataclass(frozen=True)
class FeeLine:
    """One fee line: a name, its rate when it is a percentage, and the amount charged (cents)."""

    name: str
    rate: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class FeeBreakdown:
    """The fee lines of a sale at `price` and what the seller is paid, all in `currency`."""

    platform: str
    price: Decimal
    currency: str
    fees: tuple[FeeLine, ...]
    payout: Decimal

    @property
    def total_fees(self) -> Decimal:
        """Sum of the fee lines (credits are negative lines)."""
        return sum((line.amount for line in self.fees), ZERO)


@dataclass(frozen=True)
class StockXTerms:
    """The StockX numbers in force for one currency after overrides."""

    version: date
    checked: date
    currency: str
    level: int
    transaction_rate: Decimal
    processing_rate: Decimal
    minimum_fee: Decimal
    shipping: Decimal


@dataclass(frozen=True)
class AliasTerms:
    """The Alias/GOAT numbers in force after overrides (cash_out_rate 0 when cash-out is off)."""

    version: date
    checked: date
    currency: str
    commission_rate: Decimal
    seller_fee: Decimal
    cash_out_rate: Decimal


@dataclass(frozen=True)
class EbayTerms:
    """The eBay sneaker numbers in force after overrides."""

    version: date
    checked: date
    currency: str
    threshold: Decimal
    high_rate: Decimal
    low_rate: Decimal
    per_order_fee: Decimal


FeeTerms = StockXTerms | AliasTerms | EbayTerms


_S = TypeVar("_S", sched.StockXSchedule, sched.AliasSchedule, sched.EbaySchedule)


def _pick(platform: str, versions: tuple[_S, ...], wanted: date | None, on: date | None) -> _S:
    if wanted is not None:
        for schedule in versions:
            if schedule.effective == wanted:
                return schedule
        known = ", ".join(s.effective.isoformat() for s in versions)
        raise problem(platform, "version", f"no schedule effective {wanted} (known: {known})")
    day = on or datetime.now(UTC).date()
    current = [s for s in versions if s.effective <= day] or [versions[0]]
    return current[-1]


def fee_terms(
    platform: str,
    currency: str,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    on: date | None = None,
) -> FeeTerms:
    """The schedule in force on `on` (default: today, UTC) for `platform` and `currency`, with the overrides.

    A `version` pinned in the overrides wins over `on`.
    """
    if platform not in PLATFORMS:
        raise UsageError(f"unknown marketplace {platform!r} (expected {', '.join(PLATFORMS)})")
    try:
        currency = check_currency(currency)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    values = read_overrides(platform, overrides)
    if platform == "stockx":
        return _stockx_terms(currency, values, on)
    if platform == "alias":
        return _alias_terms(currency, values, on)
    return _ebay_terms(currency, values, on)


def _stockx_terms(currency: str, values: dict[str, Any], on: date | None) -> StockXTerms:
    schedule = _pick("stockx", sched.STOCKX, values.get("version"), on)
    level = values.get("level", 1)
    rate = values.get("transaction_rate", schedule.level_rates[level - 1])
    if "transaction_rate" not in values and level in schedule.bonus_levels:
        rate -= schedule.bonus_rate * len(set(values.get("bonuses", ())))
    minimum = values.get("minimum_fee", schedule.minimum_fee.get(currency))
    if minimum is None:
        raise problem(
            "stockx", "minimum_fee", f"no StockX minimum transaction fee is known for {currency}; set it"
        )
    shipping = values.get("shipping")
    if shipping is None and (region := values.get("region")):
        if region not in schedule.region_shipping:
            raise problem(
                "stockx", "shipping", f"no StockX seller shipping is known for region {region}; set it"
            )
        region_currency, shipping = schedule.region_shipping[region]
        if region_currency != currency:
            raise problem("stockx", "region", f"{region} is paid out in {region_currency}, not {currency}")
    if shipping is None:
        shipping = schedule.shipping.get(currency)
    if shipping is None:
        raise problem("stockx", "shipping", f"no StockX seller shipping is known for {currency}; set it")
    return StockXTerms(
        version=schedule.effective,
        checked=schedule.checked,
        currency=currency,
        level=level,
        transaction_rate=rate,
        processing_rate=values.get("processing_rate", schedule.processing_rate),
        minimum_fee=minimum,
        shipping=shipping,
    )


def _alias_terms(currency: str, values: dict[str, Any], on: date | None) -> AliasTerms:
    schedule = _pick("alias", sched.ALIAS, values.get("version"), on)
    rating = values.get("rating", 90)
    tier_rate = next(rate for low, rate in schedule.rating_tiers if rating >= low)
    seller_fee = values.get("seller_fee")
    if seller_fee is None:
        if currency != schedule.currency:
            raise problem("alias", "seller_fee", f"Alias charges its seller fee in USD; set it in {currency}")
        location = values.get("location", "US")
        seller_fee = schedule.seller_fee.get(location, schedule.other_seller_fee)
    cash_out = values.get("cash_out", True)
    return AliasTerms(
        version=schedule.effective,
        checked=schedule.checked,
        currency=currency,
        commission_rate=values.get("commission_rate", tier_rate),
        seller_fee=seller_fee,
        cash_out_rate=values.get("cash_out_rate", schedule.cash_out_rate) if cash_out else ZERO,
    )


def _ebay_terms(currency: str, values: dict[str, Any], on: date | None) -> EbayTerms:
    schedule = _pick("ebay", sched.EBAY, values.get("version"), on)
    if currency != schedule.currency:
        for key in ("threshold", "per_order_fee"):
            if key not in values:
                raise problem("ebay", key, f"the eBay schedule is for USD; set it in {currency}")
    store = values.get("store", False)
    surcharge = schedule.below_standard_surcharge if values.get("below_standard", False) else ZERO
    high = schedule.store_high_rate if store else schedule.high_rate
    low = schedule.store_low_rate if store else schedule.low_rate
    return EbayTerms(
        version=schedule.effective,
        checked=schedule.checked,
        currency=currency,
        threshold=values.get("threshold", schedule.threshold),
        high_rate=values.get("high_rate", high + surcharge),
        low_rate=values.get("low_rate", low + surcharge),
        per_order_fee=values.get("per_order_fee", schedule.per_order_fee),
    )


def apply_terms(platform: str, terms: FeeTerms, price: Decimal) -> FeeBreakdown:
    """The fee lines at `price` under `terms`, each rounded to the currency's minor unit."""
    cur = terms.currency
    if isinstance(terms, StockXTerms):
        if terms.transaction_rate * price >= terms.minimum_fee:
            txn = FeeLine(
                "transaction_fee", terms.transaction_rate, quantize(terms.transaction_rate * price, cur)
            )
        else:
            txn = FeeLine("minimum_transaction_fee", None, quantize(terms.minimum_fee, cur))
        lines = [
            txn,
            FeeLine(
                "payment_processing", terms.processing_rate, quantize(terms.processing_rate * price, cur)
            ),
            FeeLine("shipping", None, quantize(terms.shipping, cur)),
        ]
    elif isinstance(terms, AliasTerms):
        commission = quantize(terms.commission_rate * price, cur)
        seller_fee = quantize(terms.seller_fee, cur)
        lines = [
            FeeLine("commission", terms.commission_rate, commission),
            FeeLine("seller_fee", None, seller_fee),
        ]
        if terms.cash_out_rate:
            balance = max(price - commission - seller_fee, ZERO)
            lines.append(
                FeeLine("cash_out", terms.cash_out_rate, quantize(terms.cash_out_rate * balance, cur))
            )
    else:
        high = price >= terms.threshold
        rate = terms.high_rate if high else terms.low_rate
        lines = [FeeLine("final_value_fee", rate, quantize(rate * price, cur))]
        if not high:
            lines.append(FeeLine("per_order_fee", None, quantize(terms.per_order_fee, cur)))
    price = quantize(price, cur)
    fees = tuple(lines)
    payout = price - sum((line.amount for line in fees), ZERO)
    return FeeBreakdown(platform=platform, price=price, currency=cur, fees=fees, payout=payout)


def compute_fees(
    platform: str,
    price: Decimal,
    currency: str,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> FeeBreakdown:
    """Each fee line and the payout of a sale at `price` (in `currency`) on `platform`."""
    if price <= 0:
        raise UsageError(f"price must be positive (got {price})")
    return apply_terms(platform, fee_terms(platform, currency, overrides), price)


def breakeven_price(
    platform: str,
    cost: Decimal,
    currency: str,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    margin: Decimal | None = None,
    roi: Decimal | None = None,
) -> Decimal:
    """The lowest ask whose payout covers `cost` (+ `margin` of the price, or + `roi` of the cost).

    Rounded up to the currency's minor unit. Both `margin` and `roi` are fractions (0.15 = 15 %).
    """
    return breakeven_for(platform, fee_terms(platform, currency, overrides), cost, margin=margin, roi=roi)


def breakeven_for(
    platform: str,
    terms: FeeTerms,
    cost: Decimal,
    *,
    margin: Decimal | None = None,
    roi: Decimal | None = None,
) -> Decimal:
    """`breakeven_price` on already resolved terms (for loops over many pairs)."""
    if margin is not None and roi is not None:
        raise UsageError("give a margin or an ROI target, not both")
    if cost < 0:
        raise UsageError(f"cost must not be negative (got {cost})")
    unit = Decimal(1).scaleb(-minor_digits(terms.currency))
    target = cost * (1 + (roi or ZERO))
    share = margin or ZERO

    def covers(units: int) -> bool:
        price = unit * units
        return apply_terms(platform, terms, price).payout >= target + share * price

    high = max(1, int((cost / unit).to_integral_value(ROUND_CEILING)))
    for _ in range(48):
        if covers(high):
            break
        high *= 2
    else:
        raise UsageError(f"no price covers the cost on {platform}: fees plus the margin take the whole price")
    low = 0
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if covers(middle) else (middle, high)
    # Per-line rounding can make the payout dip by a cent as the price rises; look just below too.
    best = min((n for n in range(max(1, high - 3), high) if covers(n)), default=high)
    return unit * best
