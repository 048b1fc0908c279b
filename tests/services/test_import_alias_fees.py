"""Alias sales imported with fee lines from the built-in schedule, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from soleflip_cli.fees import compute_fees
from soleflip_cli.importers import ImportOptions
from soleflip_cli.importers.base import SaleRecord
from soleflip_cli.models import Sale, SaleFee
from soleflip_cli.services import report, report_tax
from soleflip_cli.services.import_ import ImportResult, import_file
from tests.importers.conftest import FIXTURES, parse_path

D = Decimal
ALIAS = FIXTURES / "alias.csv"  # 399, 94, 89 and 139 USD, sold in September and December 2024


def _import(session: Session, options: ImportOptions | None = None) -> ImportResult:
    return import_file(session, ALIAS, options=options or ImportOptions(base_currency="USD"))


def _counts(result: ImportResult) -> tuple[int, int, int]:
    return result.inserted, result.updated, result.unchanged


def test_alias_sales_get_the_schedule_fees(session: Session) -> None:
    assert _counts(_import(session)) == (4, 0, 0)
    sale = session.scalars(select(Sale).where(Sale.external_id == "100000001")).one()
    # `soleflip price fees --platform alias --price 399 --currency USD`: payout 345.76.
    assert (sale.sale_price, sale.fees_total, sale.payout) == (D("399.00"), D("53.24"), D("345.76"))
    assert [(f.name, f.kind, f.amount, f.currency) for f in sale.fees] == [
        ("commission (estimated)", "transaction", D("37.91"), "USD"),
        ("seller_fee (estimated)", "transaction", D("5.00"), "USD"),
        ("cash_out (estimated)", "processing", D("10.33"), "USD"),
    ]
    assert _counts(_import(session)) == (0, 0, 4)


def test_report_counts_the_fees_not_no_fee_data(session: Session) -> None:
    _import(session)
    totals = report.summarize(session, platform="alias", currency="USD")
    # 53.24 + 16.25 (94) + 15.65 (89) + 21.71 (139)
    assert (totals.gross, totals.fees, totals.payout) == (D("721.00"), D("106.85"), D("614.15"))
    assert (totals.orders, totals.no_fee_data) == (4, 0)
    ledger = report_tax.tax_ledger(session, year=2024, currency="USD")
    assert ledger.fee_names == ["cash_out (estimated)", "commission (estimated)", "seller_fee (estimated)"]
    assert ledger.fee_totals["commission (estimated)"] == D("68.51")  # 37.91 + 8.93 + 8.46 + 13.21


def test_a_file_imported_without_fees_is_updated(session: Session) -> None:
    _import(session)
    # What an import before the fee schedule applied left behind: no fee lines, no payout.
    _, records, _ = parse_path(ALIAS)
    for record in records:
        assert isinstance(record, SaleRecord)
        old = replace(record, fees=(), payout=None).content_hash()
        session.execute(
            update(Sale)
            .where(Sale.external_id == record.external_id)
            .values(fees_total=None, payout=None, content_hash=old)
        )
    session.execute(delete(SaleFee))
    assert report.summarize(session, currency="USD").no_fee_data == 4
    assert _counts(_import(session)) == (0, 4, 0)
    totals = report.summarize(session, currency="USD")
    assert (totals.fees, totals.payout, totals.no_fee_data) == (D("106.85"), D("614.15"), 0)
    assert len(session.scalars(select(SaleFee)).all()) == 12


def test_the_configured_fee_settings_apply(session: Session) -> None:
    overrides = {"alias": {"location": "DE", "rating": 75}}
    _import(session, ImportOptions(base_currency="USD", fees=overrides))
    for sale in session.scalars(select(Sale)):
        quoted = compute_fees("alias", sale.sale_price, "USD", overrides)
        assert [f.amount for f in sale.fees] == [f.amount for f in quoted.fees]
        assert (sale.fees_total, sale.payout) == (quoted.total_fees, quoted.payout)
    sale = session.scalars(select(Sale).where(Sale.external_id == "100000001")).one()
    # 15 % = 59.85, $12 DE seller fee, 2.9 % of 327.15 = 9.48735 -> 9.49.
    assert [f.amount for f in sale.fees] == [D("59.85"), D("12.00"), D("9.49")]
    assert sale.payout == D("317.66")
