"""Profit reports: summary, breakdown and best/worst SKUs in one currency, exact to the minor unit.

Rules (also in `soleflip report --help`):
- A sale counts when its status is not cancelled (cancelled, canceled, didnotship, authfailed) or
  returned (returned, refunded). Cancelled and returned sales are left out of every amount and only
  counted (`cancelled`, `returned`); a returned pair is back in the book when its status says so.
- payout is the marketplace payout (else sale price minus recorded fees); fees = gross - payout. Sales
  with neither (a generic CSV without fee columns, say) count in `no_fee_data`: their payout is taken as
  the sale price. Alias exports have no fee columns; their fees are estimated from the fee schedule.
- cogs and profit cover only sales matched to a pair (sales.inventory_item_id); the others are counted in
  `no_cost_basis`, never costed at zero. profit = payout of those sales - cogs.
- Amounts are converted per sale, at the rate of the sale's UTC date (cost: of the purchase date), and
  rounded half away from zero to the currency's minor unit before they are summed, so groups add up
  exactly to the totals.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from soleflip_cli.db import connection_of
from soleflip_cli.errors import UsageError
from soleflip_cli.money import check_currency, minor_digits
from soleflip_cli.services import fx, report_buckets, report_sql

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

BREAKDOWN_KEYS = tuple(report_sql.SALE_KEYS)
TOP_METRICS = ("profit", "roi", "speed")


@dataclass(frozen=True)
class Period:
    """Sale dates from `start` to `end`, both inclusive, as UTC calendar days (None: open)."""

    start: date | None = None
    end: date | None = None

    def filters(self, platform: str | None = None) -> report_sql.Filters:
        """[start 00:00 UTC, day after end 00:00 UTC) on sold_at."""
        lo = datetime.combine(self.start, time(), UTC) if self.start else None
        hi = datetime.combine(self.end + timedelta(days=1), time(), UTC) if self.end else None
        return report_sql.Filters(lo, hi, platform)


def resolve_period(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    year: int | None = None,
    month: str | None = None,
) -> Period:
    """One period from --from/--to, --year or --month YYYY-MM (they exclude each other)."""
    chosen = [
        name for name, v in (("--from/--to", date_from or date_to), ("--year", year), ("--month", month)) if v
    ]
    if len(chosen) > 1:
        raise UsageError(f"choose one period: {' or '.join(chosen)}")
    if year is not None:
        return Period(date(year, 1, 1), date(year, 12, 31))
    if month is not None:
        try:
            first = datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise UsageError(f"--month wants YYYY-MM, got {month!r}") from None
        return Period(first, first.replace(day=calendar.monthrange(first.year, first.month)[1]))
    if date_from and date_to and date_from > date_to:
        raise UsageError(f"--from {date_from} is after --to {date_to}")
    return Period(date_from, date_to)


@dataclass(frozen=True)
class Measures:
    """The KPIs of a set of sales; money in `currency`, exact to its minor unit."""

    orders: int
    units: int
    gross: Decimal
    fees: Decimal
    payout: Decimal
    vat: Decimal
    cogs: Decimal
    profit: Decimal
    margin_pct: Decimal | None
    roi_pct: Decimal | None
    avg_days_to_sell: Decimal | None
    sell_through_pct: Decimal | None
    no_cost_basis: int
    no_cost_basis_payout: Decimal
    no_fee_data: int
    returned: int
    cancelled: int


@dataclass(frozen=True)
class Summary(Measures):
    """`report summary`: the measures of a period, with what was asked."""

    currency: str
    period_from: date | None
    period_to: date | None
    platform: str | None


@dataclass(frozen=True)
class Group(Measures):
    """A row of `report breakdown`: `group` is the month, week start, platform, brand, ... (None: unknown)."""

    group: str | None


@dataclass(frozen=True)
class Breakdown:
    """Groups whose additive measures sum exactly to `total`."""

    by: str
    currency: str
    rows: list[Group]
    total: Summary


@dataclass(frozen=True)
class TopSku:
    """A best or worst SKU by the chosen metric (only sales with a cost basis)."""

    side: str
    rank: int
    sku: str | None
    orders: int
    payout: Decimal
    cogs: Decimal
    profit: Decimal
    roi_pct: Decimal | None
    avg_days_to_sell: Decimal | None
    currency: str


def _target(currency: str) -> str:
    try:
        return check_currency(currency)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _pct(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _measures(row: dict[str, Any], digits: int, held: int | None) -> dict[str, Any]:
    """The Measures fields of one group from its integer sums (minor units) and left-out counts."""
    sale = {k: int(v or 0) for k, v in row.items() if k != "grp"}

    def money(minor: int) -> Decimal:
        return Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))

    gross, payout, costed_payout, cogs = (
        sale.get(k, 0) for k in ("gross", "payout", "costed_payout", "cogs")
    )
    costed, profit = sale.get("costed", 0), costed_payout - cogs
    avg_days = (
        (Decimal(sale.get("days", 0)) / costed).quantize(Decimal("0.1"), ROUND_HALF_UP) if costed else None
    )
    return {
        "orders": sale.get("orders", 0),
        "units": sale.get("units", 0),
        "gross": money(gross),
        "fees": money(gross - payout),
        "payout": money(payout),
        "vat": money(sale.get("vat", 0)),
        "cogs": money(cogs),
        "profit": money(profit),
        "margin_pct": _pct(profit, sale.get("costed_gross", 0)),
        "roi_pct": _pct(profit, cogs),
        "avg_days_to_sell": avg_days,
        "sell_through_pct": None if held is None else _pct(costed, costed + max(held, 0)),
        "no_cost_basis": sale.get("orders", 0) - costed,
        "no_cost_basis_payout": money(payout - costed_payout),
        "no_fee_data": sale.get("no_fee_data", 0),
        "returned": sale.get("returned", 0),
        "cancelled": sale.get("cancelled", 0),
    }


@dataclass
class _Sums:
    """A report's integer sums per group name, and the pairs held per group when counted with them."""

    groups: dict[str | None, dict[str, Any]]
    held: dict[str | None, int] | None = None
    held_total: int | None = None


