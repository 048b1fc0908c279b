"""Purchases: documented columns in any case, one record per row standing for `quantity` pairs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from soleflip_cli.errors import FileFormatError
from soleflip_cli.importers import ImportOptions
from soleflip_cli.importers.base import PurchaseRecord
from soleflip_cli.importers.purchases import PurchasesImporter
from tests.importers.conftest import FIXTURES, parse_path


def _records(path: Path) -> list[PurchaseRecord]:
    fmt, records, errors = parse_path(path)
    assert fmt == "purchases" and errors == []
    return [r for r in records if isinstance(r, PurchaseRecord)]


def test_values() -> None:
    rows = _records(FIXTURES / "purchases.csv")
    first = rows[0]
    assert (first.sku, first.size, first.cost, first.currency) == (
        "DD1391-100",
        "10",
        Decimal("110.00"),
        "USD",
    )
    assert (first.purchase_date, first.supplier, first.location, first.quantity) == (
        date(2024, 3, 1),
        "Nike SNKRS",
        "Shelf A",
        2,
    )
    second = rows[1]
    assert (second.sku, second.size, second.cost, second.currency) == (
        "DM7866-200",
        "12W / 10.5M",
        Decimal("1050.00"),
        "USD",
    )
    assert (second.condition, second.notes) == ("new-defects", 'box dented, "as is"')
    third = rows[2]
    assert (third.supplier, third.location, third.condition, third.quantity) == (None, None, "new", 1)


def test_same_pair_same_day_same_shop_is_a_second_occurrence() -> None:
    rows = _records(FIXTURES / "purchases.csv")
    assert rows[0].key.rsplit(":", 1)[0] == rows[3].key.rsplit(":", 1)[0]
    assert rows[0].key != rows[3].key


def test_default_currency_comes_from_settings(write: Callable[..., Path]) -> None:
    path = write("sku,size,cost,purchase date\nDD1391-100,10,110,2024-03-01\n")
    _, records, _ = parse_path(path, options=ImportOptions(base_currency="EUR", today=date(2025, 1, 1)))
    assert isinstance(records[0], PurchaseRecord) and records[0].currency == "EUR"


def test_bad_rows(write: Callable[..., Path]) -> None:
    text = (
        "sku,size,cost,currency,purchase date,condition,quantity\n"
        "DD1391-100,banana,110,USD,2024-03-01,new,1\n"
        "DD1391-100,10,0,USD,2024-03-01,new,1\n"
        "DD1391-100,10,-5,USD,2024-03-01,new,1\n"
        "DD1391-100,10,110,XYZ,2030-01-01,mint,0\n"
        "N/A,10,abc,USD,03/01/2024,new,1.5\n"
    )
    _, records, errors = parse_path(write(text))
    assert records == []
    assert [(e.line, e.column, e.value, e.reason) for e in errors] == [
        (2, "size", "banana", "unknown size (expected e.g. 10, 10.5, 8W, 5Y, 10C, EU 44, UK 9, S/M/L/XL)"),
        (3, "cost", "0", "must be more than zero"),
        (4, "cost", "-5", "must not be negative"),
        (5, "currency", "XYZ", "unknown currency code (expected e.g. USD, EUR)"),
        (5, "purchase date", "2030-01-01", "is in the future"),
        (5, "condition", "mint", "unknown value (expected one of new, new-defects, used)"),
        (5, "quantity", "0", "must be between 1 and 1000"),
        (6, "sku", "N/A", "a value is required"),
        (6, "cost", "abc", "not an amount of money"),
        (6, "purchase date", "03/01/2024", "not a date like 2024-03-15"),
        (6, "quantity", "1.5", "not a whole number"),
    ]


def test_a_near_miss_header_names_the_missing_column(write: Callable[..., Path]) -> None:
    path = write("sku,size,cost,date_purchased\nDD1391-100,10,110,2024-03-01\n")
    with pytest.raises(FileFormatError) as caught:
        parse_path(path)
    assert (
        "a purchases file needs a column for purchase_date (named 'purchase date' or 'date' or 'bought on')"
        in (str(caught.value))
    )
    far = write("sku,price,date_purchased\nDD1391-100,110,2024-03-01\n", name="far.csv")
    with pytest.raises(FileFormatError) as caught:
        parse_path(far)
    assert "purchases file needs" not in str(caught.value)  # two of four required columns missing


def test_columns_no_field_reads_are_named() -> None:
    header = ["SKU", "Size", "cost", "Purchase_Date", "shelf", "", "Box Condition", "comment"]
    assert PurchasesImporter().unread(header) == ["shelf", "comment"]


def test_a_french_or_german_spreadsheets_numbers(write: Callable[..., Path]) -> None:
    """`2,0` pairs are two (not 20); a narrow no-break space groups thousands (French Excel)."""
    text = "sku;size;cost;currency;purchase date;quantity\nDD1391-100;10,5;1\u202f234,56;EUR;2024-01-01;2,0\n"
    _, records, errors = parse_path(write(text))
    assert errors == []
    [record] = records
    assert isinstance(record, PurchaseRecord)
    assert (record.quantity, record.cost, record.size) == (2, Decimal("1234.56"), "10,5")
