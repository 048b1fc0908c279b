"""StockX Data Contest layout: market-wide sales (not the user's) keyed by content + occurrence."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from hashlib import blake2b

from soleflip_cli.catalog import name_from_slug
from soleflip_cli.importers.base import MarketSaleRecord, Record, RowError, Rows, Target
from soleflip_cli.importers.fields import Cells, Columns, clean_row, missing_columns

REQUIRED = ("Order Date", "Sneaker Name", "Sale Price", "Shoe Size")
SHORT_YEAR, LONG_YEAR = "%m/%d/%y", "%m/%d/%Y"
NONE = "\x00"  # how digest() writes a missing part


class ContestImporter:
    """`Order Date, Brand, Sneaker Name, Sale Price, Retail Price, Release Date, Shoe Size, Buyer Region`."""

    name = "contest"
    target: Target = "market_sales"
    description = "StockX Data Contest market sales (Order Date, Sneaker Name, Sale Price, ...)"
    source = "stockx-contest"

    def detect(self, header: Sequence[str]) -> bool:
        """The contest's column names."""
        return Columns(header).has_all(REQUIRED)

    def parse(self, rows: Rows) -> Iterator[Record | RowError]:
        """Month-first dates (2- or 4-digit years, fixed by the first row), USD prices."""
        return self.parse_part(rows, 0, 1)

    def parse_part(self, rows: Rows, part: int, parts: int) -> Iterator[Record | RowError]:
        """`parse`, of the rows of one part of `parts` (processes sharing the file take one each).

        A row belongs to the part of its day (day number modulo parts), so equal rows, which are
        numbered by occurrence, stay in one part; bad rows with no readable date, unreadable lines
        and the header's errors belong to part 0.
        """
        columns = Columns(rows.header)
        if missing := missing_columns(rows, columns, REQUIRED):
            if part == 0:
                yield from missing
            return
        fast = _FastPath(columns, parts)
        width = len(rows.header)
        days, day_at, split = fast.days, fast.at[0], parts > 1
        for item in rows:
            if type(item) is tuple and len(item[1]) == width:
                if split and (known := days.get(item[1][day_at])) is not None and known[2] != part:
                    fast.note_release(item[1])
                    continue
                record = fast.record(*item)
                if record is not None:
                    yield record
                    continue
            checked = clean_row(item, width)
            if checked is None or isinstance(checked, RowError):
                if checked is not None and part == 0:
                    yield checked
                continue
            cells = Cells(checked[0], checked[1], columns)
            owner = fast.day(cells, item[1])  # type: ignore[index]
            if owner != part and (owner is not None or part != 0):
                fast.note_release(cells.cells)
                continue
            record = fast.checked(cells, item[1])  # type: ignore[index]
            if record is None:
                yield from cells.errors
            else:
                yield record


