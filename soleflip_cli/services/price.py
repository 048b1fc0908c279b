"""Pricing: break-even tables and fee-aware ask suggestions for pairs in stock or listed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.errors import ConfigError, NotFoundError, UsageError
from soleflip_cli.fees import PLATFORMS, FeeTerms, apply_terms, breakeven_for, fee_terms
from soleflip_cli.models import InventoryItem, Listing, ListingEvent, MarketPrice, Product, Variant
from soleflip_cli.money import quantize
from soleflip_cli.pricing import (
    STRATEGIES,
    Decision,
    MarketQuote,
    PairFacts,
    PricingPolicy,
    best_decision,
    decide,
)
from soleflip_cli.services.inputs import valid_size

if TYPE_CHECKING:
    from soleflip_cli.config import Settings

FOR_SALE = ("in_stock", "listed")
OPEN_LISTING = ("ACTIVE", "INACTIVE")
PRICE_CHANGE = "price_change"
PRIMARY = "stockx"


@dataclass(frozen=True)
class BreakevenRow:
    """Break-even and target ask on one marketplace; `note` says why a platform has no numbers."""

    platform: str
    cost: Decimal
    currency: str
    breakeven: Decimal | None
    target: Decimal | None
    payout: Decimal | None
    profit: Decimal | None
    schedule: str | None
    note: str | None


def breakeven_table(
    cost: Decimal,
    currency: str,
    overrides: Mapping[str, Mapping[str, Any]],
    *,
    margin: Decimal | None = None,
    roi: Decimal | None = None,
) -> list[BreakevenRow]:
    """Break-even and target asks (margin on price or ROI on cost) on every marketplace, in `currency`."""
    if cost <= 0:
        raise UsageError(f"cost must be positive (got {cost})")
    cost = quantize(cost, currency)
    rows = []
    for platform in PLATFORMS:
        try:
            terms = fee_terms(platform, currency, overrides)
        except ConfigError as exc:
            rows.append(BreakevenRow(platform, cost, currency, None, None, None, None, None, exc.message))
            continue
        even = breakeven_for(platform, terms, cost)
        target = breakeven_for(platform, terms, cost, margin=margin, roi=roi) if margin or roi else even
        payout = apply_terms(platform, terms, target).payout
        schedule = f"{terms.version} (checked {terms.checked})"
        rows.append(
            BreakevenRow(platform, cost, terms.currency, even, target, payout, payout - cost, schedule, None)
        )
    return rows


def pricing_policy(
    settings: Settings, *, strategy: str | None = None, min_margin: Decimal | None = None
) -> PricingPolicy:
    """The `[pricing]` policy with command-line choices applied."""
    pricing = settings.pricing
    chosen = strategy or pricing.strategy
    if chosen not in STRATEGIES:
        raise UsageError(f"unknown strategy {chosen!r} (expected {', '.join(STRATEGIES)})")
    return PricingPolicy(
        strategy=chosen,
        min_margin=pricing.min_margin if min_margin is None else min_margin,
        undercut_step=pricing.undercut_step,
        markdown=tuple((step.days, step.cut) for step in pricing.markdown),
        max_cut_per_run=pricing.max_cut_per_run,
        condition_adjustments={str(k): v for k, v in pricing.condition_adjustments.items()},
        box_adjustments={str(k): v for k, v in pricing.box_adjustments.items()},
        stale_days=settings.inventory.stale_market_days,
    )


@dataclass(frozen=True)
class Selection:
    """Which pairs to price: given ids, a SKU (and size), or every pair in stock or listed."""

    item_ids: tuple[int, ...] = ()
    sku: str | None = None
    size: str | None = None
    every: bool = False


@dataclass(frozen=True)
class PriceSuggestion:
    """One pair's suggested StockX ask, with the best-netting marketplace beside it (money in `currency`)."""

    item_id: int
    pair: str
    sku: str | None
    size: str
    cost: Decimal
    currency: str
    current_ask: Decimal | None
    suggested_ask: Decimal | None
    payout: Decimal | None
    profit: Decimal | None
    roi: Decimal | None
    floor: Decimal | None
    market_age_days: int | None
    market_observed_at: datetime | None
    strategy: str
    platform: str
    best_platform: str | None
    best_ask: Decimal | None
    best_payout: Decimal | None
    flag: str | None
    reason: str
    listing_id: int | None