def _aggregate(conn: Connection, key: str | None, period: Period, platform: str | None, target: str) -> _Sums:
    """Integer sums per group name with the returned/cancelled counts merged in; for month and week
    keys (and the summary) also the pairs held at each bucket's end (and the period's)."""
    filters = period.filters(platform)
    digits = minor_digits(target)
    held_end = _held_end(period)
    days = report_sql.sale_days(conn, filters)
    first, last = (days.rates_from, days.last) if days else (held_end.date(), held_end.date())
    # The sums count the sales side of the pairs held when they cover every sale it counts.
    fold = platform is None and (key in report_buckets.TIME_KEYS or (key is None and filters.start is None))
    with ExitStack() as stack:
        rates = stack.enter_context(fx.day_rate_source(conn, target, first, last))
        buckets = None
        if key in report_buckets.TIME_KEYS and days is not None:
            # From the first sale through the period's end, so that pairs held are counted to it.
            start, stop = days.first, max(days.last, held_end.date() - timedelta(days=1))
            since, until = (None if t is None else t.date() for t in (filters.start, filters.end))
            buckets = stack.enter_context(
                report_buckets.time_buckets(conn, key, start, stop, since=since, until=until)
            )
        rows = report_sql.aggregate(
            conn, key, filters, target, digits, rates, buckets, held_end if fold else None
        )
        if any(int(r["missing_fx"] or 0) for r in rows):
            missing = report_sql.first_missing_rate(conn, filters, target, rates)
            if missing is not None:
                raise fx.missing_rate_error(missing[0], target, missing[1], missing[2])
        groups = {_group_name(row["grp"], key): row for row in rows}
        sold = {name: int(row.pop("sold_held", 0) or 0) for name, row in groups.items()} if fold else None
        sums = _Sums(groups)
        if buckets is not None:
            sums.held, sums.held_total = _bucket_held(conn, held_end, buckets, sold)
        elif key is None and sold is not None:
            sums.held_total = report_sql.pairs_bought(conn, held_end)[None] - sold.get(None, 0)
    for grp, returned, cancelled in report_sql.uncounted(conn, key, filters):
        name = _group_name(grp, key)
        groups[name] = {**groups.get(name, {}), "returned": returned, "cancelled": cancelled}
    return sums


