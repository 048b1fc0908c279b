"""Market sales (records, or values straight from a parser) turned into rows as the database takes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from soleflip_cli.importers.base import MarketSaleRecord, MarketValues, Record

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# The columns of a row, in order; product_id and variant_id follow, from the row's pair (see MarketChunk).
ROW_COLUMNS = ("row_key", "sale_date", "sale_price", "currency", "region")


def copy_text(value: str | None) -> str:
    """A text value as COPY's text format writes it (backslash escapes; NULL is `\\N`)."""
    return NULL if value is None else value.translate(_ESCAPES)


@dataclass(frozen=True, slots=True)
class NewPair:
    """A product and size first seen in this chunk: what creating them needs."""

    index: int
    name: str
    size: str
    currency: str
    retail_price: Decimal | None
    release_date: date | None


@dataclass(frozen=True, slots=True)
class MarketChunk:
    """A chunk of rows without their ids: `pairs[i]` numbers row i's product and size (see NewPair).

    Rows are COPY text lines without the end (PostgreSQL) or tuples (SQLite) of ROW_COLUMNS. Plain
    strings, numbers and tuples: a chunk crosses a process boundary cheaply (see import_worker).
    """

    rows: list[str] | list[tuple[str | None, ...]]
    pairs: list[int]
    new: list[NewPair]


class MarketRows:
    """Builds chunks of rows, numbering each distinct product and size once per file.

    Rows are added one by one (`add`, `add_record`) and taken as a chunk (`take`); `encode` does both
    for a chunk of records.
    """

    def __init__(self, copy: bool, first: int = 0, step: int = 1) -> None:
        self.copy = copy  # COPY text lines (PostgreSQL) rather than tuples (SQLite)
        self.first, self.step = first, step  # pairs are numbered first, first + step, ...
        self.pairs: dict[tuple[str, str], int] = {}
        self.days: dict[date, str] = {}
        # Prices as text (equal amounts store the same number whichever way they are written).
        self.prices: dict[Decimal, str] = {}
        self.places: dict[tuple[str, str | None], str] = {}  # currency and region as COPY writes them
        self.new: list[NewPair] = []
        self.indexes: list[int] = []
        self.lines: list[str] = []
        self.tuples: list[tuple[str | None, ...]] = []

    def __len__(self) -> int:
        """Rows added since the last `take`."""
        return len(self.indexes)

    def add(self, values: MarketValues) -> None:
        """Add a row (see MarketValues: its dates and prices come with their text)."""
        key, _, day, _, price, currency, region, name, size, retail, released = values
        pair = self.pairs.get((name, size))
        if pair is None:
            pair = self.pairs[(name, size)] = self.first + len(self.pairs) * self.step
            self.new.append(NewPair(pair, name, size, currency, retail, released))
        self.indexes.append(pair)
        if not self.copy:
            self.tuples.append((key, day, price, currency, region))
            return
        if "\\" in key or not key.isprintable():
            key = copy_text(key)
        place = self.places.get((currency, region)) or self._place(currency, region)
        self.lines.append(f"{key}\t{day}\t{price}\t{place}")

    def add_record(self, r: MarketSaleRecord) -> None:
        """Add a record's row."""
        day = self.days.get(r.sale_date) or self.days.setdefault(r.sale_date, r.sale_date.isoformat())
        price = self.prices.get(r.sale_price) or self.prices.setdefault(r.sale_price, str(r.sale_price))
        values = (r.row_key, r.sale_date, day, r.sale_price, price, r.currency, r.region, r.name, r.size)
        self.add((*values, r.retail_price, r.release_date))

    def take(self) -> MarketChunk:
        """The rows added since the last `take`, as a chunk."""
        chunk = MarketChunk(self.lines if self.copy else self.tuples, self.indexes, self.new)
        self.new, self.indexes, self.lines, self.tuples = [], [], [], []
        return chunk

    def encode(self, records: Sequence[Record]) -> MarketChunk:
        """The chunk's market sale records as rows (other records are not market sales: skipped)."""
        for r in records:
            if type(r) is MarketSaleRecord:
                self.add_record(r)
        return self.take()

    def _place(self, currency: str, region: str | None) -> str:
        text = self.places[(currency, region)] = f"{copy_text(currency)}\t{copy_text(region)}"
        return text
