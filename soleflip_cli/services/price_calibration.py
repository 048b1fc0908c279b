"""Compare the configured StockX fee schedule with the fee lines real StockX sales paid."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from soleflip_cli import fee_schedules
from soleflip_cli.errors import NotFoundError
from soleflip_cli.fees import StockXTerms, fee_terms
from soleflip_cli.models import Sale, SaleFee
from soleflip_cli.money import quantize
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class CalibrationRow:
    """One setting: configured value, what the sales paid (median), how many sales agree, advice."""

    setting: str
    currency: str
    configured: Decimal
    observed: Decimal
    sales: int
    matching: int
    difference: Decimal
    advice: str


@dataclass
class _Observed:
    rates: list[Decimal] = field(default_factory=list)
    minimums: list[Decimal] = field(default_factory=list)
    processing: list[Decimal] = field(default_factory=list)
    shipping: list[Decimal] = field(default_factory=list)
    payout_gaps: list[Decimal] = field(default_factory=list)
    matches: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def classify_fee(fee: SaleFee) -> str:
    """transaction, minimum, processing, shipping, credit or other, from the line's kind and name."""
    text = f"{fee.kind} {fee.name}".lower().replace("_", " ")
    if fee.amount < 0:
        return "credit"
    if "min" in text and ("transaction" in text or "seller" in text):
        return "minimum"
    if "transaction" in text or "seller fee" in text:
        return "transaction"
    if "proc" in text:
        return "processing"
    if "ship" in text:
        return "shipping"
    return "other"


def calibrate_fees(
    session: Session, overrides: Mapping[str, Mapping[str, Any]], *, last: int = 20
) -> list[CalibrationRow]:
    """Check the StockX schedule against the last `last` StockX sales' fee lines, per currency."""
    sales = session.scalars(
        select(Sale)
        .where(Sale.platform == "stockx", Sale.status.not_in(NON_SALES), Sale.sale_price > 0)
        .options(selectinload(Sale.fees))
        .order_by(Sale.sold_at.desc(), Sale.id.desc())
        .limit(last)
    ).all()
    if not sales:
        raise NotFoundError(
            "no StockX sales in the database to calibrate against",
            hint="import a StockX sales report (`soleflip import csv`) or run `soleflip sync stockx`",
        )
    by_currency: dict[str, list[Sale]] = defaultdict(list)
    for sale in sales:
        by_currency[sale.currency].append(sale)
    rows: list[CalibrationRow] = []
    for currency, group in sorted(by_currency.items()):
        terms = fee_terms("stockx", currency, overrides)
        assert isinstance(terms, StockXTerms)
        rows.extend(_compare(terms, _observe(terms, group)))
    return rows


def _observe(terms: StockXTerms, sales: list[Sale]) -> _Observed:
    seen = _Observed()
    pending: list[tuple[Sale, Decimal]] = []
    for sale in sales:
        lines: dict[str, Decimal] = defaultdict(Decimal)
        for fee in sale.fees:
            lines[classify_fee(fee)] += fee.amount
        price, cur = sale.sale_price, sale.currency
        if "processing" in lines:
            seen.processing.append(lines["processing"] / price)
            seen.matches["processing"] += lines["processing"] == quantize(terms.processing_rate * price, cur)
        if "shipping" in lines:
            seen.shipping.append(lines["shipping"])
            seen.matches["shipping"] += lines["shipping"] == terms.shipping
        if "transaction" in lines:
            seen.rates.append(lines["transaction"] / price)
            expected = quantize(terms.transaction_rate * price, cur)
            seen.matches["transaction"] += lines["transaction"] == expected
        elif "minimum" in lines:
            seen.minimums.append(lines["minimum"])
        elif sale.payout is not None:
            # No transaction line: the fee is what the payout is short of (exports omit the minimum).
            explained = sum((v for k, v in lines.items() if k != "other"), Decimal(0))
            pending.append((sale, price - sale.payout - explained))
        if sale.payout is not None:
            configured = price - sum(
                (
                    _configured_line(terms, kind, price, cur)
                    for kind in ("transaction", "processing", "shipping")
                ),
                Decimal(0),
            )
            seen.payout_gaps.append(sale.payout - configured)
            seen.matches["payout"] += abs(sale.payout - configured) <= CENT
    rate = median(seen.rates) if seen.rates else terms.transaction_rate
    for sale, residual in pending:
        if residual > rate * sale.sale_price + CENT:
            seen.minimums.append(residual)
        elif residual > 0:
            seen.rates.append(residual / sale.sale_price)
    seen.matches["minimum"] = sum(amount == terms.minimum_fee for amount in seen.minimums)
    return seen


def _configured_line(terms: StockXTerms, kind: str, price: Decimal, currency: str) -> Decimal:
    if kind == "transaction":
        return quantize(max(terms.transaction_rate * price, terms.minimum_fee), currency)
    if kind == "processing":
        return quantize(terms.processing_rate * price, currency)
    return terms.shipping


def _level_hint(rate: Decimal, version: object) -> str:
    schedule = next(s for s in fee_schedules.STOCKX if s.effective == version)
    for level, base in enumerate(schedule.level_rates, start=1):
        bonuses = range(3) if level in schedule.bonus_levels else range(1)
        for count in bonuses:
            if base - schedule.bonus_rate * count == rate:
                extra = f" and bonuses = {json.dumps(fee_schedules.BONUSES[:count])}" if count else ""
                return f" (that is level = {level}{extra})"
    return ""


def _compare(terms: StockXTerms, seen: _Observed) -> list[CalibrationRow]:
    cur = terms.currency
    checks: list[tuple[str, Decimal, list[Decimal], str, bool]] = [
        ("transaction_rate", terms.transaction_rate, seen.rates, "transaction", True),
        ("minimum_fee", terms.minimum_fee, seen.minimums, "minimum", False),
        ("processing_rate", terms.processing_rate, seen.processing, "processing", True),
        ("shipping", terms.shipping, seen.shipping, "shipping", False),
    ]
    rows = []
    for setting, configured, values, kind, is_rate in checks:
        if not values:
            continue
        observed = median(values)
        observed = observed.quantize(RATE_PLACES) if is_rate else quantize(observed, cur)
        difference = observed - configured
        if not difference:
            advice = "ok"
        else:
            shown = f'"{(observed * 100).normalize():f}%"' if is_rate else str(observed)
            advice = f"differs: set [fees.stockx] {setting} = {shown}"
            if setting == "transaction_rate":
                advice += _level_hint(observed, terms.version)
        rows.append(
            CalibrationRow(
                setting, cur, configured, observed, len(values), seen.matches[kind], difference, advice
            )
        )
    if seen.payout_gaps:
        gap = quantize(median(seen.payout_gaps), cur)
        advice = (
            "ok" if seen.matches["payout"] == len(seen.payout_gaps) else "payouts differ; see the rows above"
        )
        rows.append(
            CalibrationRow(
                "payout_gap", cur, Decimal(0), gap, len(seen.payout_gaps), seen.matches["payout"], gap, advice
            )
        )
    return rows
