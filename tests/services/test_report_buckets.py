"""Month and week breakdowns: bucket labels, pairs held at each bucket's end, periods cut mid-bucket."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from soleflip_cli.models import Sale
from soleflip_cli.services import report
from soleflip_cli.services.report import Period
from soleflip_cli.services.report_buckets import Bucket, bucket_list
from tests.report_book import build_book

TENTH = Decimal("0.1")
NON_SALES = "('cancelled', 'canceled', 'returned', 'refunded', 'didnotship', 'authfailed')"


def test_bucket_labels_and_bounds() -> None:
    assert bucket_list("month", date(2023, 12, 31), date(2024, 2, 1)) == [
        Bucket("2023-12", date(2023, 12, 1), date(2024, 1, 1)),
        Bucket("2024-01", date(2024, 1, 1), date(2024, 2, 1)),
        Bucket("2024-02", date(2024, 2, 1), date(2024, 3, 1)),
    ]
    assert bucket_list("week", date(2024, 1, 7), date(2024, 1, 8)) == [  # a Sunday, then a Monday
        Bucket("2024-01-01", date(2024, 1, 1), date(2024, 1, 8)),
        Bucket("2024-01-08", date(2024, 1, 8), date(2024, 1, 15)),
    ]


def _held(session: Session, at: date) -> int:
    """Pairs in the book at midnight UTC starting `at`, straight from the tables."""
    bought = session.execute(
        text(
            "SELECT COUNT(*) FROM inventory_items WHERE purchase_date < :day "
            "AND status NOT IN ('removed', 'personal')"
        ),
        {"day": at},
    ).scalar_one()
    sold = sum(
        1
        for (sold_at,) in session.execute(
            text(
                f"SELECT sold_at FROM sales WHERE inventory_item_id IS NOT NULL AND status NOT IN {NON_SALES}"
            )
        )
        if str(sold_at)[:10] < at.isoformat()
    )
    return int(bought) - sold


def _bucket_end(label: str, by: str) -> date:
    if by == "week":
        return date.fromisoformat(label) + timedelta(days=7)
    first = date.fromisoformat(f"{label}-01")
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


@pytest.mark.parametrize("by", ["month", "week"])
@pytest.mark.parametrize("platform", [None, "ebay"])
def test_sell_through_counts_the_pairs_held_at_each_buckets_end(
    session: Session, by: str, platform: str | None
) -> None:
    build_book(session)
    period = Period(date(2023, 5, 17), date(2024, 3, 12))  # both ends inside a bucket
    result = report.breakdown(session, by=by, period=period, platform=platform, currency="USD")
    assert result.rows
    for group in result.rows:
        assert group.group is not None
        held = _held(session, min(_bucket_end(group.group, by), date(2024, 3, 13)))
        sold = group.orders - group.no_cost_basis
        want = None if sold + max(held, 0) == 0 else Decimal(sold * 100) / (sold + max(held, 0))
        assert group.sell_through_pct == (None if want is None else want.quantize(TENTH, ROUND_HALF_UP)), (
            group
        )
    whole = report.summarize(session, period=period, platform=platform, currency="USD")
    assert result.total == whole


@pytest.mark.parametrize("by", ["month", "week"])
def test_periods_without_sales_have_no_groups(session: Session, by: str) -> None:
    build_book(session)
    future = Period(date(datetime.now(UTC).year + 3, 1, 1), None)
    empty = report.breakdown(session, by=by, period=future, currency="USD")
    assert empty.rows == [] and empty.total == report.summarize(session, period=future, currency="USD")
    past = report.breakdown(
        session, by=by, period=Period(date(2019, 1, 1), date(2019, 12, 31)), currency="USD"
    )
    assert past.rows == [] and past.total.orders == 0 and past.total.sell_through_pct is None


def test_sales_after_the_period_end_are_grouped_but_not_held(session: Session) -> None:
    build_book(session)
    later = datetime.combine(datetime.now(UTC).date() + timedelta(days=40), time(9), UTC)
    session.execute(update(Sale).where(Sale.external_id == "O-00010").values(sold_at=later))
    months = report.breakdown(session, by="month", currency="USD")
    assert months.rows[-1].group == later.strftime("%Y-%m")
    assert months.total == report.summarize(session, currency="USD")
