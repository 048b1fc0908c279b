"""Option parsers for typed values on the command line: amounts and ISO dates (bad text is exit 2)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import typer

_AMOUNT = re.compile(r"-?\d+(\.\d+)?|-?\.\d+")


def parse_amount(text: str) -> Decimal:
    """A plain decimal amount such as `180` or `179.99` (no currency symbols, no thousands separators)."""
    cleaned = text.strip()
    if not _AMOUNT.fullmatch(cleaned):
        raise typer.BadParameter(f"{text!r} is not an amount (write it like 180 or 179.99)")
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise typer.BadParameter(f"{text!r} is not an amount") from None


def parse_day(text: str) -> date:
    """An ISO date, `YYYY-MM-DD`."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (write it as YYYY-MM-DD)") from None
