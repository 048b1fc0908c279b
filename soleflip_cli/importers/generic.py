"""Any other CSV through a named mapping in config.toml (`[import.mappings.NAME]`), hledger-style."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.errors import ConfigError
from soleflip_cli.importers.base import (
    FeeLine,
    Occurrences,
    Record,
    RowError,
    Rows,
    SaleRecord,
    Target,
    digest,
)
from soleflip_cli.importers.fields import Cells, Columns, data_rows, repeated_columns, spelled
from soleflip_cli.importers.purchases import REQUIRED as PURCHASE_REQUIRED
from soleflip_cli.importers.purchases import PurchasesImporter
from soleflip_cli.tables import NON_SALE_STATUSES

if TYPE_CHECKING:
    from soleflip_cli.config import MappingSettings

SALE_FIELDS = (
    "external_id",
    "sold_at",
    "sale_price",
    "currency",
    "sku",
    "size",
    "item_name",
    "quantity",
    "fees_total",
    "payout",
    "payout_date",
    "status",
    "buyer_country",
)
SALE_REQUIRED = ("sold_at", "sale_price")
PURCHASE_FIELDS = (
    "sku",
    "size",
    "name",
    "cost",
    "currency",
    "purchase_date",
    "supplier",
    "location",
    "condition",
    "box_condition",
    "quantity",
    "notes",
)
FEES = "Fees"
ADJUSTMENT = "Unlisted fees (price - payout)"
# Status words of shops' exports (Shopify's financial and fulfilment statuses among them), as stored.
SOLD = (
    "completed complete sold paid partially_paid partially_refunded pending authorized shipped delivered "
    "fulfilled unfulfilled partial"
).split()
NOT_SOLD = {"voided": "cancelled", "expired": "cancelled", "restocked": "returned"}
# Fields of a whole order, which a multi-row order may give on its first row only (see _OrderLines).
PLATFORM_LENGTH = 30  # sales.platform's width
ORDER_FIELDS = frozenset({"sold_at", "currency", "status", "buyer_country", "payout_date"})


class GenericImporter:
    """Columns named by the mapping; the mapping's date format and decimal separator, never guessed."""

    def __init__(
        self, name: str, mapping: MappingSettings, *, base_currency: str, today: date | None
    ) -> None:
        self.name = f"generic:{name}"
        self.platform = (mapping.platform or name).casefold()  # two shops' order 1001 are two sales
        self.named_platform = mapping.target == "sales" and mapping.platform is None
        self.section = f"[import.mappings.{name}]"
        self.statuses = {"_".join(k.casefold().split()): v for k, v in mapping.statuses.items()}
        self.today = today or datetime.now(UTC).date()
        self.mapping = mapping
        self.target: Target = mapping.target
        self.description = f"your mapping [import.mappings.{name}] ({mapping.target})"
        self.default_currency = mapping.currency or base_currency
        self.currency_source = (
            "the mapping's currency"
            if mapping.currency
            else "the base currency: map a currency column or set the mapping's currency"
        )
        self.decimal_comma = mapping.decimal_separator == ","
        self.example = datetime(2024, 3, 15, 14, 30, tzinfo=UTC).strftime(mapping.date_format)
        fields, required = (
            (SALE_FIELDS, SALE_REQUIRED) if self.target == "sales" else (PURCHASE_FIELDS, PURCHASE_REQUIRED)
        )
        where = f"[import.mappings.{name}] columns"
        if unknown := sorted(set(mapping.columns) - set(fields)):
            raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(fields)}")
        if missing := [f for f in required if f not in mapping.columns]:
            raise ConfigError(f"{where}: map a column to {', '.join(missing)} (needed for {mapping.target})")
        if self.target == "sales" and len(self.platform) > PLATFORM_LENGTH:
            said = "its platform" if mapping.platform else "its platform (by default the mapping's name)"
            raise ConfigError(
                f"[import.mappings.{name}]: {said} is longer than {PLATFORM_LENGTH} characters; "
                "set a shorter platform"
            )
        if self.target == "sales" and not {"sku", "item_name"} & set(mapping.columns):
            raise ConfigError(f"{where}: map a column to sku or item_name")
        if self.target == "purchases" and (mapping.price_per != "pair" or mapping.order_lines):
            raise ConfigError(
                f"[import.mappings.{name}]: price_per and order_lines are for sales (a cost is one pair's)"
            )
        if mapping.order_lines and "external_id" not in mapping.columns:
            raise ConfigError(f"{where}: order_lines needs a column mapped to external_id (the order)")
        self._purchases = PurchasesImporter(
            default_currency=self.default_currency,
            currency_source=self.currency_source,
            today=self.today,
            columns={field: (column,) for field, column in mapping.columns.items()},
            date_format=mapping.date_format,
            decimal_comma=self.decimal_comma,
            name=self.name,
        )

    def detect(self, header: Sequence[str]) -> bool:
        """True when the header has every column the mapping names."""
        return Columns(header).has_all(list(self.mapping.columns.values()))

    def columns_in(self, header: Sequence[str]) -> int:
        """How many of the columns the mapping names the header has."""
        columns = Columns(header)
        return sum(1 for column in self.mapping.columns.values() if column in columns)

    def column_for(self, field: str, header: Sequence[str]) -> str | None:
        """The file's own name of the column a record field is read from (None when it is not mapped)."""
        if self.target == "purchases":
            return self._purchases.column_for(field, header)
        column = self.mapping.columns.get("fees_total" if field == "fees" else field)
        return spelled(header, (column,)) if column else None

    def parse(self, rows: Rows) -> Iterator[Record | RowError]:
        """Every column the mapping names must be there; purchases then go through the purchases importer."""
        columns = Columns(rows.header)
        mapped = self.mapping.columns
        if missing := [c for c in mapped.values() if c not in columns]:
            why = "a column the mapping names is missing"
            yield from (RowError(rows.header_line, c, "", why) for c in dict.fromkeys(missing))
            return
        if repeated := repeated_columns(rows, columns, list(mapped.values())):
            yield from repeated
            return
        if self.target == "purchases":
            yield from self._purchases.parse(rows)
            return
        occurrences = Occurrences()
        seen: dict[str, int] = {}
        lines = _OrderLines(columns, mapped) if self.mapping.order_lines else None
        for item in data_rows(rows, len(rows.header)):
            if isinstance(item, RowError):
                yield item
                continue
            cells = Cells(item[0], item[1], columns)
            number = lines.follow(cells.cells) if lines else 1
            record = self._sale(cells, occurrences, seen, number)
            if cells.errors:
                yield from cells.errors
            elif record is not None:
                yield record

    def _sale(
        self, cells: Cells, occurrences: Occurrences, seen: dict[str, int], number: int = 1
    ) -> SaleRecord | None:
        """The row's sale; `number` > 1 for a further line of an order (see _OrderLines)."""
        col = self.mapping.columns.get

        def text(field: str) -> str | None:
            column = col(field)
            return cells.text(column) if column else None

        def money(field: str, *, required: bool = False) -> tuple[Decimal, str] | None:
            column = col(field)
            if column is None:
                return None
            return cells.money(
                column, required=required, negative=field != "sale_price", decimal_comma=self.decimal_comma
            )

        sold_at = cells.when(self.mapping.columns["sold_at"], self.mapping.date_format, self.example)
        cells.plausible(self.mapping.columns["sold_at"], sold_at.date() if sold_at else None, self.today)
        price = money("sale_price", required=True)
        fees, payout = money("fees_total"), money("payout")
        payout_column = col("payout_date")
        paid = (
            cells.when(payout_column, self.mapping.date_format, self.example, required=False)
            if payout_column
            else None
        )
        currency_column = col("currency")
        currency = (cells.currency(currency_column, "") if currency_column else "") or (
            price[1] if price else ""
        )
        money_columns = [c for field in ("sale_price", "fees_total", "payout") if (c := col(field))]
        cells.agree(
            currency or self.default_currency, money_columns, "" if currency else self.currency_source
        )
        quantity_column = col("quantity")
        quantity = cells.count(quantity_column, decimal_comma=self.decimal_comma) if quantity_column else 1
        sku, name = normalise_sku(text("sku")), text("item_name")
        if sku is None and name is None:
            cells.reject(col("sku") or col("item_name"), "", "a SKU or a product name is required")
        external = cells.identifier(external_column) if (external_column := col("external_id")) else None
        if external is not None and number > 1:
            external = f"{external}/{number}"  # its order's line `number`: no duplicate
        elif external is not None:
            if external in seen:
                cells.reject(
                    col("external_id"), external, f"duplicate order (first on line {seen[external]})"
                )
            seen.setdefault(external, cells.line)
        if cells.errors or sold_at is None or price is None:
            return None
        if external is None:
            size = text("size")
            external = "row:" + occurrences.key(digest(sold_at.isoformat(), sku, size, name))
        line = price[0] * quantity if self.mapping.price_per == "pair" else price[0]  # the line's price
        return SaleRecord(
            line=cells.line,
            platform=self.platform,
            external_id=external,
            sold_at=sold_at,
            sale_price=line,
            currency=currency or self.default_currency,
            item_name=name,
            sku=sku,
            size=text("size"),
            quantity=quantity,
            fees=_fee_lines(line, fees[0] if fees else None, payout[0] if payout else None),
            payout=payout[0] if payout else (line - fees[0] if fees else None),
            payout_date=paid,
            buyer_country=text("buyer_country"),
            status=self._status(cells),
        )

    def _status(self, cells: Cells) -> str:
        """The row's status: a known word, or one the mapping's `statuses` translates; else rejected.

        A payment voided before capture or expired (Shopify) is a cancelled sale; `completed` when
        no status column is mapped or the cell is empty.
        """
        column = self.mapping.columns.get("status")
        value = cells.text(column) if column else None
        if value is None:
            return "completed"
        word = "_".join(value.casefold().split())
        if (status := self.statuses.get(word)) is not None:
            return status
        if word in SOLD or word in NON_SALE_STATUSES:
            return word
        if word in NOT_SOLD:
            return NOT_SOLD[word]
        known = ", ".join([*SOLD, *NON_SALE_STATUSES, *NOT_SOLD])
        cells.reject(
            column or "", value, f"unknown status (known: {known}; or map it in {self.section} statuses)"
        )
        return "completed"


