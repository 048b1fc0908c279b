"""eBay Seller Hub Orders report and Payments transaction report (fees and payouts, joined by order)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.importers.base import (
    FeeLine,
    Occurrences,
    PaymentRecord,
    Record,
    RowError,
    Rows,
    SaleRecord,
    Target,
    digest,
)
from soleflip_cli.importers.fields import Cells, Columns, data_rows, is_missing, missing_columns
from soleflip_cli.money import quantize

ORDER_SIGNATURE = ("Sales Record Number", "Order Number", "Item Number", "Item Title", "Sold For")
ORDER_REQUIRED = ("Order Number", "Item Number", "Item Title", "Sold For", "Sale Date")
# One pattern per file, chosen by the first date: US `Sep-30-26`, `Jun-24-2026`; AU/UK `26-May-26`.
ORDER_DATES = (("%b-%d-%y", "Sep-30-26"), ("%b-%d-%Y", "Jun-24-2026"), ("%d-%b-%y", "26-May-26"))
TRANSACTION_SIGNATURE = ("Transaction creation date", "Type", "Order number", "Net amount")
TRANSACTION_REQUIRED = ("Transaction creation date", "Type", "Net amount")
TRANSACTION_DATES = (("%b %d, %Y", "Mar 5, 2024"), ("%d %b %Y", "5 Mar 2024"), ("%Y-%m-%d", "2024-03-05"))
# Fee columns of the transaction report (signed: a charge is negative there, positive here).
FEES = (
    ("Final Value Fee - fixed", "transaction"),
    ("Final Value Fee - variable", "transaction"),
    ("Regulatory operating fee", "other"),
    ('Very high "item not as described" fee', "other"),
    ("Below standard performance fee", "other"),
    ("International fee", "other"),
    ("Charity donation", "other"),
    ("Deposit processing fee", "processing"),
)
LINE_KINDS = {"shipping label": "shipping", "refund": "refund"}
# Line types that move money without earning or costing it (a hold delays a payout): never a fee.
MOVES = ("payout", "transfer", "hold", "reserve")
BUYER_SHIPPING = "Shipping paid by the buyer"
# Order-level cells that a multi-item order's item rows may leave blank (taken from its summary row).
CARRIED = ("Sale Date", "Ship To Country", "Post To Country", "Buyer Country")
_FOOTER = re.compile(r"record\(s\) downloaded|^seller id\b", re.IGNORECASE)
# `[US Shoe Size (Women's):8]`, `[UK Shoe Size:8]`: the size system is in the name, the value bare.
# The size's name and value; a value may have a decimal comma (`44,5`), not taken for the next attribute.
_SIZE = re.compile(
    r"([^\[\]:;,]*size[^:]*):\s*((?:\d,(?=\d[^,;:\[\]]*(?:[\],;]|$))|[^,;\]\[])+)", re.IGNORECASE
)
_PLAIN_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")  # `8`, `10.5`, `0,79`: no letters, no system
_KIDS = (
    ("women", "W"),
    ("youth", "Y"),
    ("big kid", "Y"),
    ("grade school", "Y"),
    ("toddler", "C"),
    ("little kid", "C"),
    ("infant", "C"),
    ("baby", "C"),
)


def _without_footer(rows: Rows) -> Rows:
    """Drop the `N,record(s) downloaded,…` and `Seller ID : …` lines after the data."""

    def kept() -> Iterator[tuple[int, list[str]] | RowError]:
        for item in rows:
            if isinstance(item, RowError) or not any(_FOOTER.search(c) for c in item[1][:3]):
                yield item

    return Rows(rows.header, rows.header_line, kept())


def _pattern(
    cells: Cells, column: str, choices: Sequence[tuple[str, str]], chosen: list[tuple[str, str]]
) -> tuple[str, str]:
    """The file's one date pattern: the first that reads the first date seen, then kept for every row."""
    if not chosen:
        value = cells.raw(column)
        for pattern, example in choices:
            try:
                datetime.strptime(value, pattern)
            except ValueError:
                continue
            chosen.append((pattern, example))
            break
        else:
            return choices[0]
    return chosen[0]


