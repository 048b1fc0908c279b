"""Generic CSVs through `[import.mappings.NAME]`: the mapping's columns, date format and separator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from soleflip_cli.config import MappingSettings
from soleflip_cli.errors import ConfigError, UsageError
from soleflip_cli.importers import ImportOptions
from soleflip_cli.importers.base import FeeLine, PurchaseRecord, SaleRecord
from soleflip_cli.importers.generic import GenericImporter
from soleflip_cli.services.sale_units import units
from tests.importers.conftest import FIXTURES, parse_path

SHOP = MappingSettings(
    target="sales",
    platform="Shopify",
    date_format="%Y-%m-%d %H:%M:%S %z",
    columns={
        "external_id": "Name",
        "sold_at": "Created at",
        "sku": "Lineitem sku",
        "item_name": "Lineitem name",
        "size": "Size",
        "sale_price": "Lineitem price",
        "fees_total": "Fees",
        "payout": "Payout",
        "currency": "Currency",
    },
)
GERMAN = MappingSettings(
    target="purchases",
    date_format="%d.%m.%Y",
    decimal_separator=",",
    delimiter=";",
    currency="EUR",
    skip_lines=1,
    columns={
        "sku": "Artikelnummer",
        "size": "Größe",
        "cost": "Preis",
        "purchase_date": "Datum",
        "supplier": "Händler",
    },
)
OPTIONS = ImportOptions(today=date(2027, 1, 1), mappings={"shop": SHOP, "de": GERMAN})


def test_sales_mapping_is_auto_detected() -> None:
    fmt, records, errors = parse_path(FIXTURES / "generic-sales.csv", options=OPTIONS)
    assert (fmt, errors) == ("generic:shop", [])
    sales = [r for r in records if isinstance(r, SaleRecord)]
    first = sales[0]
    assert (first.platform, first.external_id, first.sku, first.size) == (
        "shopify",
        "#1001",
        "DD1391-100",
        "10",
    )
    assert first.sold_at == datetime(2026, 5, 14, 10, 23, 45, tzinfo=UTC)
    assert (first.sale_price, first.payout, first.fees) == (
        Decimal("135.00"),
        Decimal("126.90"),
        (FeeLine("Fees", "other", Decimal("8.10")),),
    )
    assert (sales[1].fees, sales[1].payout) == ((), None)
    assert (sales[2].sku, sales[2].item_name, sales[2].fees) == (
        None,
        "Used laces",
        (FeeLine("Fees", "other", Decimal("0.50")),),
    )


def test_purchases_mapping_decimal_comma_cp1252_preamble() -> None:
    fmt, records, errors = parse_path(FIXTURES / "generic-purchases-de.csv", "generic", OPTIONS, "de")
    assert (fmt, errors) == ("generic:de", [])
    rows = [r for r in records if isinstance(r, PurchaseRecord)]
    assert [(r.line, r.sku, r.size, r.cost, r.currency, r.purchase_date, r.supplier) for r in rows] == [
        (3, "DD1391-100", "10", Decimal("119.99"), "EUR", date(2024, 3, 1), "Snipes"),
        (4, "DH6927-111", "10.5", Decimal("1209.00"), "EUR", date(2024, 3, 2), "Snipes"),
    ]


def test_mapping_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"unknown field\(s\) price"):
        GenericImporter("x", MappingSettings(columns={"price": "P"}), base_currency="USD", today=None)
    with pytest.raises(ConfigError, match="map a column to sold_at, sale_price"):
        GenericImporter("x", MappingSettings(columns={"sku": "S"}), base_currency="USD", today=None)


def test_mapping_name_is_checked(write: Callable[..., Path]) -> None:
    with pytest.raises(UsageError, match=r"no mapping named 'nope' \(de, shop\)"):
        from soleflip_cli.importers import choose, reading

        choose(reading.prepare(FIXTURES / "generic-sales.csv", "x"), "generic", "nope", OPTIONS)


def test_bad_rows_follow_the_mapping(write: Callable[..., Path]) -> None:
    text = (FIXTURES / "generic-sales.csv").read_text().replace("2026-05-15 09:00:00 +0100", "15/05/2026")
    text = text.replace("#1003", "#1001")
    _, _, errors = parse_path(write(text), options=OPTIONS)
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (3, "Created at", "not a date like 2024-03-15 14:30:00 +0000"),
        (4, "Name", "duplicate order (first on line 2)"),
    ]


def test_an_explicit_zero_fee_is_known(write: Callable[..., Path]) -> None:
    """`Fees` 0 (an in-person sale) is no fee, not 'no fee data'."""
    log = MappingSettings(
        target="sales",
        platform="cash",
        columns={"sold_at": "Date", "sku": "SKU", "sale_price": "Price", "fees_total": "Fees"},
    )
    text = "Date,SKU,Price,Fees\n2024-05-01,DD1391-100,150,0\n2024-05-02,DD1391-100,150,\n"
    options = ImportOptions(today=date(2025, 1, 1), mappings={"log": log})
    _, records, errors = parse_path(write(text), fmt="generic", options=options, mapping="log")
    sales = [r for r in records if isinstance(r, SaleRecord)]
    assert errors == [] and [(s.fees_total, s.payout) for s in sales] == [
        (Decimal("0.00"), Decimal("150.00")),
        (None, None),  # an empty cell: unknown
    ]


@pytest.mark.parametrize(("price_per", "each"), [("pair", "625.00"), ("line", "312.50")])
def test_a_price_column_is_one_pairs_unless_the_mapping_says_line(
    write: Callable[..., Path], price_per: str, each: str
) -> None:
    """Shopify's Lineitem price is the unit price: 2 x 625.00 is a line of 1250.00, two sales of 625.00."""
    shop = SHOP.model_copy(update={"columns": {**SHOP.columns, "quantity": "Lineitem quantity"}})
    shop = shop.model_copy(update={"price_per": price_per})
    text = (
        "Name,Created at,Lineitem sku,Lineitem name,Size,Lineitem price,Lineitem quantity,"
        "Fees,Payout,Currency\n"
        "#1002,2024-05-15 00:30:00 +0200,HQ6316,Yeezy 350 Bone,10,625.00,2,20.00,1230.00,EUR\n"
    )
    options = ImportOptions(today=date(2025, 1, 1), mappings={"shop": shop})
    _, records, errors = parse_path(write(text), fmt="generic", options=options, mapping="shop")
    [sale] = [r for r in records if isinstance(r, SaleRecord)]
    assert errors == [] and sale.quantity == 2 and sale.payout == Decimal("1230.00")
    assert [u.sale_price for u, _ in units(sale)] == [Decimal(each)] * 2
    # Fees and payout are the line's: what price - payout leaves unexplained is an adjustment line.
    assert [(f.name, f.amount) for f in sale.fees] == (
        [("Fees", Decimal("20.00"))]
        if price_per == "pair"
        else [("Fees", Decimal("20.00")), ("Unlisted fees (price - payout)", Decimal("-625.00"))]
    )


