"""The importer interface and the typed records importers produce (no database here).

Records are slotted, not frozen, dataclasses: a frozen one costs three times as much to build and
a 100k-row file builds one per row. Nothing changes a record after its importer made it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Protocol

Target = Literal["sales", "purchases", "market_sales", "payments"]


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected cell (or row, when `column` is None): physical line, column, value, reason."""

    line: int
    column: str | None
    value: str
    reason: str

    @property
    def message(self) -> str:
        """The reason with the offending value, for people and JSON."""
        if not self.value:
            return self.reason
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"{self.reason}: {shown!r}"


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One fee of a sale: a charge is positive, a credit negative."""

    name: str
    kind: str
    amount: Decimal


# Sale fields a file may lack (an older layout) whose stored values a re-import of it keeps.
KEPT_WHEN_ABSENT = ("payout_date", "buyer_country")


@dataclass(slots=True)
class SaleRecord:
    """One of the user's own sales, keyed by (platform, external_id)."""

    line: int
    platform: str
    external_id: str
    sold_at: datetime
    sale_price: Decimal
    currency: str
    item_name: str | None = None
    sku: str | None = None
    size: str | None = None
    quantity: int = 1
    fees: tuple[FeeLine, ...] = ()
    payout: Decimal | None = None
    vat_amount: Decimal | None = None
    payout_date: datetime | None = None
    buyer_country: str | None = None
    status: str = "completed"
    # Fields the file has no column for (of KEPT_WHEN_ABSENT): a re-import keeps their stored values.
    absent: frozenset[str] = frozenset()

    @property
    def fees_total(self) -> Decimal | None:
        """Sum of the fee lines, None when the source had no fee information."""
        return sum((f.amount for f in self.fees), Decimal(0)) if self.fees else None

    def content_hash(self) -> str:
        """Hash of every imported field: a re-import updates the sale only when it changes."""
        fees = ";".join(f"{f.name}={f.amount}" for f in self.fees)
        return digest(
            self.sold_at.isoformat(),
            self.sale_price,
            self.currency,
            self.item_name,
            self.sku,
            self.size,
            self.quantity,
            fees,
            self.payout,
            self.vat_amount,
            self.payout_date.isoformat() if self.payout_date else None,
            self.buyer_country,
            self.status,
        )


@dataclass(slots=True)
class PurchaseRecord:
    """Pairs bought: one row may stand for `quantity` identical pairs."""

    line: int
    key: str
    sku: str
    size: str
    cost: Decimal
    currency: str
    purchase_date: date
    name: str | None = None
    supplier: str | None = None
    location: str | None = None
    condition: str = "new"
    box_condition: str | None = "good"
    quantity: int = 1
    notes: str | None = None

    def content_hash(self) -> str:
        """Hash of every imported field, to tell a changed row from an identical one."""
        return digest(
            self.sku,
            self.size,
            self.cost,
            self.currency,
            self.purchase_date.isoformat(),
            self.name,
            self.supplier,
            self.location,
            self.condition,
            self.box_condition,
            self.quantity,
            self.notes,
        )


@dataclass(slots=True)
class MarketSaleRecord:
    """A public market sale (not the user's): product by name, size, price and region."""

    line: int
    row_key: str
    name: str
    size: str
    sale_date: date
    sale_price: Decimal
    currency: str
    region: str | None = None
    retail_price: Decimal | None = None
    release_date: date | None = None


# A market sale as an encoder takes it (see ContestImporter.encode_part): row key, sale date and its
# ISO text, sale price and its text, currency, region, product name, size, retail price, release date.
MarketValues = tuple[str, date, str, Decimal, str, str, str | None, str, str, Decimal | None, date | None]


@dataclass(slots=True)
class PaymentRecord:
    """One line of a payments report (eBay): an order's fees and payout, a refund, a payout."""

    line: int
    platform: str
    row_key: str
    type: str
    occurred_at: datetime
    order_number: str | None
    item_id: str | None
    net_amount: Decimal | None
    gross_amount: Decimal | None
    currency: str
    fees: tuple[FeeLine, ...] = ()
    payout_date: datetime | None = None
    payout_id: str | None = None

    def content_hash(self) -> str:
        """Hash of every imported field."""
        fees = ";".join(f"{f.name}={f.amount}" for f in self.fees)
        return digest(
            self.type,
            self.occurred_at.isoformat(),
            self.order_number,
            self.item_id,
            self.net_amount,
            self.gross_amount,
            self.currency,
            fees,
            self.payout_date.isoformat() if self.payout_date else None,
            self.payout_id,
        )


Record = SaleRecord | PurchaseRecord | MarketSaleRecord | PaymentRecord


@dataclass
class Rows:
    """A CSV table after its header: the header cells and the data rows with their line numbers.

    `rows` yields `(line, cells)` for each record, or a RowError for a record the CSV reader
    could not read (bad quoting, an oversized field). `header_line` is the header's line.
    """

    header: list[str]
    header_line: int
    rows: Iterable[tuple[int, list[str]] | RowError]

    def __iter__(self) -> Iterator[tuple[int, list[str]] | RowError]:
        return iter(self.rows)


class Importer(Protocol):
    """One export format: recognise its header, turn its rows into records."""

    name: str
    target: Target
    description: str

    def detect(self, header: Sequence[str]) -> bool:
        """True when these header cells are this format's."""
        ...

    def parse(self, rows: Rows) -> Iterator[Record | RowError]:
        """Records in file order; a bad row yields one RowError per bad cell instead."""
        ...


def digest(*parts: object) -> str:
    """A short stable hash of the parts (None and "" differ; order matters)."""
    text = "\x1f".join("\x00" if p is None else str(p) for p in parts)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class Occurrences:
    """Numbers repeated identities 1, 2, 3… so identical rows in id-less files stay distinct."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def key(self, identity: str) -> str:
        """`identity:n` where n counts this identity's appearances so far in the file."""
        count = self._seen.get(identity, 0) + 1
        self._seen[identity] = count
        return f"{identity}:{count}"
