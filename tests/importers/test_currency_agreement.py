"""A money cell must be in its row's currency: `$120` is not EUR, `¥` is yen or yuan, no cents in JPY."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from soleflip_cli.config import MappingSettings
from soleflip_cli.importers import ImportOptions
from soleflip_cli.importers.base import PurchaseRecord, SaleRecord
from soleflip_cli.money import parse_money
from tests.importers.conftest import parse_path

HEADER = "sku,size,cost,currency,purchase date\n"
BASE_EUR = ImportOptions(base_currency="EUR", today=date(2025, 1, 1))


def _errors(path: Path, options: ImportOptions | None = None) -> list[tuple[int, str | None, str, str]]:
    _, _, errors = parse_path(path, options=options)
    return [(e.line, e.column, e.value, e.reason) for e in errors]


def test_shared_symbols_name_no_currency_but_are_kept() -> None:
    dollars, yen, euros = parse_money("$120"), parse_money("120 ¥"), parse_money("€120")
    assert dollars is not None and (dollars.currency, dollars.symbol) == ("", "$")
    assert yen is not None and (yen.amount, yen.currency, yen.symbol) == (Decimal("120"), "", "¥")
    assert euros is not None and (euros.currency, euros.symbol) == ("EUR", "")
    australian = parse_money("AU $3,000.00")
    assert australian is not None and (australian.currency, australian.symbol) == ("AUD", "")
    canadian = parse_money("C $135.00")  # eBay Canada
    assert canadian is not None and (canadian.amount, canadian.currency) == (Decimal("135.00"), "CAD")


def test_purchase_cost_in_another_currency_than_its_column(write: Callable[..., Path]) -> None:
    text = HEADER + (
        "DD1391-100,10,$120,EUR,2024-03-01\n"  # $ is no euro
        "DD1391-100,10,£100,EUR,2024-03-01\n"  # a code of its own, not the column's
        "DD1391-100,10,1500.5,JPY,2024-03-01\n"  # yen have no cents
        "DD1391-100,10,¥1500.5,CNY,2024-03-01\n"  # yuan do
    )
    assert _errors(write(text)) == [
        (2, "cost", "$120", "a $ amount, but the row's currency is EUR"),
        (3, "cost", "£100", "in GBP, but the row's currency is EUR"),
        (4, "cost", "1500.5", "more decimal places than JPY has"),
    ]


def test_yen_sign_is_yen_or_yuan_by_the_currency_column(write: Callable[..., Path]) -> None:
    text = HEADER + "DD1391-100,10,¥1200,CNY,2024-03-01\nDD1391-100,10,¥15000,JPY,2024-03-01\n"
    _, records, errors = parse_path(write(text))
    assert errors == []
    assert [(r.cost, r.currency) for r in records if isinstance(r, PurchaseRecord)] == [
        (Decimal("1200.00"), "CNY"),
        (Decimal("15000.00"), "JPY"),
    ]


def test_dollar_amounts_without_a_currency_column_need_a_dollar_base(write: Callable[..., Path]) -> None:
    path = write("sku,size,cost,purchase date\nDD1391-100,10,$120,2024-03-01\n")
    source = "the base currency: add a currency column for another one"
    assert _errors(path, BASE_EUR) == [
        (2, "cost", "$120", f"a $ amount, but the row's currency is EUR ({source})")
    ]
    _, records, errors = parse_path(path, options=ImportOptions(base_currency="CAD", today=date(2025, 1, 1)))
    assert errors == [] and isinstance(records[0], PurchaseRecord) and records[0].currency == "CAD"


def test_plain_amounts_and_euro_amounts_stay_accepted(write: Callable[..., Path]) -> None:
    text = "sku,size,cost,purchase date\nDD1391-100,10,120,2024-03-01\nDD1391-100,10,€130,2024-03-02\n"
    _, records, errors = parse_path(write(text), options=BASE_EUR)
    assert errors == []
    assert [(r.cost, r.currency) for r in records if isinstance(r, PurchaseRecord)] == [
        (Decimal("120.00"), "EUR"),
        (Decimal("130.00"), "EUR"),
    ]


LOG = MappingSettings(
    target="sales",
    platform="cash",
    date_format="%Y-%m-%d",
    currency="EUR",
    columns={"sold_at": "Date", "sku": "SKU", "sale_price": "Price", "fees_total": "Fees"},
)


def test_generic_sale_money_must_agree_with_the_mapping_currency(write: Callable[..., Path]) -> None:
    text = "Date,SKU,Price,Fees\n2024-05-01,DD1391-100,$150,\n2024-05-02,DD1391-100,EUR 150,USD 5\n"
    options = ImportOptions(today=date(2025, 1, 1), mappings={"log": LOG})
    _, _, errors = parse_path(write(text), fmt="generic", options=options, mapping="log")
    assert [(e.line, e.column, e.value, e.reason) for e in errors] == [
        (2, "Price", "$150", "a $ amount, but the row's currency is EUR (the mapping's currency)"),
        (3, "Fees", "USD 5", "in USD, but the row's currency is EUR"),
    ]


def test_generic_sale_in_the_mapping_currency(write: Callable[..., Path]) -> None:
    text = "Date,SKU,Price,Fees\n2024-05-01,DD1391-100,150,10\n2024-05-02,DD1391-100,€160,€12\n"
    options = ImportOptions(today=date(2025, 1, 1), mappings={"log": LOG})
    _, records, errors = parse_path(write(text), fmt="generic", options=options, mapping="log")
    assert errors == []
    sales = [r for r in records if isinstance(r, SaleRecord)]
    assert [(s.sale_price, s.currency, s.payout) for s in sales] == [
        (Decimal("150.00"), "EUR", Decimal("140.00")),
        (Decimal("160.00"), "EUR", Decimal("148.00")),
    ]


@pytest.mark.parametrize("cell", ["", "N/A", "--", '=""-""', '="-"', '=""'])
def test_cells_that_stand_for_no_amount(cell: str) -> None:
    # Excel's text guard of a dash: =""-"" as written, or ="-" once a quoted cell is read
    assert parse_money(cell) is None