QTY_LOG = MappingSettings(
    target="sales",
    columns={"sold_at": "Date", "sku": "SKU", "sale_price": "Price", "quantity": "Qty", "fees_total": "Fees"},
)


def _line_sale(write: Callable[..., Path], fees: str) -> SaleRecord:
    """A cash-log line of 3 pairs at 100 with the line's `fees`."""
    text = f"Date,SKU,Price,Qty,Fees\n2024-05-01,DD1391-100,100,3,{fees}\n"
    options = ImportOptions(today=date(2025, 1, 1), mappings={"log": QTY_LOG})
    _, records, errors = parse_path(write(text), fmt="generic", options=options, mapping="log")
    [sale] = [r for r in records if isinstance(r, SaleRecord)]
    assert errors == []
    return sale


def test_fees_of_a_line_of_several_pairs_give_its_payout(write: Callable[..., Path]) -> None:
    """Price 100 a pair, 3 pairs, fees 30 for the line: payout 270, not 100 - 30."""
    sale = _line_sale(write, "30")
    assert (sale.sale_price, sale.fees_total, sale.payout) == (
        Decimal("300.00"),
        Decimal("30.00"),
        Decimal("270.00"),
    )
    assert [(u.sale_price, u.payout) for u, _ in units(sale)] == [(Decimal("100.00"), Decimal("90.00"))] * 3


