"""StockX Data Contest layout: market-wide sales (not the user's) keyed by content + occurrence."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from hashlib import blake2b
from typing import Any

from soleflip_cli.catalog import name_from_slug
from soleflip_cli.importers.base import (
    MarketSaleRecord,
    MarketValues,
    Record,
    RowError,
    Rows,
    Target,
)
from soleflip_cli.importers.fields import Cells, Columns, clean_row, missing_columns, spelled

REQUIRED = ("Order Date", "Sneaker Name", "Sale Price", "Shoe Size")
OPTIONAL = ("Retail Price", "Release Date", "Buyer Region")
# Record field -> the column it is read from.
SOURCES = {
    "sale_date": "Order Date",
    "name": "Sneaker Name",
    "sale_price": "Sale Price",
    "size": "Shoe Size",
    "retail_price": "Retail Price",
    "release_date": "Release Date",
    "region": "Buyer Region",
}
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

    def column_for(self, field: str, header: Sequence[str]) -> str | None:
        """The file's own name of the column a record field is read from (None for the row key)."""
        return spelled(header, (SOURCES[field],)) if field in SOURCES else None

    def parse(self, rows: Rows) -> Iterator[Record | RowError]:
        """Month-first dates (2- or 4-digit years, fixed by the first row), USD prices."""
        return self.parse_part(rows, 0, 1)

    def parse_part(self, rows: Rows, part: int, parts: int) -> Iterator[Record | RowError]:
        """`parse`, of the rows of one part of `parts` (processes sharing the file take one each).

        A row belongs to the part of its day (day number modulo parts), so equal rows, which are
        numbered by occurrence, stay in one part; bad rows with no readable date, unreadable lines
        and the header's errors belong to part 0.
        """
        return self._parse(rows, part, parts)  # type: ignore[return-value]  # no ints without `add`

    def encode_part(
        self,
        rows: Rows,
        part: int,
        parts: int,
        add: Callable[[MarketValues], None],
        fits: Callable[[MarketSaleRecord], bool],
        every: int,
    ) -> Iterator[Record | RowError | int]:
        """`parse_part` for an encoder, without a record per row (a 100k-row file's hot path).

        A row whose cells were all seen before in rows that `fits` (the database's limits) goes to
        `add`; after every `every` of those the line read is yielded. Other rows come as records,
        for the caller to check and add, or as errors, as from `parse_part`.
        """
        return self._parse(rows, part, parts, fits, add, every)

    def _parse(
        self,
        rows: Rows,
        part: int,
        parts: int,
        fits: Callable[[MarketSaleRecord], bool] | None = None,
        add: Callable[[MarketValues], None] | None = None,
        every: int = 0,
    ) -> Iterator[Record | RowError | int]:
        """`parse_part`, or `encode_part` when `add` is given."""
        columns = Columns(rows.header)
        if missing := missing_columns(rows, columns, REQUIRED, OPTIONAL):
            if part == 0:
                yield from missing
            return
        fast = _FastPath(columns, parts, fits)
        width = len(rows.header)
        days, day_at, split = fast.days, fast.at[0], parts > 1
        added = 0
        for item in rows:
            if type(item) is tuple and len(item[1]) == width:
                if split and (known := days.get(item[1][day_at])) is not None and known[2] != part:
                    fast.note_release(item[1])
                    continue
                values = fast.values(item[1])
                if values is not None:
                    if add is None:
                        yield _record(item[0], values)
                        continue
                    add(values)
                    added += 1
                    if added == every:
                        yield item[0]
                        added = 0
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


def _record(line: int, v: MarketValues) -> MarketSaleRecord:
    """The record of a row's values."""
    return MarketSaleRecord(line, v[0], v[7], v[8], v[1], v[3], v[5], v[6], v[9], v[10])


