"""Alias / GOAT sales reports: whole-dollar prices, day-first dates, spaced SKUs, fees from the schedule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from soleflip_cli.errors import ConfigError
from soleflip_cli.fees import compute_fees
from soleflip_cli.importers import ImportOptions
from soleflip_cli.importers.alias import PRICE, AliasImporter
from soleflip_cli.importers.base import FeeLine, SaleRecord
from tests.importers.conftest import FIXTURES, parse_path

D = Decimal
HEADER = "USERNAME,ORDER_NUMBER,SKU,SIZE,NAME,PRODUCT_PRICE_CENTS_SALE_PRICE,CREDIT_DATE,PURCHASED_DATE\n"


def _sales(options: ImportOptions | None = None) -> list[SaleRecord]:
    fmt, records, errors = parse_path(FIXTURES / "alias.csv", options=options)
    assert fmt == "alias" and errors == []
    return [r for r in records if isinstance(r, SaleRecord)]


def test_values() -> None:
    sales = _sales()
    first = sales[0]
    assert (first.platform, first.external_id, first.sku) == ("alias", "100000001", "DM7866-200")
    assert first.sold_at == datetime(2024, 12, 18, tzinfo=UTC)
    assert first.payout_date == datetime(2024, 12, 20, tzinfo=UTC)
    assert (first.sale_price, first.currency) == (D("399.00"), "USD")
    assert sales[1].sold_at == datetime(2024, 12, 3, tzinfo=UTC)  # 3/12/24 is 3 December
    assert sales[3].item_name == "Gel Quantum 360 8 'Ocean Pack - Black, Aquarium'"
    assert sum(s.sale_price for s in sales) == D("721.00")


def test_fees_come_from_the_schedule_marked_estimated() -> None:
    sales = _sales()
    # 399: 9.5 % = 37.905 -> 37.91, $5 US seller fee, 2.9 % of 356.09 = 10.32661 -> 10.33.
    assert sales[0].fees == (
        FeeLine("commission (estimated)", "transaction", D("37.91")),
        FeeLine("seller_fee (estimated)", "transaction", D("5.00")),
        FeeLine("cash_out (estimated)", "processing", D("10.33")),
    )
    assert (sales[0].fees_total, sales[0].payout) == (D("53.24"), D("345.76"))
    # 89: 8.455 -> 8.46, 5.00, 2.9 % of 75.54 = 2.19066 -> 2.19.
    assert [f.amount for f in sales[2].fees] == [D("8.46"), D("5.00"), D("2.19")]
    assert (sales[2].fees_total, sales[2].payout) == (D("15.65"), D("73.35"))
    assert [s.payout for s in sales] == [D("345.76"), D("77.75"), D("73.35"), D("117.29")]
    assert all(s.payout == s.sale_price - s.fees_total for s in sales if s.fees_total is not None)


@pytest.mark.parametrize(
    "overrides",
    [{}, {"alias": {"location": "DE"}}, {"alias": {"rating": 60, "cash_out": False}}],
)
def test_fees_equal_price_fees_with_the_configured_settings(overrides: dict[str, dict[str, object]]) -> None:
    for sale in _sales(ImportOptions(today=date(2025, 1, 1), fees=overrides)):
        quoted = compute_fees("alias", sale.sale_price, "USD", overrides)
        assert [(f.name, f.amount) for f in sale.fees] == [
            (f"{f.name} (estimated)", f.amount) for f in quoted.fees
        ]
        assert sale.payout == quoted.payout


def test_a_free_pair_has_no_fees() -> None:
    assert AliasImporter().estimate(D("0.00"), "USD", date(2024, 12, 1)) == ((), None)


def test_a_currency_the_schedule_cannot_price_is_a_row_error(write: Callable[..., Path]) -> None:
    path = write(HEADER + "me,1,DM7866 200,10,X,€399,20/12/24,18/12/24\n")
    _, records, errors = parse_path(path)
    reason = "in EUR, but Alias reports are in US dollars (config [fees.alias] key 'seller_fee': "
    assert records == [] and [(e.line, e.column, e.value) for e in errors] == [(2, PRICE, "€399")]
    assert errors[0].reason.startswith(reason)


def test_wrong_fee_settings_stay_a_config_error_on_dollar_prices(write: Callable[..., Path]) -> None:
    path = write(HEADER + "me,1,DM7866 200,10,X,399,20/12/24,18/12/24\n")
    with pytest.raises(ConfigError, match=r"\[fees.alias\] key 'version'"):
        parse_path(path, options=ImportOptions(fees={"alias": {"version": "1999-01-01"}}))


def test_euro_prices_import_with_a_euro_seller_fee(write: Callable[..., Path]) -> None:
    path = write(HEADER + "me,1,DM7866 200,10,X,€399,20/12/24,18/12/24\n")
    _, records, errors = parse_path(path, options=ImportOptions(fees={"alias": {"seller_fee": "11"}}))
    assert errors == [] and isinstance(sale := records[0], SaleRecord)
    # 399 - 37.91 - 11.00 - 2.9 % of 350.09 (10.15)
    assert (sale.currency, sale.fees[1].amount, sale.payout) == ("EUR", D("11.00"), D("339.94"))