class EbayOrdersImporter:
    """Seller Hub Orders report: one sale per item row, keyed `order:item`; summary rows skipped."""

    name = "ebay-orders"
    target: Target = "sales"
    description = "eBay Seller Hub Orders report (preamble, multi-item orders, locale money)"

    def __init__(self, *, today: date | None = None) -> None:
        self.today = today or datetime.now(UTC).date()

    def detect(self, header: Sequence[str]) -> bool:
        """The report's column names."""
        return Columns(header).has_all(ORDER_SIGNATURE)

    def parse(self, rows: Rows) -> Iterator[Record | RowError]:
        """Item rows only: a multi-item order's summary row carries no item and is skipped."""
        columns = Columns(rows.header)
        if missing := missing_columns(rows, columns, ORDER_REQUIRED):
            yield from missing
            return
        country = columns.first("Ship To Country", "Post To Country", "Buyer Country")
        seen: dict[str, int] = {}
        chosen: list[tuple[str, str]] = []
        carried = [p for p in (columns.index(c) for c in CARRIED) if p is not None]
        summaries: dict[str, list[str]] = {}
        for item in data_rows(_without_footer(rows), len(rows.header)):
            if isinstance(item, RowError):
                yield item
                continue
            cells = Cells(item[0], item[1], columns)
            order = cells.raw("Order Number")
            if is_missing(cells.raw("Item Number")) and is_missing(cells.raw("Item Title")):
                summaries[order] = cells.cells  # the summary row of a multi-item order
                continue
            summary = summaries.get(order, [])
            for position in carried if summary else ():
                cells.cells[position] = cells.cells[position] or summary[position]
            pattern = _pattern(cells, "Sale Date", ORDER_DATES, chosen)
            record = _order_line(cells, country, seen, pattern, self.today)
            if cells.errors:
                yield from cells.errors
            elif record is not None:
                yield record


def _order_line(
    cells: Cells, country: str | None, seen: dict[str, int], pattern: tuple[str, str], today: date
) -> SaleRecord | None:
    order = cells.identifier("Order Number", required=True)
    number = cells.identifier("Item Number", required=True)
    key = f"{order}:{number}"
    if order and number:
        if key in seen:
            cells.reject("Item Number", number, f"duplicate order line (first on line {seen[key]})")
        seen[key] = seen.get(key, cells.line)
    price = cells.money("Sold For", required=True)
    sold_at = cells.when("Sale Date", *pattern)
    cells.plausible("Sale Date", sold_at.date() if sold_at else None, today)
    quantity = cells.count("Quantity")
    if cells.errors or price is None or sold_at is None or not order or not number:
        return None
    return SaleRecord(
        line=cells.line,
        platform="ebay",
        external_id=key,
        sold_at=sold_at,
        sale_price=price[0] * quantity,
        currency=price[1] or "USD",
        item_name=cells.text("Item Title"),
        sku=normalise_sku(cells.text("Custom Label")),
        size=variation_size(cells.text("Variation Details") or ""),
        quantity=quantity,
        buyer_country=cells.text(country) if country else None,
    )


class EbayTransactionsImporter:
    """Payments transaction report: fees and net amounts, attached to the orders they belong to."""

    name = "ebay-transactions"
    target: Target = "payments"
    description = "eBay Payments transaction report (fees, refunds, shipping labels, payouts)"

    def detect(self, header: Sequence[str]) -> bool:
        """The report's column names."""
        return Columns(header).has_all(TRANSACTION_SIGNATURE)

    def parse(self, rows: Rows) -> Iterator[Record | RowError]:
        """One PaymentRecord per line, keyed by its identity plus occurrence (lines have no own id)."""
        columns = Columns(rows.header)
        if missing := missing_columns(rows, columns, TRANSACTION_REQUIRED):
            yield from missing
            return
        occurrences = Occurrences()
        chosen: list[tuple[str, str]] = []
        payout_chosen: list[tuple[str, str]] = []
        for item in data_rows(rows, len(rows.header)):
            if isinstance(item, RowError):
                yield item
                continue
            cells = Cells(item[0], item[1], columns)
            when = _pattern(cells, "Transaction creation date", TRANSACTION_DATES, chosen)
            record = _transaction(cells, occurrences, when, payout_chosen)
            if cells.errors:
                yield from cells.errors
            elif record is not None:
                yield record