class _FastPath:
    """100k-row files repeat their dates, prices and names: each distinct cell is parsed once.

    `values` gives a row's values from raw cells seen before (and validated) or None; `checked`
    validates a row's new cells and remembers them for `values` when the row is good and `fits`.
    """

    def __init__(
        self, columns: Columns, parts: int = 1, fits: Callable[[MarketSaleRecord], bool] | None = None
    ) -> None:
        self.columns = columns
        self.parts = parts
        self.fits = fits
        self.at = [columns.position(n) for n in REQUIRED]
        self.optional = [columns.index(n) for n in OPTIONAL]
        self.patterns: dict[str, str] = {}
        self.days: dict[str, tuple[date, str, int]] = {}  # cell -> day, its text, its part
        # Optional cells map to (value, its text in the row key); NONE stands for a missing value.
        self.releases: dict[str, tuple[date | None, str]] = {"": (None, NONE)}
        self.prices: dict[str, tuple[Decimal, str, str]] = {}  # cell -> price, currency, text
        self.retail: dict[str, tuple[Decimal | None, str]] = {"": (None, NONE)}
        self.names: dict[str, tuple[str, str]] = {}  # cell -> name, folded
        self.sizes: dict[str, str] = {}
        self.regions: dict[str, tuple[str | None, str]] = {"": (None, NONE)}
        self.seen: dict[str, int] = {}  # identity hash -> rows with it so far (see base.Occurrences)

    def values(self, cells: list[str]) -> MarketValues | None:
        """The row's values when every cell is known, else None."""
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
        key = self.key((day, folded, price_text, size, region_text, retail_text, released_text))
        return key, sold, day, price, price_text, currency, region, name, size, retail, released

    def key(self, parts: tuple[str, ...]) -> str:
        """The row key: a hash of its values and its occurrence among equal rows (see base.Occurrences)."""
        # The text digest(day, folded, price, size, region, retail, released) hashes: keys stay stable.
        identity = blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
        count = self.seen[identity] = self.seen.get(identity, 0) + 1
        return f"{identity}:{count}"

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
        """The row's record, its cells not seen before validated (but its day: see `day`); None when bad."""
        _, name_at, price_at, size_at = self.at
        retail_at, release_at, region_at = self.optional
        found: list[tuple[dict[str, Any], str, Any]] = []  # new cells, remembered if the row is good

        def known(cache: dict[str, Any], at: int | None, read: Callable[[], Any]) -> Any:
            if at is None:
                return None, NONE
            value = cache.get(raw[at])
            if value is None and (value := read()) is not None:
                found.append((cache, raw[at], value))
            return value

        released = known(self.releases, release_at, lambda: self._release(cells))
        price = known(self.prices, price_at, lambda: self._price(cells))
        retail = known(self.retail, retail_at, lambda: self._retail(cells))
        name = known(self.names, name_at, lambda: self._name(cells))
        size = known(self.sizes, size_at, lambda: cells.text("Shoe Size", required=True))
        region = known(self.regions, region_at, lambda: _region(cells.text("Buyer Region")))
        if cells.errors:
            return None
        sold, day, _ = self.days[raw[self.at[0]]]
        key = self.key((day, name[1], price[2], size, region[1], retail[1], released[1]))
        record = MarketSaleRecord(
            cells.line, key, name[0], size, sold, price[0], price[1], region[0], retail[0], released[0]
        )
        if self.fits is None or self.fits(record):
            for cache, cell, value in found:
                cache[cell] = value
        return record

    def _release(self, cells: Cells) -> tuple[date | None, str] | None:
        errors = len(cells.errors)
        released = cells.day("Release Date", *_pattern(self.patterns, "Release Date", cells), required=False)
        if len(cells.errors) > errors:
            return None
        return (released, released.isoformat()) if released else (None, NONE)

    def _price(self, cells: Cells) -> tuple[Decimal, str, str] | None:
        price = cells.money("Sale Price", required=True)
        return None if price is None else (price[0], price[1] or "USD", str(price[0]))

    def _retail(self, cells: Cells) -> tuple[Decimal | None, str] | None:
        errors = len(cells.errors)
        retail = cells.money("Retail Price")
        if len(cells.errors) > errors:
            return None
        return (retail[0], str(retail[0])) if retail else (None, NONE)

    def _name(self, cells: Cells) -> tuple[str, str] | None:
        slug = cells.text("Sneaker Name", required=True)
        if slug is None:
            return None
        name = name_from_slug(slug)
        return name, name.casefold()


def _region(region: str | None) -> tuple[str | None, str]:
    """A Buyer Region cell's (value, its text in the row key)."""
    return (region, region) if region is not None else (None, NONE)


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