def _items(session: Session, selection: Selection) -> list[tuple[InventoryItem, Product, Variant]]:
    query = (
        select(InventoryItem, Product, Variant)
        .join(Product, InventoryItem.product_id == Product.id)
        .join(Variant, InventoryItem.variant_id == Variant.id)
        .where(InventoryItem.status.in_(FOR_SALE))
        .order_by(InventoryItem.id)
    )
    if selection.item_ids:
        query = query.where(InventoryItem.id.in_(selection.item_ids))
    elif selection.sku:
        query = query.where(Product.sku == normalise_sku(selection.sku))
        if selection.size:
            query = query.where(Variant.size_norm == valid_size(selection.size).norm)
    elif not selection.every:
        raise UsageError("choose the pairs: --item ID..., --sku S [--size Z] or --all")
    rows = [(item, product, variant) for item, product, variant in session.execute(query).all()]
    missing = sorted(set(selection.item_ids) - {item.id for item, _, _ in rows})
    if missing:
        raise NotFoundError(
            f"no pair in stock or listed with id {', '.join(map(str, missing))}",
            hint="`soleflip inventory list` shows the pairs and their status",
        )
    return rows


def _quotes(session: Session, variant_ids: set[int]) -> dict[tuple[int, str], MarketQuote]:
    latest = (
        select(MarketPrice.variant_id, MarketPrice.source, func.max(MarketPrice.observed_at).label("at"))
        .where(MarketPrice.variant_id.in_(variant_ids))
        .group_by(MarketPrice.variant_id, MarketPrice.source)
        .subquery()
    )
    query = (
        select(MarketPrice)
        .join(
            latest,
            and_(
                MarketPrice.variant_id == latest.c.variant_id,
                MarketPrice.source == latest.c.source,
                MarketPrice.observed_at == latest.c.at,
            ),
        )
        .order_by(MarketPrice.id)
    )
    quotes = {}
    for row in session.scalars(query):
        if row.variant_id is not None:
            quotes[(row.variant_id, row.source)] = MarketQuote(
                row.source,
                row.currency,
                row.observed_at,
                row.lowest_ask,
                row.highest_bid,
                row.sell_faster,
                row.earn_more,
            )
    return quotes


def open_listings(session: Session, item_ids: Sequence[int]) -> dict[tuple[int, str], Listing]:
    """Each pair's open (active or inactive) listing per marketplace, active and newest first."""
    query = (
        select(Listing)
        .where(Listing.inventory_item_id.in_(item_ids), func.upper(Listing.status).in_(OPEN_LISTING))
        .order_by(Listing.id)
    )
    found: dict[tuple[int, str], Listing] = {}
    for listing in session.scalars(query):
        key = (listing.inventory_item_id or 0, listing.platform)
        if key not in found or listing.status.upper() == "ACTIVE" or found[key].status.upper() != "ACTIVE":
            found[key] = listing
    return found


def _reference_asks(session: Session, item_ids: Sequence[int], now: datetime) -> dict[int, Decimal]:
    """The highest ask each pair had before price cuts applied in the last 24 h."""
    query = (
        select(ListingEvent.inventory_item_id, func.max(ListingEvent.old_amount))
        .where(
            ListingEvent.inventory_item_id.in_(item_ids),
            ListingEvent.action == PRICE_CHANGE,
            ListingEvent.status == "succeeded",
            ListingEvent.created_at >= now - timedelta(hours=24),
        )
        .group_by(ListingEvent.inventory_item_id)
    )
    return {item_id: amount for item_id, amount in session.execute(query).all() if item_id and amount}


