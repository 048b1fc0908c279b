"""Pure suggestion rules: market candidate, condition and aging adjustments, per-run cap, eBay snap, floor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from soleflip_cli.fees import EbayTerms, FeeTerms, apply_terms, breakeven_for
from soleflip_cli.money import minor_digits

STRATEGIES = ("match-lowest", "beat-lowest", "sell-faster", "earn-more", "max-profit")
# Marketplaces whose asks are whole currency units (StockX amounts, Alias prices).
WHOLE_UNIT_PLATFORMS = frozenset({"stockx", "alias"})
# eBay: an ask this far below the fee threshold is snapped up to it when that nets more.
EBAY_SNAP_WINDOW = Decimal(10)


@dataclass(frozen=True)
class MarketQuote:
    """The latest market observation for one size on one marketplace."""

    source: str
    currency: str
    observed_at: datetime
    lowest_ask: Decimal | None
    highest_bid: Decimal | None
    sell_faster: Decimal | None
    earn_more: Decimal | None


@dataclass(frozen=True)
class PricingPolicy:
    """The seller's pricing rules (from the `[pricing]` settings and command-line flags)."""

    strategy: str
    min_margin: Decimal
    undercut_step: Decimal
    markdown: tuple[tuple[int, Decimal], ...]
    max_cut_per_run: Decimal
    condition_adjustments: Mapping[str, Decimal]
    box_adjustments: Mapping[str, Decimal]
    stale_days: int


@dataclass(frozen=True)
class PairFacts:
    """What the rules need to know about one pair, in the market's currency."""

    cost: Decimal
    currency: str
    condition: str
    box_condition: str | None
    days_in_stock: int
    current_ask: Decimal | None
    # The highest ask of the last 24 h (before cuts applied since): with the current ask, the
    # reference of the per-run cap, so a second run on the same day cannot cut again.
    reference_ask: Decimal | None


@dataclass(frozen=True)
class Decision:
    """A suggested ask on one marketplace (None when the rules cannot price it) and why."""

    platform: str
    ask: Decimal | None
    floor: Decimal | None
    payout: Decimal | None
    profit: Decimal | None
    roi: Decimal | None
    flag: str | None
    reason: str


def _unit(platform: str, currency: str) -> Decimal:
    digits = 0 if platform in WHOLE_UNIT_PLATFORMS else minor_digits(currency)
    return Decimal(1).scaleb(-digits)


def _down(amount: Decimal, unit: Decimal) -> Decimal:
    return amount.quantize(unit, rounding=ROUND_FLOOR)


def _up(amount: Decimal, unit: Decimal) -> Decimal:
    return amount.quantize(unit, rounding=ROUND_CEILING)


def _pct(rate: Decimal) -> str:
    return ("-" if rate < 0 else "+") + f"{abs(rate * 100).normalize():f}%"


def ask_floor(platform: str, terms: FeeTerms, cost: Decimal, min_margin: Decimal) -> Decimal:
    """The lowest ask that pays back `cost` after fees plus `min_margin` of the price (platform units)."""
    return _up(breakeven_for(platform, terms, cost, margin=min_margin), _unit(platform, terms.currency))


def market_candidate(
    strategy: str, quote: MarketQuote, step: Decimal, current_ask: Decimal | None
) -> tuple[Decimal | None, str, bool]:
    """The strategy's starting price, a reason, and whether it holds the seller's own lowest ask."""
    lowest = quote.lowest_ask
    own_lowest = current_ask is not None and lowest is not None and current_ask <= lowest
    if strategy in {"match-lowest", "beat-lowest"}:
        if lowest is None:
            return None, "no lowest ask in the market data", False
        if own_lowest:
            return current_ask, f"your ask {current_ask} is already the lowest ask ({lowest}); holding", True
        if strategy == "match-lowest":
            return lowest, f"match-lowest: lowest ask {lowest}", False
        return lowest - step, f"beat-lowest: lowest ask {lowest} - {step}", False
    if strategy == "sell-faster":
        if quote.sell_faster is None:
            return None, "no sell-faster amount in the market data", False
        return quote.sell_faster, f"sell-faster: StockX sell-faster amount {quote.sell_faster}", False
    if strategy == "earn-more":
        if quote.earn_more is None:
            return None, "no earn-more amount in the market data", False
        return quote.earn_more, f"earn-more: StockX earn-more amount {quote.earn_more}", False
    named = {
        "lowest ask": current_ask if own_lowest else lowest,
        "highest bid": quote.highest_bid,
        "sell-faster amount": quote.sell_faster,
        "earn-more amount": quote.earn_more,
    }
    present = {name: amount for name, amount in named.items() if amount is not None}
    if not present:
        return None, "no prices in the market data", False
    name, amount = max(present.items(), key=lambda item: item[1])
    return amount, f"max-profit: highest market price, the {name} {amount}", False


