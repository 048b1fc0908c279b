"""Month and week buckets of report breakdowns: labelled once, joined to sales and pairs.

SQLite drives a range scan of the report index per bucket (sales come out in bucket order, so
grouping needs no sort of a million rows); PostgreSQL hash-joins a calendar of days to their bucket,
which also tells its planner how few groups there are.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Column, Connection, Date, String

from soleflip_cli.db import temporary_table
from soleflip_cli.sqltypes import UTCDateTime

TIME_KEYS = ("month", "week")
_CALENDAR = (
    "(SELECT day, MIN(label) AS label FROM unnest(CAST(:bucket_day AS DATE[]), "
    "CAST(:bucket_label AS VARCHAR[])) AS c(day, label) GROUP BY day)"
)


@dataclass(frozen=True)
class Bucket:
    """One month or week: its label as reports show it, its first day and the day after it (UTC)."""

    label: str
    start: date
    end: date


@dataclass(frozen=True)
class Buckets:
    """Consecutive buckets and the SQL that puts sales (alias s) and pairs (alias i) in them (`b.label`).

    `sales` holds exactly the sales of the buckets (the report's time filter is in the buckets: a
    second range on sold_at would stop SQLite from seeking per bucket); `held_sales` and `held_pairs`
    hold those before :end / :end_day.
    """

    items: list[Bucket]
    sales: str
    held_sales: str
    held_pairs: str
    params: dict[str, Any]

    @property
    def start(self) -> datetime:
        """Midnight UTC of the first bucket's first day."""
        return datetime.combine(self.items[0].start, time(), UTC)


def bucket_list(key: str, first: date, last: date) -> list[Bucket]:
    """The months (label YYYY-MM) or weeks (from Monday, label its date) that cover `first`..`last`."""
    if key == "month":
        day = first.replace(day=1)
    else:
        day = first - timedelta(days=first.weekday())
    buckets = []
    while day <= last:
        if key == "month":
            after = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
            label = day.strftime("%Y-%m")
        else:
            after, label = day + timedelta(days=7), day.isoformat()
        buckets.append(Bucket(label, day, after))
        day = after
    return buckets


@contextmanager
def time_buckets(
    conn: Connection, key: str, first: date, last: date, *, since: date | None, until: date | None
) -> Iterator[Buckets]:
    """The `key` buckets from `first` to `last`, cut to the days from `since` to before `until`: a
    temporary table on SQLite, bound arrays on PostgreSQL."""
    items = [
        Bucket(b.label, max(b.start, since or b.start), min(b.end, until or b.end))
        for b in bucket_list(key, first, last)
    ]
    items = [b for b in items if b.start < b.end]
    if conn.dialect.name == "postgresql":
        days = [b.start + timedelta(days=n) for b in items for n in range((b.end - b.start).days)]
        labels = [b.label for b in items for _ in range((b.end - b.start).days)]
        sales = f"sales s JOIN {_CALENDAR} b ON b.day = (s.sold_at AT TIME ZONE 'UTC')::date"
        yield Buckets(
            items,
            sales,
            f"{sales} AND s.sold_at < :end",
            f"inventory_items i JOIN {_CALENDAR} b ON b.day = i.purchase_date AND i.purchase_date < :end_day",
            {"bucket_day": days, "bucket_label": labels},
        )
        return
    columns: list[Column[Any]] = [
        Column("label", String(10), primary_key=True),
        Column("lo", UTCDateTime, nullable=False),
        Column("hi", UTCDateTime, nullable=False),
        Column("lo_day", Date, nullable=False),
        Column("hi_day", Date, nullable=False),
    ]
    rows = [
        {
            "label": b.label,
            "lo": datetime.combine(b.start, time(), UTC),
            "hi": datetime.combine(b.end, time(), UTC),
            "lo_day": b.start,
            "hi_day": b.end,
        }
        for b in items
    ]
    with temporary_table(conn, "tmp_report_buckets", columns, rows) as name:
        yield Buckets(
            items,
            f"{name} b JOIN sales s ON s.sold_at >= b.lo AND s.sold_at < b.hi",
            f"{name} b JOIN sales s ON s.sold_at >= b.lo AND s.sold_at < min(b.hi, :end)",
            f"{name} b JOIN inventory_items i ON i.purchase_date >= b.lo_day "
            "AND i.purchase_date < min(b.hi_day, :end_day)",
            {},
        )
