"""Payouts of the fake StockX: REFERENCE §10.1 at seller level 1, as payout blocks with adjustments."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.fake_stockx.state import money

# Fee model of REFERENCE §10.1 at seller level 1: max(9 % of price, minimum) + 3 % + shipping.
TRANSACTION_RATE = Decimal("0.09")
PROCESSING_RATE = Decimal("0.03")
MIN_FEE = {"USD": Decimal(5), "EUR": Decimal(5), "GBP": Decimal("4.50")}
SHIPPING = {"USD": Decimal(4), "EUR": Decimal("4.50"), "GBP": Decimal(4)}


def payout(amount: Decimal, currency: str, extra: list[tuple[str, Decimal]]) -> dict[str, Any]:
    """The payout block for a sale at `amount` (REFERENCE §10.1, seller level 1)."""
    cent = Decimal("0.01")
    rate_fee = (amount * TRANSACTION_RATE).quantize(cent, rounding=ROUND_HALF_UP)
    minimum = MIN_FEE.get(currency, Decimal(5))
    lines: list[tuple[str, Decimal, str]] = [
        ("Transaction Fee (9.0%)", -rate_fee, "0.09")
        if rate_fee >= minimum
        else ("Minimum Transaction Fee", -minimum, "0.09"),
        ("Payment Proc. (3%)", -(amount * PROCESSING_RATE).quantize(cent, ROUND_HALF_UP), "0.03"),
        ("Shipping", -SHIPPING.get(currency, Decimal(5)), "0"),
    ]
    lines += [(name, value, "0") for name, value in extra]
    total = sum((value for _, value, _ in lines), Decimal(0))
    return {
        "totalPayout": money(amount + total),
        "salePrice": money(amount),
        "totalAdjustments": money(total),
        "currencyCode": currency,
        "adjustments": [
            {"adjustmentType": name, "amount": money(value), "percentage": pct} for name, value, pct in lines
        ],
    }
