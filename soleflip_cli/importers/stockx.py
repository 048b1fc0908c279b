"""StockX "historical seller sales report" (2022: 37 columns, 2025: 44): payout is the truth."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.importers.base import KEPT_WHEN_ABSENT, FeeLine, Record, RowError, Rows, SaleRecord, Target
from soleflip_cli.importers.fields import (
    Cells,
    Columns,
    data_rows,
    missing_columns,
    spelled,
    stockx_timestamp,
)

# A download's name: `stockx_historical_seller_sales_report_<uuid>_<epoch-ms>.csv`.
_EXPORTED = re.compile(r"_(\d{13})\.csv$", re.IGNORECASE)
_FIRST_EXPORT = datetime(2015, 1, 1, tzinfo=UTC)
SIGNATURE = ("Order Number", "Sku Name", "Sku Size", "Listing Price")
REQUIRED = (
    "Order Number",
    "Sale Date",
    "Item",
    "Sku Size",
    "Listing Price",
    "Total Gross Amount (Total Payout)",
)
PAYOUT = "Total Gross Amount (Total Payout)"
STAMP = "%Y-%m-%d %H:%M:%S %z"
EXAMPLE = "2022-07-13 09:54:57 +00"
# Fee columns, each with a "<name> Currency" column beside it.
FEES = (("Seller Fee", "transaction"), ("Payment Processing", "processing"), ("Shipping Fee", "shipping"))
ADJUSTMENT = "Unlisted fees (listing - payout)"
# Record field -> the column it is read from.
SOURCES = {
    "external_id": "Order Number",
    "sold_at": "Sale Date",
    "sale_price": "Listing Price",
    "item_name": "Item",
    "sku": "Style",
    "size": "Sku Size",
    "quantity": "Quantity",
    "payout": PAYOUT,
    "vat_amount": "Total VAT Amount",
    "payout_date": "Payout date",
    "buyer_country": "Buyer Destination Country",
}
# Columns read when present (a repeated one is an error, as a repeated required one is).
OPTIONAL = (
    "Payout date",
    "Listing Price Currency",
    f"{PAYOUT} Currency",
    *(name for fee, _ in FEES for name in (fee, f"{fee} Currency")),
    "Total VAT Amount",
    "Total VAT Amount Currency",
    "Quantity",
    "Style",
    "Buyer Destination Country",
)


class StockXImporter:
    """StockX seller sales reports; key `Order Number`; fees kept line by line."""

    name = "stockx"
    target: Target = "sales"
    description = "StockX historical seller sales report (2022 and 2025 layouts)"

    def __init__(self, *, today: date | None = None) -> None:
        self.today = today or datetime.now(UTC).date()

    def detect(self, header: Sequence[str]) -> bool:
        """The report's own column names."""
        return Columns(header).has_all(SIGNATURE)

    def column_for(self, field: str, header: Sequence[str]) -> str | None:
        """The file's own name of the column a record field is read from (None for derived fields)."""
        return spelled(header, (SOURCES[field],)) if field in SOURCES else None

    def exported_at(self, file_name: str) -> datetime | None:
        """When the file was exported, from the time its download name ends with; None if renamed."""
        match = _EXPORTED.search(file_name)
        if match is None:
            return None
        when = datetime.fromtimestamp(int(match[1]) / 1000, tz=UTC)
        return when if _FIRST_EXPORT <= when <= datetime.now(UTC) + timedelta(days=1) else None

    def parse(self, rows: Rows) -> Iterator[Record | RowError]:
        """One SaleRecord per row; fees that don't add up to listing - payout get an adjustment line."""
        columns = Columns(rows.header)
        if missing := missing_columns(rows, columns, REQUIRED, OPTIONAL):
            yield from missing
            return
        currency_column = columns.first("Listing Price Currency", f"{PAYOUT} Currency")
        absent = frozenset(f for f in KEPT_WHEN_ABSENT if self.column_for(f, rows.header) is None)
        seen: dict[str, int] = {}
        for item in data_rows(rows, len(rows.header)):
            if isinstance(item, RowError):
                yield item
                continue
            cells = Cells(item[0], item[1], columns)
            record = _sale(cells, currency_column, seen, self.today, absent)
            if cells.errors:
                yield from cells.errors
            elif record is not None:
                yield record