SHOPIFY_ORDERS = (
    "Name,Currency,Subtotal,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku\n"
    "#1001,EUR,389.90,389.90,2026-05-14 11:23:45 +0100,1,Nike Dunk Low Panda,189.95,DD1391-100\n"
    "#1001,,,,,1,Jordan 1 High Chicago,199.95,DZ5485-612\n"
    "#1002,EUR,1250.00,1250.00,2026-05-15 00:30:00 +0200,2,Yeezy 350 Bone,625.00,HQ6316\n"
)
ORDER_LINES = MappingSettings(
    target="sales",
    platform="shopify",
    date_format="%Y-%m-%d %H:%M:%S %z",
    order_lines=True,
    columns={
        "external_id": "Name",
        "sold_at": "Created at",
        "currency": "Currency",
        "sku": "Lineitem sku",
        "item_name": "Lineitem name",
        "sale_price": "Lineitem price",
        "quantity": "Lineitem quantity",
    },
)


def test_an_order_of_several_rows_is_one_sale_per_line(write: Callable[..., Path]) -> None:
    """FORMATS §5: continuation rows leave order-level cells blank; they come from the order's first row."""
    options = ImportOptions(today=date(2027, 1, 1), mappings={"shop": ORDER_LINES})
    _, records, errors = parse_path(write(SHOPIFY_ORDERS), fmt="generic", options=options, mapping="shop")
    sales = [r for r in records if isinstance(r, SaleRecord)]
    assert errors == []
    assert [(s.external_id, s.sku, s.sale_price, s.quantity, s.currency, s.sold_at) for s in sales] == [
        ("#1001", "DD1391-100", Decimal("189.95"), 1, "EUR", datetime(2026, 5, 14, 10, 23, 45, tzinfo=UTC)),
        ("#1001/2", "DZ5485-612", Decimal("199.95"), 1, "EUR", datetime(2026, 5, 14, 10, 23, 45, tzinfo=UTC)),
        ("#1002", "HQ6316", Decimal("1250.00"), 2, "EUR", datetime(2026, 5, 14, 22, 30, tzinfo=UTC)),
    ]


def test_without_order_lines_a_repeated_order_is_refused(write: Callable[..., Path]) -> None:
    single = ORDER_LINES.model_copy(update={"order_lines": False})
    options = ImportOptions(today=date(2027, 1, 1), mappings={"shop": single})
    _, _, errors = parse_path(write(SHOPIFY_ORDERS), fmt="generic", options=options, mapping="shop")
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (3, "Created at", "a date is required (like 2024-03-15 14:30:00 +0000)"),
        (3, "Name", "duplicate order (first on line 2)"),
    ]


def test_order_lines_need_an_order_column() -> None:
    columns = {k: v for k, v in ORDER_LINES.columns.items() if k != "external_id"}
    with pytest.raises(ConfigError, match="order_lines needs a column mapped to external_id"):
        GenericImporter(
            "shop", ORDER_LINES.model_copy(update={"columns": columns}), base_currency="USD", today=None
        )


def test_a_voided_payment_is_a_cancelled_sale(write: Callable[..., Path]) -> None:
    log = MappingSettings(
        target="sales", columns={"sold_at": "Date", "sku": "SKU", "sale_price": "Price", "status": "Status"}
    )
    text = "Date,SKU,Price,Status\n2024-05-01,DD1391-100,150,paid\n2024-05-02,DD1391-100,150,Voided\n"
    options = ImportOptions(today=date(2025, 1, 1), mappings={"log": log})
    _, records, errors = parse_path(write(text), fmt="generic", options=options, mapping="log")
    assert errors == [] and [r.status for r in records if isinstance(r, SaleRecord)] == ["paid", "cancelled"]


@pytest.mark.parametrize("setting", [{"price_per": "line"}, {"order_lines": True}])
def test_sales_only_settings_on_a_purchases_mapping_are_refused(setting: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="price_per and order_lines are for sales"):
        GenericImporter("de", GERMAN.model_copy(update=setting), base_currency="EUR", today=None)


def test_each_pair_of_a_line_keeps_price_less_fees_equal_to_its_payout(write: Callable[..., Path]) -> None:
    """3 x 100 with fees 10: fee shares 3.34/3.33/3.33 and payouts 96.66/96.67/96.67, no stray cent."""
    sale = _line_sale(write, "10")
    pairs = [u for u, _ in units(sale)]
    assert [(p.sale_price, p.fees_total, p.payout) for p in pairs] == [
        (Decimal("100.00"), Decimal("3.34"), Decimal("96.66")),
        (Decimal("100.00"), Decimal("3.33"), Decimal("96.67")),
        (Decimal("100.00"), Decimal("3.33"), Decimal("96.67")),
    ]
    assert sum((p.payout or Decimal(0) for p in pairs), Decimal(0)) == sale.payout == Decimal("290.00")