def _group_name(value: Any, key: str | None) -> str | None:
    if value is None:
        return None
    return str(value)[:10] if key in report_buckets.TIME_KEYS else str(value)


def _held_end(period: Period) -> datetime:
    """Midnight UTC after the period's last day (after today when it is open)."""
    return datetime.combine((period.end or datetime.now(UTC).date()) + timedelta(days=1), time(), UTC)


def _held(conn: Connection, key: str | None, period: Period) -> dict[str | None, int]:
    """Pairs in the book at the period's end (today when open) per group (not month or week)."""
    counts = report_sql.held_pairs(conn, key, _held_end(period))
    return {_group_name(g, key): n for g, n in counts.items()}


def _bucket_held(
    conn: Connection, end: datetime, buckets: report_buckets.Buckets, sold: dict[str | None, int] | None
) -> tuple[dict[str | None, int], int]:
    """Pairs in the book at each bucket's end (never after `end`), and at `end`; `sold`: the matched
    sales per bucket before `end` when the report's sums counted them."""
    running = report_sql.held_pairs(conn, None, buckets.start)[None]
    bought = report_sql.pairs_bought(conn, end, buckets)
    if sold is None:
        sold = report_sql.pairs_sold(conn, end, buckets)
    held: dict[str | None, int] = {}
    for bucket in buckets.items:
        running += bought.get(bucket.label, 0) - sold.get(bucket.label, 0)
        held[bucket.label] = running
    return held, running


def _total(groups: Iterable[dict[str, Any]]) -> dict[str, int]:
    """The integer sums of all groups (exact, so the groups add up to it by construction)."""
    total: dict[str, int] = {}
    for sums in groups:
        for name, value in sums.items():
            if name != "grp":
                total[name] = total.get(name, 0) + int(value or 0)
    return total


def summarize(
    db: Session | Connection, *, period: Period | None = None, platform: str | None = None, currency: str
) -> Summary:
    """Totals of the period's sales in `currency` (sell-through against pairs held at the period's end)."""
    period = period or Period()
    target = _target(currency)
    conn = connection_of(db)
    sums = _aggregate(conn, None, period, platform, target)
    return _summary(conn, sums.groups.get(None, {}), period, platform, target, sums.held_total)


def _summary(
    conn: Connection,
    sums: dict[str, Any],
    period: Period,
    platform: str | None,
    target: str,
    held: int | None = None,
) -> Summary:
    if held is None:
        held = _held(conn, None, period).get(None, 0)
    measures = _measures(sums, minor_digits(target), held)
    return Summary(
        **measures, currency=target, period_from=period.start, period_to=period.end, platform=platform
    )


