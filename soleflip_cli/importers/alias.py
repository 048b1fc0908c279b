"""Alias (GOAT's seller app) sales report: whole-dollar prices, day-first dates, GOAT SKU spacing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.errors import ConfigError
from soleflip_cli.fees import FEE_KINDS, FeeTerms, apply_terms, fee_terms
from soleflip_cli.importers.base import FeeLine, Record, RowError, Rows, SaleRecord, Target
from soleflip_cli.importers.fields import Cells, Columns, data_rows, missing_columns

PRICE = "PRODUCT_PRICE_CENTS_SALE_PRICE"
SIGNATURE = ("ORDER_NUMBER", "SKU", "SIZE", PRICE)
REQUIRED = ("ORDER_NUMBER", "NAME", PRICE, "PURCHASED_DATE")
DAY_FIRST, EXAMPLE = "%d/%m/%y", "20/12/24"
# The report has no fee columns: its fee lines come from the fee schedule, named so they read as such.
ESTIMATED = " (estimated)"


class AliasImporter:
    """Key `ORDER_NUMBER`; sold on the buyer's order date, paid out on the credit date; USD.

    Fees are the Alias fee schedule in force on the sale day with the `[fees.alias]` settings
    (`fees`), exactly as `soleflip price fees --platform alias` computes them; payout = price - fees.
    """

    name = "alias"
    target: Target = "sales"
    description = "Alias / GOAT sales report (ORDER_NUMBER, PRODUCT_PRICE_CENTS_SALE_PRICE, ...)"

    def __init__(
        self, fees: Mapping[str, Mapping[str, Any]] | None = None, *, today: date | None = None
    ) -> None:
        self.fees = fees
        self.today = today or datetime.now(UTC).date()
        self._terms: dict[tuple[str, date], FeeTerms] = {}

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
            order = cells.identifier("ORDER_NUMBER", required=True)
            if order is not None and order in seen:
                cells.reject("ORDER_NUMBER", order, f"duplicate order (first on line {seen[order]})")
            elif order is not None:
                seen[order] = cells.line
            price = cells.money(PRICE, required=True)
            sold_at = cells.when("PURCHASED_DATE", DAY_FIRST, EXAMPLE)
            cells.plausible("PURCHASED_DATE", sold_at.date() if sold_at else None, self.today)
            credited = cells.when("CREDIT_DATE", DAY_FIRST, EXAMPLE, required=False)
            name = cells.text("NAME", required=True)
            if cells.errors or order is None or price is None or sold_at is None:
                yield from cells.errors
                continue
            currency = price[1] or "USD"
            try:
                fees, payout = self.estimate(price[0], currency, sold_at.date())
            except ConfigError as exc:
                if currency == "USD":  # the settings themselves are wrong: the whole file waits for them
                    raise
                reason = f"in {currency}, but Alias reports are in US dollars ({exc.message})"
                cells.reject(PRICE, cells.raw(PRICE), reason)
                yield from cells.errors
                continue
            yield SaleRecord(
                line=cells.line,
                platform="alias",
                external_id=order,
                sold_at=sold_at,
                sale_price=price[0],
                currency=currency,
                item_name=name,
                sku=normalise_sku(cells.text("SKU")),
                size=cells.text("SIZE"),
                fees=fees,
                payout=payout,
                payout_date=credited,
            )

    def estimate(
        self, price: Decimal, currency: str, day: date
    ) -> tuple[tuple[FeeLine, ...], Decimal | None]:
        """The schedule's fee lines (marked estimated) and payout at `price`; none for a free pair.

        Raises ConfigError when the `[fees.alias]` settings cannot price `currency` (see fees.fee_terms).
        """
        if price <= 0:
            return (), None
        key = (currency, day)
        if key not in self._terms:
            self._terms[key] = fee_terms(self.name, currency, self.fees, on=day)
        breakdown = apply_terms(self.name, self._terms[key], price)
        lines = tuple(FeeLine(f.name + ESTIMATED, FEE_KINDS[f.name], f.amount) for f in breakdown.fees)
        return lines, breakdown.payout