class _OrderLines:
    """Orders of several rows, one per line item, that give order-level cells only on their first row.

    A row repeating the previous row's external_id is its order's next line: blank cells of the
    order-level fields are taken from the order's first row.
    """

    def __init__(self, columns: Columns, mapped: dict[str, str]) -> None:
        positions = {field: columns.index(column) for field, column in mapped.items()}
        self.order = positions["external_id"]
        self.carried = [p for f, p in positions.items() if f in ORDER_FIELDS and p is not None]
        self.first: list[str] = []
        self.number = 0

    def follow(self, cells: list[str]) -> int:
        """The row's line number in its order (1 for a new order), its blank order-level cells filled."""
        assert self.order is not None
        if self.first and cells[self.order] and cells[self.order] == self.first[self.order]:
            self.number += 1
            for position in self.carried:
                cells[position] = cells[position] or self.first[position]
        else:
            self.first, self.number = cells, 1
        return self.number


def _fee_lines(price: Decimal, fees: Decimal | None, payout: Decimal | None) -> tuple[FeeLine, ...]:
    """Fee lines that explain price - payout (the payout, when given, is the truth)."""
    lines = [FeeLine(FEES, "other", fees)] if fees is not None else []  # an explicit 0 is known: no fees
    if payout is not None:
        gap = price - payout - (fees or 0)
        if gap:
            lines.append(FeeLine(ADJUSTMENT if fees is not None else FEES, "other", gap))
    return tuple(lines)
