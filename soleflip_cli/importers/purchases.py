"""The user's own buys (documented columns, any case): one row = `quantity` identical pairs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime

from soleflip_cli.catalog import SizeError, normalise_sku, parse_size
from soleflip_cli.importers.base import Occurrences, PurchaseRecord, Record, RowError, Rows, Target, digest
from soleflip_cli.importers.fields import Cells, Columns, data_rows, header_key, repeated_columns, spelled

# Field -> the header names it may have (compared case-insensitively, `_` = space).
COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "style", "style code"),
    "size": ("size",),
    "cost": ("cost", "purchase price", "price paid"),
    "currency": ("currency",),
    "purchase_date": ("purchase date", "date", "bought on"),
    "supplier": ("supplier", "store", "retailer"),
    "location": ("location",),
    "condition": ("condition",),
    "box_condition": ("box", "box condition"),
    "quantity": ("quantity", "qty"),
    "name": ("name", "product name", "product"),
    "notes": ("notes", "note"),
}
REQUIRED = ("sku", "size", "cost", "purchase_date")
CONDITIONS = {
    "new": "new",
    "ds": "new",
    "new-defects": "new-defects",
    "new defects": "new-defects",
    "new with defects": "new-defects",
    "defects": "new-defects",
    "used": "used",
    "pre-owned": "used",
    "vnds": "used",
}
BOXES = {"good": "good", "damaged": "damaged", "missing": "missing", "no box": "missing"}


class PurchasesImporter:
    """Purchases CSV -> inventory pairs; also the engine of generic mappings with target purchases."""

    target: Target = "purchases"
    description = "your purchases: sku, size, cost, currency, purchase date, supplier, location, ..."

    def __init__(
        self,
        *,
        default_currency: str = "USD",
        currency_source: str = "the base currency: add a currency column for another one",
        today: date | None = None,
        columns: Mapping[str, Sequence[str]] | None = None,
        date_format: str = "%Y-%m-%d",
        decimal_comma: bool | None = None,
        name: str = "purchases",
    ) -> None:
        self.name = name  # rows are keyed under it: a mapping's rows are that mapping's
        self.default = default_currency, currency_source  # a row's currency without one of its own
        self.today = today or datetime.now(UTC).date()
        self.columns = {k: tuple(v) for k, v in (columns or COLUMNS).items()}
        self.date_format = date_format
        self.example = date(2024, 3, 15).strftime(date_format)
        self.decimal_comma = decimal_comma

    def detect(self, header: Sequence[str]) -> bool:
        """A header with a column for each required field."""
        columns = Columns(header)
        return all(columns.first(*self.columns.get(f, ())) for f in REQUIRED)

    def column_for(self, field: str, header: Sequence[str]) -> str | None:
        """The file's own name of the column a record field is read from (None for the row key)."""
        return spelled(header, self.columns.get(field, ()))

    def near_miss(self, header: Sequence[str]) -> str | None:
        """For a header with half the required columns but not all: what it lacks, else None."""
        columns = Columns(header)
        missing = [f for f in REQUIRED if not columns.first(*self.columns.get(f, ()))]
        if not missing or len(missing) > len(REQUIRED) // 2:
            return None
        wanted = "; ".join(f"{f} (named {' or '.join(repr(n) for n in self.columns[f])})" for f in missing)
        return f"a purchases file needs a column for {wanted}"

    def unread(self, header: Sequence[str]) -> list[str]:
        """The header's columns no field is read from (a misspelt optional column is no error)."""
        known = {header_key(name) for names in self.columns.values() for name in names}
        return [name for name in header if name.strip() and header_key(name) not in known]

    def parse(self, rows: Rows) -> Iterator[Record | RowError]:
        """One PurchaseRecord per row, keyed by (sku, size, date, supplier) plus its occurrence."""
        columns = Columns(rows.header)
        found = {f: columns.first(*names) for f, names in self.columns.items()}
        missing = [f for f in REQUIRED if found.get(f) is None]
        if missing:
            for field in missing:
                wanted = " or ".join(self.columns.get(field, (field,)))
                yield RowError(rows.header_line, wanted, "", "required column is missing")
            return
        if repeated := repeated_columns(rows, columns, [c for c in found.values() if c]):
            yield from repeated
            return
        occurrences = Occurrences()
        for item in data_rows(rows, len(rows.header)):
            if isinstance(item, RowError):
                yield item
                continue
            cells = Cells(item[0], item[1], columns)
            record = self._purchase(cells, found, occurrences)
            if cells.errors:
                yield from cells.errors
            elif record is not None:
                yield record

    def _purchase(
        self, cells: Cells, found: Mapping[str, str | None], occurrences: Occurrences
    ) -> PurchaseRecord | None:
        def col(field: str) -> str:  # a required field's column (parse checked it is there)
            return found.get(field) or field

        def text(field: str) -> str | None:  # an optional field: None when no column is read for it
            column = found.get(field)
            return cells.text(column) if column else None

        sku = normalise_sku(cells.text(col("sku"), required=True))
        size = _size(cells, col("size"))
        cost = cells.money(col("cost"), required=True, decimal_comma=self.decimal_comma)
        if cost is not None and cost[0] == 0:
            cells.reject(col("cost"), cells.raw(col("cost")), "must be more than zero")
        currency, source = _currency(cells, found.get("currency"), cost[1] if cost else "", *self.default)
        cells.agree(currency, [col("cost")], source)
        stamp = cells.stamp(col("purchase_date"), self.date_format, self.example, required=True)
        bought = stamp.date() if stamp else None  # the day written, whatever its offset
        cells.plausible(col("purchase_date"), bought, self.today)
        condition = _choice(cells, found.get("condition"), CONDITIONS, "new")
        box = _choice(cells, found.get("box_condition"), BOXES, "good")
        quantity_column = found.get("quantity")
        quantity = cells.count(quantity_column, decimal_comma=self.decimal_comma) if quantity_column else 1
        if cells.errors or sku is None or size is None or cost is None or bought is None:
            return None
        supplier = text("supplier")
        # Keyed by the day in UTC, as rows with an offset always were: a re-import finds them.
        keyed = stamp.astimezone(UTC).date() if stamp and stamp.tzinfo else bought
        identity = digest(sku, size, keyed.isoformat(), (supplier or "").casefold())
        return PurchaseRecord(
            line=cells.line,
            key=f"{self.name}:{occurrences.key(identity)}",
            sku=sku,
            size=size,
            cost=cost[0],
            currency=currency,
            purchase_date=bought,
            name=text("name"),
            supplier=supplier,
            location=text("location"),
            condition=condition,
            box_condition=box,
            quantity=quantity,
            notes=text("notes"),
        )


def _size(cells: Cells, column: str) -> str | None:
    raw = cells.text(column, required=True)
    if raw is None:
        return None
    try:
        return parse_size(raw).raw
    except SizeError as exc:
        cells.reject(column, raw, str(exc).replace(f" {raw!r}", ""))
        return None


def _currency(cells: Cells, column: str | None, cost: str, default: str, source: str) -> tuple[str, str]:
    """The row's currency (its currency column, else the cost's own code, else `default`) and, for
    the default, where it comes from."""
    if column is not None and cells.text(column):
        return cells.currency(column) or default, ""
    if cost:
        return cost, ""
    return default, source


def _choice(cells: Cells, column: str | None, choices: Mapping[str, str], default: str) -> str:
    if column is None:
        return default
    value = cells.text(column)
    if value is None:
        return default
    chosen = choices.get(header_key(value))
    if chosen is None:
        allowed = ", ".join(sorted(set(choices.values())))
        cells.reject(column, value, f"unknown value (expected one of {allowed})")
        return default
    return chosen
