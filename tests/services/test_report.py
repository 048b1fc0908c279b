"""Report totals against an independent pandas computation; breakdown sums; UTC periods; status rules."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from soleflip_cli.errors import UsageError
from soleflip_cli.models import Sale
from soleflip_cli.services import report
from soleflip_cli.services.fx import MissingRateError
from soleflip_cli.services.report import Period, resolve_period
from tests.report_book import build_book, expected

ADDITIVE = (
    "orders",
    "units",
    "gross",
    "fees",
    "payout",
    "vat",
    "cogs",
    "profit",
    "no_cost_basis",
    "no_cost_basis_payout",
    "no_fee_data",
    "returned",
    "cancelled",
)


@pytest.fixture
def book(session: Session) -> Session:
    build_book(session)
    return session


@pytest.mark.parametrize("target", ["USD", "EUR", "GBP"])
def test_summary_equals_independent_computation(book: Session, target: str) -> None:
    want = expected(book, target=target)[None]
    got = report.summarize(book, currency=target)
    assert (got.orders, got.gross, got.fees, got.payout, got.cogs, got.profit, got.no_cost_basis) == (
        want["orders"],
        want["gross"],
        want["fees"],
        want["payout"],
        want["cogs"],
        want["profit"],
        want["no_cost_basis"],
    )
    assert got.currency == target


@pytest.mark.parametrize("by", report.BREAKDOWN_KEYS)
def test_breakdown_groups_sum_exactly_to_the_summary(book: Session, by: str) -> None:
    result = report.breakdown(book, by=by, currency="EUR")
    assert result.total == report.summarize(book, currency="EUR")
    for name in ADDITIVE:
        assert sum(getattr(g, name) for g in result.rows) == getattr(result.total, name), name


def test_breakdown_by_platform_equals_independent_computation(book: Session) -> None:
    want = expected(book, by="platform")
    got = {g.group: g for g in report.breakdown(book, by="platform", currency="USD").rows}
    assert set(got) == set(want)
    for platform, w in want.items():
        assert (got[platform].payout, got[platform].profit, got[platform].cogs) == (
            w["payout"],
            w["profit"],
            w["cogs"],
        )


def test_periods_are_utc_calendar_days(book: Session) -> None:
    y2023 = report.summarize(book, period=resolve_period(year=2023), currency="USD")
    assert y2023.orders == expected(book, start=date(2023, 1, 1), end=date(2023, 12, 31))[None]["orders"]
    last_second = report.summarize(
        book, period=Period(date(2023, 12, 31), date(2023, 12, 31)), currency="USD"
    )
    first_second = report.summarize(
        book, period=resolve_period(date_from=date(2024, 1, 1), date_to=date(2024, 1, 1)), currency="USD"
    )
    sales_on = {
        d: book.query(Sale).filter(Sale.sold_at >= datetime(d.year, d.month, d.day, tzinfo=UTC)).count()
        for d in (date(2024, 1, 1),)
    }
    assert sales_on
    assert last_second.orders + last_second.returned + last_second.cancelled >= 1
    assert first_second.orders + first_second.returned + first_second.cancelled >= 1
    feb = report.summarize(book, period=resolve_period(month="2024-02"), currency="USD")
    assert feb.orders == expected(book, start=date(2024, 2, 1), end=date(2024, 2, 29))[None]["orders"]
    with pytest.raises(UsageError, match="choose one period"):
        resolve_period(year=2024, month="2024-01")
    with pytest.raises(UsageError, match="YYYY-MM"):
        resolve_period(month="2024-13")


def test_missing_rate_is_an_error_naming_pair_and_date(book: Session) -> None:
    book.add(
        Sale(
            platform="ebay",
            external_id="CHF-1",
            sold_at=datetime(2024, 5, 2, 12, tzinfo=UTC),
            sale_price=Decimal("100.00"),
            currency="CHF",
        )
    )
    book.flush()
    with pytest.raises(MissingRateError, match=r"no CHF->USD exchange rate on or before 2024-05-02"):
        report.summarize(book, currency="USD")
    with pytest.raises(MissingRateError, match="CHF->EUR"):
        report.breakdown(book, by="brand", currency="EUR")
    assert report.summarize(book, period=resolve_period(year=2023), currency="USD").orders > 0


def test_same_currency_needs_no_rates(session: Session) -> None:
    session.add(
        Sale(
            platform="stockx",
            external_id="U-1",
            sold_at=datetime(2024, 5, 2, tzinfo=UTC),
            sale_price=Decimal("200.00"),
            payout=Decimal("181.35"),
            currency="USD",
        )
    )
    session.flush()
    got = report.summarize(session, currency="USD")
    assert (got.gross, got.fees, got.payout, got.no_cost_basis, got.profit) == (
        Decimal("200.00"),
        Decimal("18.65"),
        Decimal("181.35"),
        1,
        Decimal("0.00"),
    )


def test_returned_and_cancelled_are_counted_not_summed(book: Session) -> None:
    got = report.summarize(book, currency="USD")
    statuses = [s for (s,) in book.query(Sale.status)]
    assert got.returned == sum(s in ("returned", "refunded") for s in statuses)
    assert got.cancelled == sum(s in ("cancelled", "didnotship") for s in statuses)
    assert got.orders == len(statuses) - got.returned - got.cancelled


def test_ratios(book: Session) -> None:
    got = report.summarize(book, currency="USD")
    assert got.roi_pct == (got.profit * 100 / got.cogs).quantize(Decimal("0.1"))
    assert got.avg_days_to_sell is not None and Decimal(0) <= got.avg_days_to_sell <= Decimal(200)
    assert got.sell_through_pct is not None and Decimal(0) < got.sell_through_pct <= Decimal(100)


def test_top_skus_best_and_worst(book: Session) -> None:
    rows = report.top_skus(book, by="profit", limit=3, currency="USD")
    best = [r for r in rows if r.side == "best"]
    worst = [r for r in rows if r.side == "worst"]
    assert [r.rank for r in best] == [1, 2, 3] and len(worst) == 3
    assert best[0].profit >= best[-1].profit >= worst[-1].profit >= worst[0].profit
    assert not {r.sku for r in best} & {r.sku for r in worst}
    speed = report.top_skus(book, by="speed", limit=1, currency="USD")
    assert speed[0].avg_days_to_sell is not None and speed[0].avg_days_to_sell <= speed[1].avg_days_to_sell  # type: ignore[operator]
    with pytest.raises(UsageError):
        report.top_skus(book, by="volume", currency="USD")


def test_measures_field_order_is_stable() -> None:
    assert [f.name for f in fields(report.Measures)][:8] == [
        "orders",
        "units",
        "gross",
        "fees",
        "payout",
        "vat",
        "cogs",
        "profit",
    ]


def test_gross_forecast_for_the_plot(session: Session, tmp_path: Path) -> None:
    build_book(session, currencies=("USD",))
    points, note = report.gross_forecast(session, by="month", currency="USD", horizon=3)
    assert len(points) == 3, note
    assert all(p.lower_95 <= p.gross <= p.upper_95 for p in points)
    assert points[0].group > max(
        g.group or "" for g in report.breakdown(session, by="month", currency="USD").rows
    )
    none, why = report.gross_forecast(session, by="month", currency="EUR", horizon=3)
    assert none == [] and "the report in EUR" in why
    pytest.importorskip("matplotlib")
    from soleflip_cli.plot import plot_history

    target = tmp_path / "forecast.png"
    plot_history(target, report.breakdown(session, by="month", currency="USD"), points)
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_a_fee_line_in_a_currency_without_a_rate_is_an_error_naming_it(session: Session) -> None:
    """The sale converts (USD), one of its fee lines (CHF) does not: an error, not a crash."""
    from soleflip_cli.models import SaleFee
    from soleflip_cli.services import report_tax

    sale = Sale(
        platform="stockx",
        external_id="USD-1",
        sold_at=datetime(2024, 5, 2, 12, tzinfo=UTC),
        sale_price=Decimal("100.00"),
        currency="USD",
        payout=Decimal("90.00"),
    )
    sale.fees = [SaleFee(name="Seller fee", kind="transaction", amount=Decimal("10.00"), currency="CHF")]
    session.add(sale)
    session.flush()
    with pytest.raises(MissingRateError, match=r"no CHF->USD .* 2024-05-02 \(needed for a fee line of sale"):
        report_tax.tax_ledger(session, year=2024, currency="USD")