def suggest_prices(
    session: Session,
    selection: Selection,
    policy: PricingPolicy,
    overrides: Mapping[str, Mapping[str, Any]],
    *,
    now: datetime | None = None,
) -> list[PriceSuggestion]:
    """Suggest a fee-aware StockX ask for each selected pair, never below its floor (times UTC)."""
    now = now or datetime.now(UTC)
    rows = _items(session, selection)
    ids = [item.id for item, _, _ in rows]
    quotes = _quotes(session, {variant.id for _, _, variant in rows})
    listings = open_listings(session, ids)
    references = _reference_asks(session, ids, now)
    context = _Context(policy, overrides, {}, now)
    suggestions = []
    for item, product, variant in rows:
        reference = quotes.get((variant.id, PRIMARY))
        decisions = []
        for platform in PLATFORMS:
            quote = quotes.get((variant.id, platform)) or reference
            listing = listings.get((item.id, platform))
            decision = _decide(context, platform, item, quote, listing, references.get(item.id))
            if quote is not None and quote.source != platform and decision.ask is not None:
                decision = replace(decision, reason="StockX market as reference; " + decision.reason)
            decisions.append(decision)
        primary, best = decisions[0], best_decision(decisions)
        listing = listings.get((item.id, PRIMARY))
        suggestions.append(
            PriceSuggestion(
                item_id=item.id,
                pair=product.name or product.sku or product.product_key,
                sku=product.sku,
                size=variant.size,
                cost=item.purchase_price,
                currency=reference.currency if reference else item.purchase_currency,
                current_ask=listing.amount if listing else None,
                suggested_ask=primary.ask,
                payout=primary.payout,
                profit=primary.profit,
                roi=primary.roi,
                floor=primary.floor,
                market_age_days=(now - reference.observed_at).days if reference else None,
                market_observed_at=reference.observed_at if reference else None,
                strategy=policy.strategy,
                platform=PRIMARY,
                best_platform=best.platform if best else None,
                best_ask=best.ask if best else None,
                best_payout=best.payout if best else None,
                flag=primary.flag,
                reason=primary.reason,
                listing_id=listing.id if listing else None,
            )
        )
    return suggestions


@dataclass(frozen=True)
class _Context:
    policy: PricingPolicy
    overrides: Mapping[str, Mapping[str, Any]]
    terms: dict[tuple[str, str], FeeTerms | str]
    now: datetime

    def fee_terms(self, platform: str, currency: str) -> FeeTerms | str:
        """The platform's terms in `currency`, or why there are none (cached per run)."""
        key = (platform, currency)
        if key not in self.terms:
            try:
                self.terms[key] = fee_terms(platform, currency, self.overrides)
            except ConfigError as exc:
                self.terms[key] = exc.message
        return self.terms[key]


def _decide(
    context: _Context,
    platform: str,
    item: InventoryItem,
    quote: MarketQuote | None,
    listing: Listing | None,
    reference_ask: Decimal | None,
) -> Decision:
    currency = quote.currency if quote else item.purchase_currency
    if currency != item.purchase_currency:
        reason = f"the pair cost {item.purchase_currency} but the market data is in {currency}; not converted"
        return Decision(platform, None, None, None, None, None, "currency_mismatch", reason)
    terms = context.fee_terms(platform, currency)
    if isinstance(terms, str):
        return Decision(platform, None, None, None, None, None, "no_fee_schedule", terms)
    current = listing.amount if listing else None
    pair = PairFacts(
        cost=item.purchase_price,
        currency=currency,
        condition=item.condition,
        box_condition=item.box_condition,
        days_in_stock=max((context.now.date() - item.purchase_date).days, 0),
        current_ask=current,
        reference_ask=max(reference_ask, current)
        if reference_ask and current
        else (reference_ask or current),
    )
    return decide(platform, terms, pair, quote, context.policy, context.now)