def _adjust(price: Decimal, pair: PairFacts, policy: PricingPolicy, reasons: list[str]) -> Decimal:
    factor = Decimal(1)
    condition = policy.condition_adjustments.get(pair.condition)
    if condition:
        factor *= 1 + condition
        reasons.append(f"{pair.condition} {_pct(condition)}")
    box = policy.box_adjustments.get(pair.box_condition or "")
    if box:
        factor *= 1 + box
        reasons.append(f"{pair.box_condition} box {_pct(box)}")
    cut = next((c for days, c in sorted(policy.markdown, reverse=True) if pair.days_in_stock >= days), None)
    if cut:
        factor *= 1 - cut
        reasons.append(f"{pair.days_in_stock} days in stock {_pct(-cut)}")
    return price * factor


def decide(
    platform: str,
    terms: FeeTerms,
    pair: PairFacts,
    quote: MarketQuote | None,
    policy: PricingPolicy,
    now: datetime,
) -> Decision:
    """Apply the rules in order: market data check, candidate, adjustments, cap, eBay snap, floor."""
    unit = _unit(platform, terms.currency)
    floor = ask_floor(platform, terms, pair.cost, policy.min_margin)

    def refuse(flag: str, reason: str) -> Decision:
        return Decision(platform, None, floor, None, None, None, flag, reason)

    if quote is None:
        return refuse("no_market_data", "no market data for this size; run `soleflip sync stockx --market`")
    age_days = (now - quote.observed_at).days
    if age_days > policy.stale_days:
        return refuse(
            "stale_market_data",
            f"market data is {age_days} days old (limit {policy.stale_days}); "
            "run `soleflip sync stockx --market`",
        )
    base, why, holding = market_candidate(policy.strategy, quote, policy.undercut_step, pair.current_ask)
    if base is None:
        return refuse("no_candidate", why)
    reasons = [why]
    ask = base if holding else _down(_adjust(base, pair, policy, reasons), unit)
    reference = max((a for a in (pair.reference_ask, pair.current_ask) if a is not None), default=None)
    if reference is not None and not holding:
        limit = _up(reference * (1 - policy.max_cut_per_run), unit)
        if ask < limit:
            ask = limit
            reasons.append(f"cut limited to {_pct(-policy.max_cut_per_run)} of {reference} per run")
    if isinstance(terms, EbayTerms) and terms.threshold - EBAY_SNAP_WINDOW <= ask < terms.threshold:
        here, there = apply_terms(platform, terms, ask), apply_terms(platform, terms, terms.threshold)
        if there.payout > here.payout:
            ask = terms.threshold
            reasons.append(
                f"snapped up to {terms.threshold} (lower fee band nets {there.payout - here.payout} more)"
            )
    flag = None
    if ask < floor:
        flag = "below_floor"
        reasons.append(f"{ask} is below the floor {floor} (cost + fees + min margin); held at the floor")
        ask = floor
    payout = apply_terms(platform, terms, ask).payout
    profit = payout - pair.cost
    roi = (profit / pair.cost).quantize(Decimal("0.0001")) if pair.cost else None
    return Decision(platform, ask, floor, payout, profit, roi, flag, "; ".join(reasons))


def best_decision(decisions: list[Decision]) -> Decision | None:
    """The marketplace that nets the most at its suggested ask (first listed wins a tie)."""
    priced = [d for d in decisions if d.payout is not None]
    return max(priced, key=lambda d: d.payout or Decimal(0)) if priced else None