def _transaction(
    cells: Cells, occurrences: Occurrences, when: tuple[str, str], payout_chosen: list[tuple[str, str]]
) -> PaymentRecord | None:
    kind = cells.text("Type", required=True)
    occurred = cells.when("Transaction creation date", *when)
    net = cells.money("Net amount", negative=True)
    gross = cells.money("Gross transaction amount", negative=True)
    currency = cells.currency("Transaction currency", "") or cells.currency("Payout currency", "")
    if net is not None and currency and (kind or "").casefold() not in MOVES:  # moves are no sale's money
        net = _in_transaction_currency(cells, net, currency)
    payout_pattern = _pattern(cells, "Payout date", TRANSACTION_DATES, payout_chosen)
    payout_date = cells.when("Payout date", *payout_pattern, required=False)
    fees = []
    for column, fee_kind in FEES:
        amount = cells.money(column, negative=True)
        if amount is not None and amount[0]:
            fees.append(FeeLine(column, fee_kind, -amount[0]))
    order, item = cells.identifier("Order number"), cells.identifier("Item ID")
    ids = (order, item, cells.identifier("Transaction ID"), cells.identifier("Reference ID"))
    if cells.errors or kind is None or occurred is None:
        return None
    shipping = cells.money("Shipping and handling", negative=True)
    if kind.casefold() == "order" and shipping is not None and shipping[0]:
        # What the buyer paid for shipping is in the net amount but not in the sale's price (Sold
        # For): a credit line, so the fee lines explain price - payout (the label is its own line).
        fees.append(FeeLine(BUYER_SHIPPING, "shipping", -shipping[0]))
    if kind.casefold() not in ("order", *MOVES) and order and net is not None and net[0]:
        # A refund, shipping label or extra fee of an order: its net amount is a cost of the sale. A
        # refund usually credits fees back (positive fee cells): those are lines of their own, so the
        # refund line is what the buyer got back (the item and its shipping), as the report says.
        rest = -net[0] - sum((f.amount for f in fees), Decimal(0))
        fees = [FeeLine(kind, LINE_KINDS.get(kind.casefold(), "other"), rest), *fees] if rest else fees
    identity = digest(kind, occurred.isoformat(), *ids)
    return PaymentRecord(
        line=cells.line,
        platform="ebay",
        row_key=occurrences.key(identity),
        type=kind,
        occurred_at=occurred,
        order_number=order,
        item_id=item,
        net_amount=net[0] if net else None,
        gross_amount=gross[0] if gross else None,
        currency=currency or (net[1] if net and net[1] else "USD"),
        fees=tuple(fees),
        payout_date=payout_date,
        payout_id=cells.text("Payout ID"),
    )


def _in_transaction_currency(
    cells: Cells, net: tuple[Decimal, str], currency: str
) -> tuple[Decimal, str] | None:
    """The net amount in the transaction's currency: eBay writes it in the payout currency.

    When the two differ (a sale in USD paid out in GBP) the line's Exchange rate (payout units per
    transaction unit) converts it back, to the minor unit; the gross and fee cells are already in
    the transaction's currency. None, with the row rejected, when there is no usable rate.
    """
    payout = cells.currency("Payout currency", "")
    if not payout or payout == currency:
        return net
    value = cells.raw("Exchange rate")
    if _PLAIN_NUMBER.fullmatch(value) and (rate := Decimal(value.replace(",", "."))) > 0:
        return quantize(net[0] / rate, currency), currency
    cells.reject(
        "Exchange rate",
        value,
        f"the net amount is in {payout} and the transaction in {currency}: a positive rate is needed",
    )
    return None


def variation_size(variation: str) -> str | None:
    """The size in eBay's Variation Details, with the system its name gives (8W, UK 8, EU 42, 5Y)."""
    found = _SIZE.search(variation)
    if found is None:
        return None
    name, value = found.group(1).strip().casefold(), found.group(2).strip()
    if not _PLAIN_NUMBER.fullmatch(value):  # it says its system itself (`8W`, `UK 8`)
        return value
    if name.startswith(("uk", "eu")):
        return f"{name[:2].upper()} {value}"
    suffix = next((letter for word, letter in _KIDS if word in name), "")
    return value + suffix