def breakdown(
    db: Session | Connection,
    *,
    by: str,
    period: Period | None = None,
    platform: str | None = None,
    currency: str,
) -> Breakdown:
    """The summary's measures per group; additive measures of the groups sum exactly to the total."""
    if by not in BREAKDOWN_KEYS:
        raise UsageError(f"--by must be one of {', '.join(BREAKDOWN_KEYS)}")
    period = period or Period()
    target = _target(currency)
    digits = minor_digits(target)
    conn = connection_of(db)
    sums = _aggregate(conn, by, period, platform, target)
    held, held_total = sums.held, sums.held_total
    if held is None and by in report_buckets.TIME_KEYS:  # no sales in the period: no buckets
        held = {}
    elif held is None and by != "platform":
        held = _held(conn, by, period)
        held_total = sum(held.values())  # the groups split the book: their counts add up to it
    rows = [
        Group(**_measures(group, digits, None if held is None else held.get(grp, 0)), group=grp)
        for grp, group in sums.groups.items()
    ]
    if by in report_buckets.TIME_KEYS:
        rows.sort(key=lambda g: g.group or "")
    else:
        rows.sort(key=lambda g: (-g.payout, g.group or ""))
    total = _summary(conn, _total(sums.groups.values()), period, platform, target, held_total)
    return Breakdown(by, target, rows, total)


def top_skus(
    db: Session | Connection,
    *,
    by: str = "profit",
    limit: int = 10,
    period: Period | None = None,
    platform: str | None = None,
    currency: str,
) -> list[TopSku]:
    """The `limit` best and worst SKUs by profit, ROI or speed (fewest days to sell), costed sales only."""
    if by not in TOP_METRICS:
        raise UsageError(f"--by must be one of {', '.join(TOP_METRICS)}")
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    period = period or Period()
    target = _target(currency)
    skus = []
    for grp, sums in _aggregate(connection_of(db), "sku", period, platform, target).groups.items():
        m = _measures(sums, minor_digits(target), None)
        if m["orders"] > m["no_cost_basis"]:
            skus.append(
                TopSku(
                    "",
                    0,
                    grp,
                    m["orders"] - m["no_cost_basis"],
                    m["payout"] - m["no_cost_basis_payout"],
                    m["cogs"],
                    m["profit"],
                    m["roi_pct"],
                    m["avg_days_to_sell"],
                    target,
                )
            )

    def metric(sku: TopSku) -> tuple[Decimal, str]:
        if by == "profit":
            value = sku.profit
        elif by == "roi":
            value = sku.roi_pct if sku.roi_pct is not None else Decimal("-Infinity")
        else:
            value = -(sku.avg_days_to_sell or Decimal(0))
        return value, sku.sku or ""

    ranked = sorted(skus, key=metric, reverse=True)
    best = ranked[:limit]
    worst = [s for s in reversed(ranked) if s not in best][:limit]
    return [
        TopSku(**{**{f.name: getattr(s, f.name) for f in fields(TopSku)}, "side": side, "rank": rank})
        for side, picked in (("best", best), ("worst", worst))
        for rank, s in enumerate(picked, start=1)
    ]


@dataclass(frozen=True)
class ForecastPoint:
    """Forecast gross sales of one future month/week (its label as in breakdowns), with a 95 % interval."""

    group: str
    gross: Decimal
    lower_95: Decimal
    upper_95: Decimal


def gross_forecast(
    session: Session, *, by: str, currency: str, horizon: int
) -> tuple[list[ForecastPoint], str]:
    """The `soleflip forecast sales --by total` revenue of the next periods, or ([], why there is none)."""
    from soleflip_cli.errors import SoleflipError
    from soleflip_cli.services.forecast import forecast_sales

    try:
        result = forecast_sales(session, by="total", freq=by, horizon=horizon)
    except SoleflipError as exc:
        return [], str(exc).splitlines()[0]
    points = []
    for row in result.rows:
        if row.revenue is None or row.revenue_lower_95 is None or row.revenue_upper_95 is None:
            return [], "the forecast has no revenue (no recent prices)"
        if row.currency != currency:
            return [], f"the forecast is in {row.currency}, the report in {currency}"
        label = row.period.strftime("%Y-%m") if by == "month" else row.period.isoformat()
        points.append(ForecastPoint(label, row.revenue, row.revenue_lower_95, row.revenue_upper_95))
    return points, f"{result.method} forecast from {result.as_of.isoformat()}"
