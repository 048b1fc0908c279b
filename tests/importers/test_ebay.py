"""eBay Orders report (preamble, padding, footer, multi-item orders, locale money) and Payments report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from soleflip_cli.importers.base import FeeLine, PaymentRecord, SaleRecord
from soleflip_cli.importers.ebay import variation_size
from tests.importers.conftest import FIXTURES, parse_path


def test_orders_report() -> None:
    fmt, records, errors = parse_path(FIXTURES / "ebay-orders.csv")
    assert (fmt, errors) == ("ebay-orders", [])
    sales = [r for r in records if isinstance(r, SaleRecord)]
    assert [(s.line, s.external_id) for s in sales] == [
        (4, "12-11111-11111:110000000001"),
        (6, "12-22222-22222:110000000002"),  # line 5 is the multi-item order's summary row
        (7, "12-22222-22222:110000000003"),
    ]
    assert [(s.sku, s.size, s.sale_price, s.currency) for s in sales] == [
        ("DD1391-100", "10", Decimal("135.00"), "USD"),
        ("DH6927-111", "10.5", Decimal("250.00"), "USD"),
        ("DM7866-162", "9", Decimal("1000.00"), "USD"),
    ]
    assert sales[0].sold_at == datetime(2026, 9, 3, tzinfo=UTC)
    assert {s.buyer_country for s in sales} == {"United States"}  # carried from the summary row
    assert all(s.fees == () and s.payout is None for s in sales)  # the Orders report has no fees


def test_au_locale_dates_money_and_column_names(write: Callable[..., Path]) -> None:
    text = (FIXTURES / "ebay-orders.csv").read_text(encoding="utf-8-sig")
    text = text.replace("Shipping And Handling", "Postage And Handling").replace(
        "Ship To Country", "Post To Country"
    )
    text = (
        text.replace("$135.00", "AU $135.00")
        .replace('"$1,000.00 "', '"AU $3,000.00"')
        .replace("$250.00", "AU $250.00")
    )
    text = text.replace("Sep-03-26", "03-Sep-26").replace("Sep-10-26", "10-Sep-26")
    fmt, records, errors = parse_path(write(text))
    assert (fmt, errors) == ("ebay-orders", [])
    sales = [r for r in records if isinstance(r, SaleRecord)]
    assert [(s.sale_price, s.currency, s.sold_at.date().isoformat()) for s in sales] == [
        (Decimal("135.00"), "AUD", "2026-09-03"),
        (Decimal("250.00"), "AUD", "2026-09-10"),
        (Decimal("3000.00"), "AUD", "2026-09-10"),
    ]


def test_decimal_comma_euros(write: Callable[..., Path]) -> None:
    text = (FIXTURES / "ebay-orders.csv").read_text(encoding="utf-8-sig").replace("$135.00", '"EUR 1.090,50"')
    _, records, _ = parse_path(write(text))
    first = records[0]
    assert isinstance(first, SaleRecord) and (first.sale_price, first.currency) == (Decimal("1090.50"), "EUR")


def test_one_date_pattern_per_file(write: Callable[..., Path]) -> None:
    text = (FIXTURES / "ebay-orders.csv").read_text(encoding="utf-8-sig").replace("Sep-10-26", "10-Sep-26")
    _, records, errors = parse_path(write(text))
    assert len(records) == 1
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (6, "Sale Date", "not a date like Sep-30-26"),
        (7, "Sale Date", "not a date like Sep-30-26"),
    ]


def test_transactions_report() -> None:
    fmt, records, errors = parse_path(FIXTURES / "ebay-transactions.csv")
    assert (fmt, errors) == ("ebay-transactions", [])
    lines = [r for r in records if isinstance(r, PaymentRecord)]
    assert [(r.line, r.type, r.order_number, r.item_id) for r in lines] == [
        (6, "Order", "12-11111-11111", "110000000001"),
        (7, "Shipping label", "12-11111-11111", None),
        (8, "Order", "12-22222-22222", "110000000002"),
        (9, "Order", "12-22222-22222", "110000000003"),
        (10, "Refund", "12-22222-22222", "110000000002"),
        (11, "Payout", None, None),
    ]
    order = lines[0]
    assert (order.net_amount, order.gross_amount, order.currency) == (
        Decimal("130.76"),
        Decimal("149.00"),
        "USD",
    )
    assert order.fees == (
        FeeLine("Final Value Fee - fixed", "transaction", Decimal("0.40")),
        FeeLine("Final Value Fee - variable", "transaction", Decimal("17.56")),
        FeeLine("Regulatory operating fee", "other", Decimal("0.28")),
        FeeLine("Shipping paid by the buyer", "shipping", Decimal("-14.00")),  # in the net, not the price
    )
    assert order.payout_date == datetime(2026, 9, 5, tzinfo=UTC)
    assert lines[1].fees == (FeeLine("Shipping label", "shipping", Decimal("12.50")),)
    assert lines[4].fees == (FeeLine("Refund", "refund", Decimal("50.00")),)
    assert lines[5].fees == ()


@pytest.mark.parametrize(
    ("variation", "size"),
    [
        ("[US Shoe Size:10]", "10"),
        ("[US Shoe Size (Women's):8]", "8W"),
        ("[UK Shoe Size:8]", "UK 8"),
        ("[EU Shoe Size:42.5]", "EU 42.5"),
        ("[US Shoe Size (Youth):5.5]", "5.5Y"),
        ("[Colour:Black][US Shoe Size (Men's):9.5]", "9.5"),
        ("Colour:Black;US Shoe Size:8W", "8W"),
        ("[Colour:Red]", None),
        ("[EU Shoe Size:44,5]", "EU 44,5"),  # a decimal comma (European sites): EU 44.5, not 44
        ("[US Shoe Size:10,5]", "10,5"),
        ("US Shoe Size:10,5,Colour:Black", "10,5"),
        ("Colour:Black,US Shoe Size:10,Width:Medium", "10"),
        ("[US Shoe Size:8,5W]", "8,5W"),
        ("[Shoe Size:EU 44,5]", "EU 44,5"),
        ("US Shoe Size:10,2 Pack:Yes", "10"),  # the comma starts an attribute named with a digit
        ("US Shoe Size:10,4E Wide:Yes", "10"),
    ],
)
def test_a_variations_size_keeps_the_system_its_name_gives(variation: str, size: str | None) -> None:
    """A women's 8 or a UK 8 is not a men's US 8: a sale of it must not take that pair."""
    assert variation_size(variation) == size
