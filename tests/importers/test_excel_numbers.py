"""Order and item numbers Excel rewrote as `1.23457E+11` are refused, not keyed: their digits are lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from soleflip_cli.importers import ImportOptions
from soleflip_cli.importers.fields import EXCEL_NUMBER
from tests.importers.conftest import FIXTURES, parse_path
from tests.importers.test_generic import SHOP


@pytest.mark.parametrize(
    ("fixture", "real", "excel", "line", "column"),
    [
        ("stockx-2022.csv", "39397482-39297241", "3.93975E+07", 2, "Order Number"),
        ("alias.csv", "100000001", "1.00000E+08", 2, "ORDER_NUMBER"),
        ("ebay-orders.csv", "110000000001", "1.1E+11", 4, "Item Number"),
        ("ebay-transactions.csv", "110000000001,2000", "1.10000E+11,2000", 6, "Item ID"),
        ("ebay-transactions.csv", "2000000000001,Nike", "2E+12,Nike", 6, "Transaction ID"),
    ],
)
def test_a_number_in_scientific_notation_rejects_its_row(
    write: Callable[..., Path], fixture: str, real: str, excel: str, line: int, column: str
) -> None:
    text = (FIXTURES / fixture).read_text(encoding="utf-8-sig")
    assert real in text
    _, _, errors = parse_path(write(text.replace(real, excel, 1)))
    value = excel.split(",")[0]
    assert [(e.line, e.column, e.value, e.reason) for e in errors] == [(line, column, value, EXCEL_NUMBER)]


def test_a_mapped_order_number_in_scientific_notation_is_refused(write: Callable[..., Path]) -> None:
    text = (FIXTURES / "generic-sales.csv").read_text().replace("#1001", "1.001E+03")
    options = ImportOptions(mappings={"shop": SHOP})
    _, _, errors = parse_path(write(text), "generic", options, "shop")
    assert [(e.line, e.column, e.value) for e in errors] == [(2, "Name", "1.001E+03")]


@pytest.mark.parametrize("order", ["1E5X", "12-10001-00001", "E12", "1.5", "2E5", "0E+12", "1.2e+11"])
def test_other_order_numbers_are_kept(write: Callable[..., Path], order: str) -> None:
    text = (FIXTURES / "alias.csv").read_text().replace("100000001", order, 1)
    _, records, errors = parse_path(write(text))
    assert errors == [] and order in {getattr(r, "external_id", None) for r in records}