def _sale(
    cells: Cells, currency_column: str | None, seen: dict[str, int], today: date, absent: frozenset[str]
) -> SaleRecord | None:
    order = cells.identifier("Order Number", required=True)
    if order is not None:
        if order in seen:
            cells.reject("Order Number", order, f"duplicate order (first on line {seen[order]})")
        else:
            seen[order] = cells.line
    sold_at = cells.when("Sale Date", STAMP, EXAMPLE, adjust=stockx_timestamp)
    cells.plausible("Sale Date", sold_at.date() if sold_at else None, today)
    payout_date = cells.when("Payout date", STAMP, EXAMPLE, required=False, adjust=stockx_timestamp)
    currency = cells.currency(currency_column) if currency_column else "USD"
    listing = cells.money("Listing Price", required=True)
    payout = cells.money(PAYOUT)
    vat = cells.money("Total VAT Amount")
    if payout is not None and vat is not None and vat[0]:
        # A VAT-registered seller's payout carries the VAT it owes the tax office: it earns the rest.
        payout = (payout[0] - vat[0], payout[1])
    if payout is not None and listing is not None and payout[0] > listing[0]:
        cells.reject(
            PAYOUT, cells.raw(PAYOUT), f"more than the listing price {listing[0]}: fees cannot be negative"
        )
    fees = _fees(cells, currency)
    for fee in fees:
        if listing is not None and abs(fee.amount) > listing[0]:
            cells.reject(fee.name, cells.raw(fee.name), f"more than the listing price {listing[0]}")
    for column in (PAYOUT, "Total VAT Amount"):
        if cells.raw(column):
            _same_currency(cells, column, currency)
    if currency is not None:  # a cell's own sign or code must fit (`$200` in a EUR row is an error)
        money = ("Listing Price", PAYOUT, "Total VAT Amount", *(column for column, _ in FEES))
        cells.agree(currency, money, "" if currency_column else "a file without a currency column")
    name = cells.text("Item", required=True)
    quantity = cells.count("Quantity")
    if order is None or sold_at is None or listing is None or currency is None or cells.errors:
        return None
    if payout is not None:
        gap = listing[0] - payout[0] - sum((f.amount for f in fees), Decimal(0))
        if gap:
            fees = (*fees, FeeLine(ADJUSTMENT, "other", gap))
    return SaleRecord(
        line=cells.line,
        platform="stockx",
        external_id=order,
        sold_at=sold_at,
        sale_price=listing[0],
        currency=currency,
        item_name=name,
        sku=normalise_sku(cells.text("Style")),
        size=cells.text("Sku Size"),
        quantity=quantity,
        fees=fees,
        payout=payout[0] if payout else None,
        vat_amount=vat[0] if vat else None,
        payout_date=payout_date,
        buyer_country=cells.text("Buyer Destination Country"),
        absent=absent,
    )


def _fees(cells: Cells, currency: str | None) -> tuple[FeeLine, ...]:
    lines = []
    for column, kind in FEES:
        amount = cells.money(column, negative=True)
        if amount is None:
            continue
        _same_currency(cells, column, currency)
        lines.append(FeeLine(column, kind, amount[0]))
    return tuple(lines)


def _same_currency(cells: Cells, column: str, currency: str | None) -> None:
    """Reject the row when the amount's own currency column names another currency than the sale's."""
    code = cells.text(f"{column} Currency")
    if code and currency and code.upper() != currency:
        cells.reject(f"{column} Currency", code, f"differs from the sale's currency {currency}")
