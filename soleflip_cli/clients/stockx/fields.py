"""Field types of StockX replies: bounded money, UTC timestamps, ids, codes and text.

A value that cannot be what it claims (an amount of 1e400, a 100-character size) is refused here,
at the boundary, instead of failing later in the database; free text too long to store is clipped.
Errors never quote the reply, so an error message cannot carry what a proxy echoed back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints

from soleflip_cli.money import MAX_AMOUNT, MoneyParseError, to_decimal

# Amounts at or beyond money.MAX_AMOUNT (and fee percentages at or beyond PERCENT_LIMIT) cannot be
# real and do not fit the database's money columns.
PERCENT_LIMIT = Decimal(1000)


def _bounded(limit: Decimal) -> Any:
    def check(value: Any) -> Decimal | None:
        if isinstance(value, str) and not value.strip():
            return None
        try:
            amount = to_decimal(value)
        except MoneyParseError:
            raise ValueError("not an amount") from None
        if amount is not None and not (amount.is_finite() and abs(amount) < limit):
            raise ValueError(f"not an amount below {limit:,}")
        return amount

    return check


def _utc(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("a timestamp out of range") from None


def _blank_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _clipped(limit: int) -> Any:
    def clip(value: str | None) -> str | None:
        return value[:limit] if value is not None else None

    return clip


def _code(limit: int) -> Any:
    return StringConstraints(min_length=1, max_length=limit)


Money = Annotated[Decimal | None, BeforeValidator(_bounded(MAX_AMOUNT))]
Percentage = Annotated[Decimal | None, BeforeValidator(_bounded(PERCENT_LIMIT))]
Timestamp = Annotated[datetime, AfterValidator(_utc)]
# StockX ids are UUIDs, numbers or `NNN-NNN` order numbers; an empty or very long one is not an id
# (50 leaves room for the `batch:` prefix a batch id is stored behind, in 64 characters).
Id = Annotated[str, _code(50)]
OptionalId = Annotated[Id | None, BeforeValidator(_blank_none)]
# An ISO 4217 code; an empty one is no code.
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
OptionalCurrency = Annotated[Currency | None, BeforeValidator(_blank_none)]
# Codes as long as the columns they are stored in: listing statuses and inventory types, order
# statuses (`CCAUTHORIZATIONFAILED`), sizes, style codes.
ShortCode = Annotated[str, _code(20)]
OptionalShortCode = Annotated[ShortCode | None, BeforeValidator(_blank_none)]
OrderStatus = Annotated[Annotated[str, _code(30)] | None, BeforeValidator(_blank_none)]
SizeText = Annotated[Annotated[str, _code(40)] | None, BeforeValidator(_blank_none)]
StyleId = Annotated[Annotated[str, _code(64)] | None, BeforeValidator(_blank_none)]
# Names and titles: at most what the catalog stores (longer ones are clipped, not refused).
Name = Annotated[str | None, AfterValidator(_clipped(300))]
Brand = Annotated[str | None, AfterValidator(_clipped(100))]