class _FastPath:
    """100k-row files repeat their dates, prices and names: each distinct cell is parsed once.

    `record` builds a row from raw cells seen before (and validated) or returns None;
    `checked` validates a row's new cells and remembers the good ones for `record`.
    """

    def __init__(self, columns: Columns, parts: int = 1) -> None:
        self.columns = columns
        self.parts = parts
        self.at = [columns.position(n) for n in REQUIRED]
        self.optional = [columns.index(n) for n in ("Retail Price", "Release Date", "Buyer Region")]
        self.patterns: dict[str, str] = {}
        self.days: dict[str, tuple[date, str, int]] = {}  # cell -> day, its text, its part
        # Optional cells map to (value, its text in the row key); NONE stands for a missing value.
        self.releases: dict[str, tuple[date | None, str]] = {"": (None, NONE)}
        self.prices: dict[str, tuple[Decimal, str, str]] = {}
        self.retail: dict[str, tuple[Decimal | None, str]] = {"": (None, NONE)}
        self.names: dict[str, tuple[str, str]] = {}
        self.sizes: dict[str, str] = {}
        self.regions: dict[str, tuple[str | None, str]] = {"": (None, NONE)}
        self.seen: dict[str, int] = {}  # identity hash -> rows with it so far (see base.Occurrences)

    def record(self, line: int, cells: list[str]) -> MarketSaleRecord | None:
        day_at, name_at, price_at, size_at = self.at
        retail_at, release_at, region_at = self.optional
        try:
            sold, day, _ = self.days[cells[day_at]]
            price, currency, price_text = self.prices[cells[price_at]]
            name, folded = self.names[cells[name_at]]
            size = self.sizes[cells[size_at]]
            retail, retail_text = self.retail[cells[retail_at]] if retail_at is not None else (None, NONE)
            released, released_text = (
                self.releases[cells[release_at]] if release_at is not None else (None, NONE)
            )
            region, region_text = self.regions[cells[region_at]] if region_at is not None else (None, NONE)
        except KeyError:
            return None
        # The text digest(day, folded, price, size, region, retail, released) hashes: keys stay stable.
        text = "\x1f".join((day, folded, price_text, size, region_text, retail_text, released_text))
        identity = blake2b(text.encode(), digest_size=16).hexdigest()
        count = self.seen[identity] = self.seen.get(identity, 0) + 1
        return MarketSaleRecord(
            line,
            f"{identity}:{count}",
            name,
            size,
            sold,
            price,
            currency,
            region,
            retail,
            released,
        )

    def day(self, cells: Cells, raw: list[str]) -> int | None:
        """The part of the row's day, read and remembered if new; None when it is bad (see cells.errors)."""
        cell = raw[self.at[0]]
        known = self.days.get(cell)
        if known is None:
            sold = cells.day("Order Date", *_pattern(self.patterns, "Order Date", cells))
            if sold is None:
                return None
            known = self.days[cell] = (sold, sold.isoformat(), sold.toordinal() % self.parts)
        return known[2]

    def note_release(self, raw: list[str]) -> None:
        """Let a row of another part fix the Release Date pattern, as it would in one process."""
        at = self.optional[1]
        if at is not None and "Release Date" not in self.patterns and (value := raw[at].strip()):
            _fix(self.patterns, "Release Date", value)

    def checked(self, cells: Cells, raw: list[str]) -> MarketSaleRecord | None:
        """Check the row's cells not seen before but its day (see `day`), remembering the good ones."""
        _, name_at, price_at, size_at = self.at
        retail_at, release_at, region_at = self.optional
        patterns = self.patterns
        if release_at is not None and (cell := raw[release_at]) not in self.releases:
            errors = len(cells.errors)
            released = cells.day("Release Date", *_pattern(patterns, "Release Date", cells), required=False)
            if len(cells.errors) == errors:
                self.releases[cell] = (released, released.isoformat()) if released else (None, NONE)
        if (cell := raw[price_at]) not in self.prices:
            price = cells.money("Sale Price", required=True)
            if price is not None:
                self.prices[cell] = (price[0], price[1] or "USD", str(price[0]))
        if retail_at is not None and (cell := raw[retail_at]) not in self.retail:
            errors = len(cells.errors)
            retail = cells.money("Retail Price")
            if len(cells.errors) == errors:
                self.retail[cell] = (retail[0], str(retail[0])) if retail else (None, NONE)
        if (cell := raw[name_at]) not in self.names:
            slug = cells.text("Sneaker Name", required=True)
            if slug is not None:
                name = name_from_slug(slug)
                self.names[cell] = (name, name.casefold())
        if (cell := raw[size_at]) not in self.sizes:
            size = cells.text("Shoe Size", required=True)
            if size is not None:
                self.sizes[cell] = size
        if region_at is not None and (cell := raw[region_at]) not in self.regions:
            region = cells.text("Buyer Region")
            self.regions[cell] = (region, region) if region is not None else (None, NONE)
        return None if cells.errors else self.record(cells.line, raw)


def _pattern(patterns: dict[str, str], column: str, cells: Cells) -> tuple[str, str]:
    """The column's date pattern, fixed by its first value (`9/1/17` or `9/1/2017`), and an example."""
    pattern = patterns.get(column)
    if pattern is None:
        value = cells.raw(column)
        if not value:
            return SHORT_YEAR, "9/1/17"
        pattern = _fix(patterns, column, value)
    return pattern, "9/1/2017" if pattern == LONG_YEAR else "9/1/17"


def _fix(patterns: dict[str, str], column: str, value: str) -> str:
    """Fix the column's pattern from its first value: a 4-digit year or not."""
    pattern = patterns[column] = LONG_YEAR if len(value.rsplit("/", 1)[-1]) == 4 else SHORT_YEAR
    return pattern