BUYS = MappingSettings(
    target="purchases",
    columns={"sku": "Style", "size": "Size", "cost": "Paid", "purchase_date": "Date", "quantity": "Pairs"},
)


def test_a_purchases_mapping_needs_every_column_it_names(write: Callable[..., Path]) -> None:
    """A mapped quantity column the file lacks is an error, not one pair per row."""
    path = write("Style,Size,Paid,Date,Qty\nDM7866-200,10,100.00,2024-01-01,3\n")
    _, records, errors = parse_path(path, "generic", ImportOptions(mappings={"buys": BUYS}), "buys")
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (1, "Pairs", "a column the mapping names is missing")
    ]
    assert records == []


def test_a_semicolon_file_names_only_the_columns_really_missing(write: Callable[..., Path]) -> None:
    """Without the mapping's delimiter, the errors read the header as `;` splits it, the likelier."""
    path = write("Style;Size;Paid;Date;Qty\nDM7866-200;10;100.00;2024-01-01;3\n")
    _, _, errors = parse_path(path, "generic", ImportOptions(mappings={"buys": BUYS}), "buys")
    assert [e.column for e in errors] == ["Pairs"]


def test_a_purchases_mapping_reads_only_the_columns_it_names(write: Callable[..., Path]) -> None:
    """Columns called Quantity, Supplier, Location or Notes are not read unless mapped."""
    mapping = BUYS.model_copy(update={"columns": {k: v for k, v in BUYS.columns.items() if k != "quantity"}})
    path = write(
        "Style,Size,Paid,Date,Quantity,Supplier,Location,Notes,Condition,Name\n"
        "DM7866-200,10,100.00,2024-01-01,3,Nike,Shelf,hello,used,Travis\n"
    )
    _, records, errors = parse_path(path, "generic", ImportOptions(mappings={"buys": mapping}), "buys")
    assert errors == []
    [record] = records
    assert isinstance(record, PurchaseRecord)
    read = (record.quantity, record.supplier, record.location, record.notes, record.condition, record.name)
    assert read == (1, None, None, None, "new", None)


@pytest.mark.parametrize(("cell", "quantity"), [("2,0", 2), ("2", 2), ("1.000", 1000), ("1,5", None)])
def test_a_quantity_follows_the_mappings_decimal_comma(
    write: Callable[..., Path], cell: str, quantity: int | None
) -> None:
    """`2,0` is two pairs (not 20), `1,5` is no whole number; `1.000` with a decimal comma is 1000 pairs."""
    mapping = BUYS.model_copy(update={"decimal_separator": ",", "delimiter": ";"})
    path = write(f"Style;Size;Paid;Date;Pairs\nDM7866-200;10,5;100,00;2024-01-01;{cell}\n")
    _, records, errors = parse_path(path, "generic", ImportOptions(mappings={"buys": mapping}), "buys")
    assert [(e.column, e.reason) for e in errors] == ([] if quantity else [("Pairs", "not a whole number")])
    assert [(r.quantity, r.size) for r in records if isinstance(r, PurchaseRecord)] == (
        [(quantity, "10,5")] if quantity else []
    )


def test_a_purchase_day_is_the_day_written_whatever_its_offset(write: Callable[..., Path]) -> None:
    """An evening purchase in New York stays on its day; its row key is still the UTC day's, as before."""
    mapping = BUYS.model_copy(update={"date_format": "%Y-%m-%dT%H:%M:%S%z"})
    options = ImportOptions(mappings={"buys": mapping})
    found = []
    for stamp in ("2024-12-31T20:30:00-05:00", "2025-01-01T01:30:00+00:00"):
        path = write(f"Style,Size,Paid,Date,Pairs\nDM7866-200,10,100.00,{stamp},1\n")
        _, records, errors = parse_path(path, "generic", options, "buys")
        assert errors == []
        found += [(r.purchase_date, r.key) for r in records if isinstance(r, PurchaseRecord)]
    (new_york, new_york_key), (utc, utc_key) = found
    assert (new_york, utc) == (date(2024, 12, 31), date(2025, 1, 1))
    assert new_york_key == utc_key  # the same UTC day: a re-import of a file read before finds the row


