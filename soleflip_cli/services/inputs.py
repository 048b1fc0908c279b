"""Checks of values a user types (amounts, currencies, dates, sizes, choices): UsageError when wrong."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from soleflip_cli.catalog import Size, SizeError, parse_size
from soleflip_cli.errors import UsageError
from soleflip_cli.money import MAX_AMOUNT, check_currency, quantize


def valid_amount(amount: Decimal, currency: str, *, what: str = "cost") -> Decimal:
    """A positive amount rounded to the currency's minor unit; zero, negative or non-finite is refused."""
    if not amount.is_finite() or amount <= 0:
        raise UsageError(f"{what} must be more than zero (got {amount})")
    if amount >= MAX_AMOUNT or quantize(amount, currency) >= MAX_AMOUNT:
        raise UsageError(f"{what} {amount} is too large")
    return quantize(amount, currency)


def valid_currency(code: str) -> str:
    """The upper-cased ISO 4217 code, or a UsageError."""
    try:
        return check_currency(code)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def valid_past_date(day: date, today: date, *, what: str = "purchase date") -> date:
    """A date that is not after `today` (the user's local date)."""
    if day > today:
        raise UsageError(f"{what} {day.isoformat()} is in the future (today is {today.isoformat()})")
    return day


def valid_size(text: str) -> Size:
    """A parsed size, or a UsageError naming the accepted formats."""
    try:
        return parse_size(text)
    except SizeError as exc:
        raise UsageError(str(exc)) from None


def valid_choice(option: str, value: str, allowed: Sequence[str]) -> str:
    """`value` when it is one of `allowed`, else a UsageError naming the option."""
    if value not in allowed:
        raise UsageError(f"{option} must be one of {', '.join(allowed)} (got {value!r})")
    return value
