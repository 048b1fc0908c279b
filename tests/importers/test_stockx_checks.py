"""Implausible cells are row errors: future or pre-1985 sale and purchase dates, a payout above the price."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.importers.base import PurchaseRecord, SaleRecord
from soleflip_cli.models import Sale
from soleflip_cli.services.import_ import import_file
from tests.importers.conftest import FIXTURES, parse_path
from tests.importers.test_generic import SHOP

TODAY = date(2025, 3, 10)
OPTIONS = ImportOptions(today=TODAY, mappings={"shop": SHOP})
SALE_DATE = "2025-03-01 18:30:00 +00"  # line 2 of stockx-2025.csv
PAYOUT = "Total Gross Amount (Total Payout)"
Write = Callable[..., Path]
Found = list[tuple[int, str | None, str, str]]


def _stockx(write: Write, old: str, new: str) -> tuple[list[SaleRecord], Found]:
    text = (FIXTURES / "stockx-2025.csv").read_text(encoding="utf-8")
    assert text.count(old) == 1
    _, records, errors = parse_path(write(text.replace(old, new)), options=OPTIONS)
    return [r for r in records if isinstance(r, SaleRecord)], [
        (e.line, e.column, e.value, e.reason) for e in errors
    ]


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [
        ("2031-01-01 00:00:00 +00", "is in the future"),
        ("2025-03-12 00:00:00 +00", "is in the future"),  # two days after today
        ("1984-12-31 23:59:59 +00", "is before 1985: not a real purchase or sale date"),
        ("0001-01-02 00:00:00 +00", "is before 1985: not a real purchase or sale date"),
    ],
)
def test_an_implausible_sale_date_is_a_row_error(write: Write, stamp: str, reason: str) -> None:
    sales, errors = _stockx(write, SALE_DATE, stamp)
    assert (len(sales), errors) == (4, [(2, "Sale Date", stamp, reason)])


@pytest.mark.parametrize(
    "stamp", ["2025-03-11 23:59:59 +00", "2025-03-12 01:00:00 +02", "1985-01-01 00:00:00 +00"]
)
def test_a_sale_date_within_a_day_of_clock_skew_or_from_1985_is_kept(write: Write, stamp: str) -> None:
    sales, errors = _stockx(write, SALE_DATE, stamp)
    assert (len(sales), errors) == (5, [])


def test_a_payout_above_the_listing_price_is_a_row_error(write: Write) -> None:
    sales, errors = _stockx(write, ",120,EUR,105.6,EUR,", ",120,EUR,500,EUR,")
    reason = "more than the listing price 120.00: fees cannot be negative"
    assert (len(sales), errors) == (4, [(2, PAYOUT, "500", reason)])


def test_a_vat_registered_sellers_payout_is_stored_without_the_vat_it_owes(write: Write) -> None:
    """Listing 120, fees 14.40, net 105.60 plus 21 % VAT: StockX pays 127.78, more than the listing."""
    old = ',105.6,EUR,120,EUR,105.6,EUR,"","",'
    sales, errors = _stockx(write, old, ",105.6,EUR,120,EUR,127.78,EUR,22.18,EUR,")
    first = next(s for s in sales if s.line == 2)
    assert errors == []
    assert (first.sale_price, first.payout, first.vat_amount) == (
        Decimal("120.00"),
        Decimal("105.60"),
        Decimal("22.18"),
    )
    assert [(f.name, f.amount) for f in first.fees] == [
        ("Seller Fee", Decimal("10.8")),
        ("Payment Processing", Decimal("3.6")),
    ]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("$120", "a $ amount, but the row's currency is EUR"),
        ("£120", "in GBP, but the row's currency is EUR"),
        ("USD 120", "in USD, but the row's currency is EUR"),
    ],
)
def test_a_listing_price_in_another_currency_than_its_row_is_a_row_error(
    write: Write, cell: str, reason: str
) -> None:
    sales, errors = _stockx(write, ",120,EUR,105.6,EUR,", f",{cell},EUR,105.6,EUR,")
    assert (len(sales), errors) == (4, [(2, "Listing Price", cell, reason)])


def test_a_listing_price_written_in_its_rows_currency_is_kept(write: Write) -> None:
    sales, errors = _stockx(write, ",120,EUR,105.6,EUR,", ",€120,EUR,EUR 105.60,EUR,")
    first = next(s for s in sales if s.line == 2)
    assert (errors, first.sale_price, first.payout, first.currency) == (
        [],
        Decimal("120.00"),
        Decimal("105.60"),
        "EUR",
    )


def test_a_payout_equal_to_the_listing_price_has_no_fees(write: Write) -> None:
    sales, errors = _stockx(write, ",120,EUR,105.6,EUR,", ",120,EUR,120,EUR,")
    assert errors == []
    first = next(s for s in sales if s.line == 2)
    assert (first.payout, first.fees_total) == (Decimal("120.00"), Decimal("0"))


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        ("0001-01-01", "is before 1985: not a real purchase or sale date"),
        ("1984-12-31", "is before 1985: not a real purchase or sale date"),
        ("2025-03-12", "is in the future"),
        ("1985-01-01", None),
        ("2025-03-11", None),  # a day of clock skew: the user's date may be ahead of UTC
    ],
)
def test_purchase_dates_between_1985_and_tomorrow(write: Write, day: str, reason: str | None) -> None:
    text = f"sku,size,cost,purchase_date\nDD1391-100,10,100,{day}\n"
    _, records, errors = parse_path(write(text), options=OPTIONS)
    assert [(e.line, e.column, e.value, e.reason) for e in errors] == (
        [(2, "purchase_date", day, reason)] if reason else []
    )
    assert [r.purchase_date.isoformat() for r in records if isinstance(r, PurchaseRecord)] == (
        [] if reason else [day]
    )


def test_a_mapped_sale_before_1985_is_a_row_error(write: Write) -> None:
    text = (FIXTURES / "generic-sales.csv").read_text(encoding="utf-8")
    text = text.replace("2026-05-14 11:23:45 +0100", "1970-01-01 00:00:00 +0000")
    _, records, errors = parse_path(
        write(text), options=ImportOptions(today=date(2027, 1, 1), mappings={"shop": SHOP})
    )
    reason = "is before 1985: not a real purchase or sale date"
    assert [(e.line, e.column, e.value, e.reason) for e in errors] == [
        (2, "Created at", "1970-01-01 00:00:00 +0000", reason)
    ]
    assert len(records) == 2


def test_a_future_sale_rejects_the_file(session: Session, write: Write) -> None:
    text = (
        (FIXTURES / "stockx-2025.csv")
        .read_text(encoding="utf-8")
        .replace(SALE_DATE, "2031-01-01 00:00:00 +00")
    )
    result = import_file(session, write(text), options=OPTIONS)
    assert (result.written, result.rejected, result.inserted) == (False, 1, 0)
    assert session.scalar(select(func.count()).select_from(Sale)) == 0


def test_a_payout_in_another_currency_than_the_listing_is_a_row_error(write: Write) -> None:
    sales, errors = _stockx(write, "120,EUR,105.6,EUR", "120,EUR,105.6,USD")
    reason = "differs from the sale's currency EUR"
    assert (len(sales), errors) == (4, [(2, f"{PAYOUT} Currency", "USD", reason)])


@pytest.mark.parametrize(
    ("fixture", "old", "new", "column", "reason"),
    [
        ("alias.csv", ",18/12/24\n", ",18/12/31\n", "PURCHASED_DATE", "is in the future"),
        ("alias.csv", ",18/12/24\n", ",18/12/84\n", "PURCHASED_DATE", "is before 1985"),
        ("ebay-orders.csv", "Sep-03-26,Sep-03-26", "Sep-03-31,Sep-03-26", "Sale Date", "is in the future"),
        ("ebay-orders.csv", "Sep-03-26,Sep-03-26", "Sep-03-84,Sep-03-26", "Sale Date", "is before 1985"),
    ],
)
def test_alias_and_ebay_sale_dates_must_be_plausible(
    write: Write, fixture: str, old: str, new: str, column: str, reason: str
) -> None:
    text = (FIXTURES / fixture).read_text(encoding="utf-8-sig")
    assert text.count(old) == 1
    _, _, errors = parse_path(write(text.replace(old, new)), options=ImportOptions(today=date(2026, 12, 31)))
    assert [(e.column, e.reason.split(":")[0]) for e in errors] == [(column, reason)]


def test_a_fee_above_the_listing_price_is_a_row_error(write: Write) -> None:
    sales, errors = _stockx(write, "10.8,EUR,3.6,EUR", "1000.50,EUR,3.6,EUR")
    assert (len(sales), errors) == (4, [(2, "Seller Fee", "1000.50", "more than the listing price 120.00")])


def test_a_mapped_sale_in_the_future_is_a_row_error(write: Write) -> None:
    """As for every built-in format: a sale dated after today (a day of clock skew aside) is a typo."""
    text = (FIXTURES / "generic-sales.csv").read_text(encoding="utf-8")
    options = ImportOptions(today=date(2026, 5, 14), mappings={"shop": SHOP})
    _, records, errors = parse_path(write(text), options=options)
    assert [(e.line, e.column, e.reason) for e in errors] == [(4, "Created at", "is in the future")]
    assert len(records) == 2  # the 14th and, within a day of clock skew, the 15th