STATUS_LOG = MappingSettings(
    target="sales", columns={"sold_at": "Date", "sku": "SKU", "sale_price": "Price", "status": "Status"}
)


def test_an_unknown_status_is_a_row_error_not_a_sale(write: Callable[..., Path]) -> None:
    """`Storniert` (German: cancelled) counted as revenue before; now it must be known or mapped."""
    text = "Date,SKU,Price,Status\n2024-05-01,DD1391-100,150,Storniert\n"
    text += "2024-05-02,DD1391-100,150,Partially refunded\n"
    options = ImportOptions(today=date(2025, 1, 1), mappings={"log": STATUS_LOG})
    _, records, errors = parse_path(write(text), fmt="generic", options=options, mapping="log")
    [error] = errors
    assert (error.line, error.column, error.value) == (2, "Status", "Storniert")
    assert error.reason.startswith("unknown status (known: completed, complete, sold, paid,")
    assert error.reason.endswith("or map it in [import.mappings.log] statuses)")
    assert [r.status for r in records if isinstance(r, SaleRecord)] == ["partially_refunded"]


def test_a_mappings_statuses_translate_the_files_words(write: Callable[..., Path]) -> None:
    mapping = STATUS_LOG.model_copy(
        update={"statuses": {"Storniert": "cancelled", "ABGESCHLOSSEN": "completed"}}
    )
    text = "Date,SKU,Price,Status\n2024-05-01,DD1391-100,150,storniert\n"
    text += "2024-05-02,DD1391-100,150,Abgeschlossen\n"
    options = ImportOptions(today=date(2025, 1, 1), mappings={"log": mapping})
    _, records, errors = parse_path(write(text), fmt="generic", options=options, mapping="log")
    assert errors == []
    assert [r.status for r in records if isinstance(r, SaleRecord)] == ["cancelled", "completed"]


def test_a_mappings_statuses_must_be_soleflips() -> None:
    with pytest.raises(ValidationError, match="statuses.Storniert"):
        MappingSettings(columns={}, statuses={"Storniert": "gone"})


def test_a_header_a_mapping_and_a_built_in_format_both_fit_is_ambiguous(write: Callable[..., Path]) -> None:
    """A purchases mapping of a file the built-in purchases format also reads: exit 2, never a guess."""
    buys = MappingSettings(
        target="purchases", columns={"sku": "SKU", "size": "Size", "cost": "Cost", "purchase_date": "Date"}
    )
    path = write("SKU,Size,Cost,Date\nDD1503-101,10,100.00,2024-02-03\n")
    with pytest.raises(UsageError, match=r"fits several formats \(purchases, generic:buys\)") as raised:
        parse_path(path, options=ImportOptions(mappings={"buys": buys}))
    assert raised.value.hint == (
        "pass --format NAME or --mapping NAME (a file's rows are keyed by the format reading them)"
    )


def test_a_mapping_that_cannot_work_does_not_stop_other_formats(write: Callable[..., Path]) -> None:
    """An unfinished mapping in config.toml: StockX files still import; a file only it could read says why."""
    unfinished = ImportOptions(mappings={"wip": MappingSettings(columns={"sold_at": "Datum"})})
    assert parse_path(FIXTURES / "stockx-2022.csv", options=unfinished)[0] == "stockx"
    with pytest.raises(UsageError, match="cannot tell the export format") as raised:  # this file alone
        parse_path(write("Datum,Preis\n2024-01-02,10.00\n"), options=unfinished)
    assert "a mapping that cannot work: [import.mappings.wip] columns: map a column to sale_price" in str(
        raised.value
    )


def test_auto_reads_a_mapping_with_its_own_delimiter(write: Callable[..., Path]) -> None:
    tabbed = MappingSettings(delimiter="\t", columns={"sold_at": "D", "sale_price": "P", "sku": "S"})
    path = write("D\tP\tS\n2024-01-02\t10.00\tX1\n")
    fmt, records, errors = parse_path(path, options=ImportOptions(mappings={"tsv": tabbed}))
    assert (fmt, errors) == ("generic:tsv", [])
    assert [r.sale_price for r in records if isinstance(r, SaleRecord)] == [Decimal("10.00")]
