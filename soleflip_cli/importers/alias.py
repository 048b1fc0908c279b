"""Alias (GOAT's seller app) sales report: whole-dollar prices, day-first dates, GOAT SKU spacing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.importers.base import Record, RowError, Rows, SaleRecord, Target
from soleflip_cli.importers.fields import Cells, Columns, data_rows, missing_columns

PRICE = "PRODUCT_PRICE_CENTS_SALE_PRICE"
SIGNATURE = ("ORDER_NUMBER", "SKU", "SIZE", PRICE)
REQUIRED = ("ORDER_NUMBER", "NAME", PRICE, "PURCHASED_DATE")
DAY_FIRST, EXAMPLE = "%d/%m/%y", "20/12/24"


class AliasImporter:
    """Key `ORDER_NUMBER`; sold on the buyer's order date, paid out on the credit date; USD."""

    name = "alias"
    target: Target = "sales"
    description = "Alias / GOAT sales report (ORDER_NUMBER, PRODUCT_PRICE_CENTS_SALE_PRICE, ...)"

    def detect(self, header: Sequence[str]) -> bool:
        """The report's upper-case column names."""
        return Columns(header).has_all(SIGNATURE)

    def parse(self, rows: Rows) -> Iterator[Record | RowError]:
        """One SaleRecord per row; the price column holds whole US dollars despite its name."""
        columns = Columns(rows.header)
        if missing := missing_columns(rows, columns, REQUIRED):
            yield from missing
            return
        seen: dict[str, int] = {}
        for item in data_rows(rows, len(rows.header)):
            if isinstance(item, RowError):
                yield item
                continue
            cells = Cells(item[0], item[1], columns)
            order = cells.text("ORDER_NUMBER", required=True)
            if order is not None and order in seen:
                cells.reject("ORDER_NUMBER", order, f"duplicate order (first on line {seen[order]})")
            elif order is not None:
                seen[order] = cells.line
            price = cells.money(PRICE, required=True)
            sold_at = cells.when("PURCHASED_DATE", DAY_FIRST, EXAMPLE)
            credited = cells.when("CREDIT_DATE", DAY_FIRST, EXAMPLE, required=False)
            name = cells.text("NAME", required=True)
            if cells.errors or order is None or price is None or sold_at is None:
                yield from cells.errors
                continue
            yield SaleRecord(
                line=cells.line,
                platform="alias",
                external_id=order,
                sold_at=sold_at,
                sale_price=price[0],
                currency=price[1] or "USD",
                item_name=name,
                sku=normalise_sku(cells.text("SKU")),
                size=cells.text("SIZE"),
                payout_date=credited,
            )
