"""Cell parsing shared by the importers: columns by name, money, dates, counts — errors per cell."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from soleflip_cli.importers.base import RowError, Rows
from soleflip_cli.money import (
    CURRENCIES,
    MAX_AMOUNT,
    MISSING_TOKENS,
    SHARED_SYMBOLS,
    MoneyParseError,
    parse_money,
    parse_number,
    quantize,
)

# No pair was bought or sold for resale before the first Air Jordan (1985): an earlier purchase or
# sale date is a typo or a placeholder (0001-01-01), not history.
EARLIEST_DAY = date(1985, 1, 1)
# `today` is the UTC date; where the user lives it may already be tomorrow, and clocks drift.
CLOCK_SKEW = timedelta(days=1)
# What Excel makes of a long number (an order or item number) when a CSV is saved again: 1.23457E+11.
_SCIENTIFIC = re.compile(r"[1-9](?:[.,][0-9]+)?E\+[0-9]{2,}")
EXCEL_NUMBER = (
    "a number Excel rewrote in scientific notation, its digits lost: use the export as downloaded, "
    "or format the column as text before saving"
)


def header_key(name: str) -> str:
    """Header names compare case- and blank-insensitively, `_` as a space (`ORDER_NUMBER`)."""
    return " ".join(name.replace("_", " ").replace("\ufeff", "").casefold().split())


class Columns:
    """Column positions by header name."""

    def __init__(self, header: Sequence[str]) -> None:
        self.header = list(header)
        self._index: dict[str, int] = {}
        self._spelled: dict[str, int | None] = {}
        self._positions: dict[str, list[int]] = {}
        for position, name in enumerate(header):
            key = header_key(name)
            self._index.setdefault(key, position)
            if key:  # empty cells (eBay pads its header) are no column
                self._positions.setdefault(key, []).append(position)

    def __contains__(self, name: str) -> bool:
        return header_key(name) in self._index

    def has_all(self, names: Sequence[str]) -> bool:
        """True when every name is a column."""
        return all(header_key(n) in self._index for n in names)

    def index(self, name: str) -> int | None:
        """The position of `name`, None when the file lacks it."""
        try:
            return self._spelled[name]
        except KeyError:
            position = self._spelled[name] = self._index.get(header_key(name))
            return position

    def position(self, name: str) -> int:
        """The position of a column the caller checked is there."""
        position = self.index(name)
        if position is None:
            raise KeyError(name)
        return position

    def repeated(self, name: str) -> list[int]:
        """The positions of `name` when the header has it more than once, else []."""
        positions = self._positions.get(header_key(name), [])
        return positions if len(positions) > 1 else []

    def first(self, *names: str) -> str | None:
        """The first of several alternative names the file has, as the file spells it."""
        for name in names:
            position = self.index(name)
            if position is not None:
                return self.header[position]
        return None


def spelled(header: Sequence[str], names: Sequence[str]) -> str | None:
    """The first of `names` the header has, as the header spells it (errors name the file's column)."""
    return Columns(header).first(*names)


def missing_columns(
    rows: Rows, columns: Columns, required: Sequence[str], optional: Sequence[str] = ()
) -> list[RowError]:
    """One error per required column the header lacks, and per column read that it repeats."""
    missing = [
        RowError(rows.header_line, name, "", "required column is missing")
        for name in required
        if name not in columns
    ]
    return missing + repeated_columns(rows, columns, [*required, *optional])


def repeated_columns(rows: Rows, columns: Columns, names: Sequence[str]) -> list[RowError]:
    """One error per column read that the header has more than once: which one is meant is unknown."""
    errors: list[RowError] = []
    keys: set[str] = set()
    for name in names:
        positions = columns.repeated(name)
        if positions and header_key(name) not in keys:
            keys.add(header_key(name))
            fields = ", ".join(str(p + 1) for p in positions)
            reason = f"appears {len(positions)} times in the header (fields {fields}); keep one"
            errors.append(RowError(rows.header_line, columns.header[positions[0]], "", reason))
    return errors


def data_rows(rows: Rows, width: int) -> Iterator[tuple[int, list[str]] | RowError]:
    """Rows with their cells stripped; blank rows skipped; short or long rows rejected whole."""
    for item in rows:
        checked = clean_row(item, width)
        if checked is not None:
            yield checked


def clean_row(item: tuple[int, list[str]] | RowError, width: int) -> tuple[int, list[str]] | RowError | None:
    """One row stripped, None when blank, a RowError when it has too few or too many fields."""
    if isinstance(item, RowError):
        return item
    line, cells = item
    if not any(cells):
        return None
    cells = [c.strip() for c in cells]
    if not any(cells):
        return None
    if len(cells) < width:
        reason = f"{len(cells)} fields where the header has {width} (truncated line or wrong delimiter?)"
        return RowError(line, None, "", reason)
    if len(cells) > width and any(cells[width:]):
        return RowError(line, None, "", f"{len(cells)} fields where the header has {width}")
    return line, cells


def is_missing(text: str | None) -> bool:
    """True for an empty cell or a placeholder (`N/A`, `--`, `=""`)."""
    return text is None or text.strip().upper() in MISSING_TOKENS


@lru_cache(maxsize=65536)
def _money(text: str, decimal_comma: bool | None) -> tuple[Decimal, str, str] | None:
    parsed = parse_money(text, decimal_comma=decimal_comma)
    return None if parsed is None else (parsed.amount, parsed.currency, parsed.symbol)


@lru_cache(maxsize=65536)
def _date(text: str, pattern: str) -> datetime:
    return datetime.strptime(text, pattern)


class Cells:
    """One row's cells, read by column name; each bad cell is recorded as a RowError."""

    __slots__ = ("amounts", "cells", "columns", "errors", "line")

    def __init__(self, line: int, cells: list[str], columns: Columns) -> None:
        self.line = line
        self.cells = cells
        self.columns = columns
        self.errors: list[RowError] = []
        self.amounts: dict[str, tuple[Decimal, str, str]] = {}  # money read: amount, code, shared symbol

    def reject(self, column: str | None, value: str, reason: str) -> None:
        """Record a bad cell."""
        self.errors.append(RowError(self.line, column, value, reason))

    def raw(self, name: str) -> str:
        """The stripped cell, "" when the column is absent."""
        position = self.columns.index(name)
        return self.cells[position] if position is not None and position < len(self.cells) else ""

    def text(self, name: str, *, required: bool = False) -> str | None:
        """The cell as text, None when missing (`N/A`, `--`, empty); required cells must be present."""
        value = self.raw(name)
        if is_missing(value):
            if required:
                self.reject(name, value, "a value is required")
            return None
        return value

    def identifier(self, name: str, *, required: bool = False) -> str | None:
        """An order, item or transaction number as text (see `text`); Excel's `1.23457E+11` is refused."""
        value = self.text(name, required=required)
        if value is not None and _SCIENTIFIC.fullmatch(value):
            self.reject(name, value, EXCEL_NUMBER)
            return None
        return value

    def money(
        self,
        name: str,
        *,
        required: bool = False,
        negative: bool = False,
        decimal_comma: bool | None = None,
    ) -> tuple[Decimal, str] | None:
        """(amount, currency code or ""), never rounded (extra places are errors); negatives if `negative`."""
        value = self.raw(name)
        try:
            parsed = _money(value, decimal_comma)
        except MoneyParseError as exc:
            self.reject(name, value, exc.reason)
            return None
        if parsed is None:
            if required:
                self.reject(name, value, "an amount is required")
            return None
        amount, code, symbol = parsed
        if abs(amount) >= MAX_AMOUNT:
            self.reject(name, value, "too large")
            return None
        exact = quantize(amount, code or "USD")
        if exact != amount:
            reason = f"more decimal places than {code} has" if code else "more than two decimals"
            self.reject(name, value, reason)
            return None
        amount = exact  # the minor unit's places: 12.5 is 12.50
        if amount < 0 and not negative:
            self.reject(name, value, "must not be negative")
            return None
        self.amounts[name] = amount, code, symbol
        return amount, code

    def agree(self, currency: str, names: Iterable[str], source: str = "") -> None:
        """Reject money cells (read by `money`) written in another currency than the row's `currency`.

        A cell naming a code must name this one; one with a symbol several currencies write (`$`,
        `¥`) must fit it (`$120` is not EUR); its decimals must fit it too (no cents in JPY).
        `source` says where the currency came from when no cell of the row names it.
        """
        said = f"the row's currency is {currency}{f' ({source})' if source else ''}"
        for name in names:
            if name not in self.amounts:
                continue
            amount, code, symbol = self.amounts[name]
            if code and code != currency:
                self.reject(name, self.raw(name), f"in {code}, but {said}")
            elif symbol and currency not in SHARED_SYMBOLS[symbol]:
                self.reject(name, self.raw(name), f"a {symbol} amount, but {said}")
            elif quantize(amount, currency) != amount:
                self.reject(name, self.raw(name), f"more decimal places than {currency} has")

    def currency(self, name: str, default: str | None = None) -> str | None:
        """An ISO currency code from its own column, else `default`."""
        value = self.raw(name)
        if is_missing(value):
            if default is None:
                self.reject(name, value, "a currency code is required")
            return default
        code = value.upper()
        if code not in CURRENCIES:
            self.reject(name, value, "unknown currency code (expected e.g. USD, EUR)")
            return default
        return code

    def when(
        self,
        name: str,
        pattern: str,
        example: str,
        *,
        required: bool = True,
        adjust: Callable[[str], str] | None = None,
    ) -> datetime | None:
        """A timestamp read with the format's one pattern; naive times are taken as UTC."""
        parsed = self.stamp(name, pattern, example, required, adjust)
        if parsed is None:
            return None
        try:
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 moved across midnight into UTC
            self.reject(name, self.raw(name), "out of range")
        return None

    def day(self, name: str, pattern: str, example: str, *, required: bool = True) -> date | None:
        """A calendar date read with the format's one pattern: the day written, whatever its offset."""
        stamp = self.stamp(name, pattern, example, required)
        return stamp.date() if stamp else None

    def stamp(
        self,
        name: str,
        pattern: str,
        example: str,
        required: bool,
        adjust: Callable[[str], str] | None = None,
    ) -> datetime | None:
        """The cell read with `pattern` as written (its offset kept), or None (rejected if bad)."""
        value = self.raw(name)
        if is_missing(value):
            if required:
                self.reject(name, value, f"a date is required (like {example})")
            return None
        try:
            return _date(adjust(value) if adjust else value, pattern)
        except ValueError:
            self.reject(name, value, f"not a date like {example}")
        return None

    def plausible(self, name: str, day: date | None, today: date | None = None) -> None:
        """Reject a purchase or sale day before EARLIEST_DAY, or (given `today`) after today."""
        if day is None:
            return
        if day < EARLIEST_DAY:
            self.reject(
                name, self.raw(name), f"is before {EARLIEST_DAY.year}: not a real purchase or sale date"
            )
        elif today is not None and day > today + CLOCK_SKEW:
            self.reject(name, self.raw(name), "is in the future")

    def count(
        self, name: str, *, default: int = 1, maximum: int = 1000, decimal_comma: bool | None = None
    ) -> int:
        """A positive whole quantity (default when empty or absent); `2,0` is 2, read as money reads it."""
        value = self.raw(name)
        if is_missing(value):
            return default
        try:
            amount = parse_number(value.strip(), decimal_comma)
            number = int(amount)
            if amount != number:
                raise ValueError(value)
        except (ArithmeticError, ValueError, MoneyParseError):
            self.reject(name, value, "not a whole number")
            return default
        if not 1 <= number <= maximum:
            self.reject(name, value, f"must be between 1 and {maximum}")
            return default
        return number


def stockx_timestamp(text: str) -> str:
    """StockX writes `+00` offsets; strptime's %z wants `+0000`."""
    if len(text) > 3 and text[-3] in "+-" and text[-2:].isdigit():
        return text + "00"
    return text
