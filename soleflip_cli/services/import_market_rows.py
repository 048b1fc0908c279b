"""Market sale records turned into rows as the database takes them, ids aside (see MarketChunk)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from soleflip_cli.importers.base import MarketSaleRecord, Record

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
    """Encodes records chunk by chunk, numbering each distinct product and size once per file."""

    def __init__(self, copy: bool, first: int = 0, step: int = 1) -> None:
        self.copy = copy  # COPY text lines (PostgreSQL) rather than tuples (SQLite)
        self.first, self.step = first, step  # pairs are numbered first, first + step, ...
        self.pairs: dict[tuple[str, str], int] = {}
        self.days: dict[date, str] = {}
        # Prices as text (equal amounts store the same number whichever way they are written).
        self.prices: dict[Decimal, str] = {}
        self.places: dict[tuple[str, str | None], str] = {}  # currency and region as COPY writes them

    def encode(self, records: Sequence[Record]) -> MarketChunk:
        """The chunk's market sale records as rows (other records are not market sales: skipped)."""
        pairs, days, prices, places, copy = self.pairs, self.days, self.prices, self.places, self.copy
        new: list[NewPair] = []
        indexes: list[int] = []
        lines: list[str] = []
        tuples: list[tuple[str | None, ...]] = []
        for r in records:
            if type(r) is not MarketSaleRecord:
                continue
            pair = pairs.get((r.name, r.size))
            if pair is None:
                pair = pairs[(r.name, r.size)] = self.first + len(pairs) * self.step
                new.append(NewPair(pair, r.name, r.size, r.currency, r.retail_price, r.release_date))
            indexes.append(pair)
            day = days.get(r.sale_date) or days.setdefault(r.sale_date, r.sale_date.isoformat())
            price = prices.get(r.sale_price) or prices.setdefault(r.sale_price, str(r.sale_price))
            if not copy:
                tuples.append((r.row_key, day, price, r.currency, r.region))
                continue
            key = r.row_key
            if "\\" in key or not key.isprintable():
                key = copy_text(key)
            place = places.get((r.currency, r.region)) or self._place(r)
            lines.append(f"{key}\t{day}\t{price}\t{place}")
        return MarketChunk(lines if copy else tuples, indexes, new)

    def _place(self, r: MarketSaleRecord) -> str:
        text = self.places[(r.currency, r.region)] = f"{copy_text(r.currency)}\t{copy_text(r.region)}"
        return text
