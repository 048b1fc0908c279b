"""StockX Data Contest layout: market-wide sales (not the user's) keyed by content + occurrence."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal

from soleflip_cli.catalog import name_from_slug
from soleflip_cli.importers.base import MarketSaleRecord, Occurrences, Record, RowError, Rows, Target, digest
from soleflip_cli.importers.fields import Cells, Columns, data_rows, is_missing, missing_columns

REQUIRED = ("Order Date", "Sneaker Name", "Sale Price", "Shoe Size")
SHORT_YEAR, LONG_YEAR = "%m/%d/%y", "%m/%d/%Y"


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
        columns = Columns(rows.header)
        if missing := missing_columns(rows, columns, REQUIRED):
            yield from missing
            return
        fast = _FastPath(columns)
        for item in data_rows(rows, len(rows.header)):
            if isinstance(item, RowError):
                yield item
                continue
            record = fast.record(*item)
            if record is not None:
                yield record
                continue
            cells = Cells(item[0], item[1], columns)
            record = fast.checked(cells)
            if record is None:
                yield from cells.errors
            else:
                yield record


class _FastPath:
    """100k-row files repeat their dates, prices and names: parse each distinct cell once.

    `record` builds a row from cells seen before (and validated) or returns None; `checked`
    validates a row cell by cell, remembering what was good for `record`.
    """

    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self.at = [columns.position(n) for n in REQUIRED]
        self.optional = [columns.index(n) for n in ("Retail Price", "Release Date", "Buyer Region")]
        self.patterns: dict[str, str] = {}
        self.days: dict[str, tuple[date, str]] = {}
        self.releases: dict[str, date | None] = {"": None}
        self.prices: dict[str, tuple[Decimal, str]] = {}
        self.retail: dict[str, Decimal | None] = {"": None}
        self.names: dict[str, tuple[str, str]] = {}
        self.regions: dict[str, str | None] = {}
        self.occurrences = Occurrences()

    def record(self, line: int, cells: list[str]) -> MarketSaleRecord | None:
        day_at, name_at, price_at, size_at = self.at
        retail_at, release_at, region_at = self.optional
        try:
            sold, day = self.days[cells[day_at]]
            price, currency = self.prices[cells[price_at]]
            name, folded = self.names[cells[name_at]]
            retail = self.retail[cells[retail_at]] if retail_at is not None else None
            released = self.releases[cells[release_at]] if release_at is not None else None
        except KeyError:
            return None
        size = cells[size_at]
        region = None
        if region_at is not None:
            text = cells[region_at]
            region = self.regions.get(text, text)
            if region is text and text not in self.regions:
                region = self.regions[text] = None if is_missing(text) else text
        if not size:
            return None
        identity = digest(day, folded, price, size, region, retail, released)
        return MarketSaleRecord(
            line=line,
            row_key=self.occurrences.key(identity),
            name=name,
            size=size,
            sale_date=sold,
            sale_price=price,
            currency=currency,
            region=region,
            retail_price=retail,
            release_date=released,
        )

    def checked(self, cells: Cells) -> MarketSaleRecord | None:
        sold = cells.day("Order Date", *_pattern(self.patterns, "Order Date", cells))
        released = cells.day("Release Date", *_pattern(self.patterns, "Release Date", cells), required=False)
        price = cells.money("Sale Price", required=True)
        retail = cells.money("Retail Price")
        slug = cells.text("Sneaker Name", required=True)
        cells.text("Shoe Size", required=True)
        if cells.errors or sold is None or price is None or slug is None:
            return None
        self.days[cells.raw("Order Date")] = (sold, sold.isoformat())
        self.releases[cells.raw("Release Date")] = released
        self.prices[cells.raw("Sale Price")] = (price[0], price[1] or "USD")
        self.retail[cells.raw("Retail Price")] = retail[0] if retail else None
        name = name_from_slug(slug)
        self.names[cells.raw("Sneaker Name")] = (name, name.casefold())
        return self.record(cells.line, cells.cells)


def _pattern(patterns: dict[str, str], column: str, cells: Cells) -> tuple[str, str]:
    """The column's date pattern, fixed by its first value (`9/1/17` or `9/1/2017`), and an example."""
    pattern = patterns.get(column)
    if pattern is None:
        value = cells.raw(column)
        if not value:
            return SHORT_YEAR, "9/1/17"
        pattern = patterns[column] = LONG_YEAR if len(value.rsplit("/", 1)[-1]) == 4 else SHORT_YEAR
    return pattern, "9/1/2017" if pattern == LONG_YEAR else "9/1/17"
