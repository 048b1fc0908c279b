"""SQL of the profit reports: per-sale amounts in hundredths, converted and summed as exact integers.

Sales carry their pair's cost (migration 0005), so the sums read the sales alone, most of them from
the covering index `ix_sales_report`. The expressions mirror the v_sales_enriched view (migration
0003); tests check that both agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Date, TextClause, bindparam, text
from sqlalchemy.types import TypeEngine

from soleflip_cli.services import fx
from soleflip_cli.services.fx import DayRates
from soleflip_cli.services.report_buckets import Buckets
from soleflip_cli.sqltypes import UTCDateTime
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES

# Sale statuses as the importers and `match_sales` store them (lower case): these sales are left out.
RETURNED = ("returned", "refunded")
CANCELLED = tuple(status for status in NON_SALES if status not in RETURNED)
OUT_OF_BOOK = ("removed", "personal")
# Pairs in the book bought before :end_day (alias i), and counted sales that took one before :end (s).
_BOUGHT = f"i.purchase_date < :end_day AND i.status NOT IN {OUT_OF_BOOK}"
_SOLD = f"s.sold_at < :end AND s.inventory_item_id IS NOT NULL AND s.status NOT IN {NON_SALES}"
PAYOUT = "COALESCE(s.payout, s.sale_price - COALESCE(s.fees_total, 0))"

_DIALECT = {
    "sqlite": {
        "day": "substr(s.sold_at, 1, 10)",
        "month": "substr(s.sold_at, 1, 7)",
        "week": "date(substr(s.sold_at, 1, 10), '-6 days', 'weekday 1')",
        # Whole days from the pair's purchase to the sale: Julian day numbers of both UTC days.
        "days": "CAST(julianday(s.sold_at) + 0.5 AS INTEGER) - CAST(julianday(s.cost_date) + 0.5 AS INTEGER)",
    },
    "postgresql": {
        "day": "(s.sold_at AT TIME ZONE 'UTC')::date",
        "month": "to_char(s.sold_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        "week": "date_trunc('week', s.sold_at AT TIME ZONE 'UTC')::date",
        "days": "((s.sold_at AT TIME ZONE 'UTC')::date - s.cost_date)",
    },
}
# Group keys (interpolated into SQL, so only these) and the joins each one needs. Month and week
# group the counted sales through report_buckets; these expressions group the few left-out ones.
SALE_KEYS = {
    "month": ("{month}", ""),
    "week": ("{week}", ""),
    "platform": ("s.platform", ""),
    "brand": ("p.brand", "LEFT JOIN products p ON p.id = s.product_id"),
    "sku": ("COALESCE(p.sku, s.sku)", "LEFT JOIN products p ON p.id = s.product_id"),
    "size": ("COALESCE(va.size_norm, s.size)", "LEFT JOIN variants va ON va.id = s.variant_id"),
    "supplier": (
        "sup.name",
        "LEFT JOIN inventory_items i ON i.id = s.inventory_item_id "
        "LEFT JOIN suppliers sup ON sup.id = i.supplier_id",
    ),
}
ITEM_KEYS = {
    "brand": ("p.brand", "JOIN products p ON p.id = i.product_id"),
    "sku": ("p.sku", "JOIN products p ON p.id = i.product_id"),
    "size": ("va.size_norm", "JOIN variants va ON va.id = i.variant_id"),
    "supplier": ("sup.name", "LEFT JOIN suppliers sup ON sup.id = i.supplier_id"),
}


@dataclass(frozen=True)
class Filters:
    """Which sales a report covers: sold_at in [start, end) UTC, one platform or all."""

    start: datetime | None = None
    end: datetime | None = None
    platform: str | None = None

    def where(self, *, times: bool = True) -> str:
        """SQL conditions on the alias `s` (bind names :start, :end, :platform); without the times when
        `report_buckets` holds them."""
        parts = ["1 = 1"]
        if self.start is not None and times:
            parts.append("s.sold_at >= :start")
        if self.end is not None and times:
            parts.append("s.sold_at < :end")
        if self.platform is not None:
            parts.append("lower(s.platform) = lower(:platform)")
        return " AND ".join(parts)

    def params(self, *, times: bool = True) -> dict[str, Any]:
        """Bind values for `where()`."""
        values: dict[str, Any] = {"platform": self.platform}
        if times:
            values.update(start=self.start, end=self.end)
        return {k: v for k, v in values.items() if v is not None}


def as_day(value: Any) -> date:
    """A UTC calendar day from what a driver returns: datetime, date or an ISO string (SQLite)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def dialect_sql(conn: Connection, template: str) -> str:
    """Fill the {day}, {month}, {week} and {days} slots."""
    return template.format(**_DIALECT[conn.dialect.name])


def bound(sql: str, params: dict[str, Any]) -> TextClause:
    """A text() clause with UTC timestamp / date types on the bind names whose values need them."""
    clause = text(sql)
    for name, value in params.items():
        if isinstance(value, date) and re.search(rf":{name}\b", sql):
            type_: TypeEngine[Any] = UTCDateTime() if isinstance(value, datetime) else Date()
            clause = clause.bindparams(bindparam(name, type_=type_))
    return clause


def fx_joins(fx_table: str) -> str:
    """LEFT JOINs of the day-rate table for the sale (xs) and the pair's cost (xc), alias s."""
    return f"""
        LEFT JOIN {fx_table} xs ON s.currency <> :target AND xs.currency = s.currency AND xs.day = {{day}}
        LEFT JOIN {fx_table} xc ON s.cost_currency <> :target AND xc.currency = s.cost_currency
            AND xc.day = s.cost_date"""


class _Sums:
    """SQL sums of amounts in the target currency's minor units (exact integers), per dialect.

    An amount already in the target is summed as it is (on PostgreSQL as NUMERIC, scaled once at the
    end); any other is converted per sale at its day's rate (see `fx.convert_sql`): through a
    correlated lookup on SQLite, which only those sales pay for, and through the rate joined by
    `fx_joins` on PostgreSQL, which hashes the small rate table.
    """

    def __init__(self, conn: Connection, digits: int, rates: DayRates) -> None:
        self.postgres = conn.dialect.name == "postgresql"
        self.digits, self.rates = digits, rates
        self.params: dict[str, Any] = {}
        for n, (currency, (first, last)) in enumerate(sorted(rates.covered.items())):
            if not self.postgres:
                self.params.update({f"fx_cover_{n}": currency, f"fx_from_{n}": first, f"fx_to_{n}": last})

    def sale(self, numeric: str, only: str = "") -> str:
        """The sum of a sale amount (SQL on alias s) over the rows meeting `only` (SQL condition)."""
        return self._sum(numeric, "s.currency", "{day}", "xs", only)

    def cost(self) -> str:
        """The sum of the matched pairs' cost."""
        return self._sum("s.cost_price", "s.cost_currency", "s.cost_date", "xc", "")

    def missing(self) -> str:
        """How many sales have no rate for their amounts or their pair's cost."""
        if self.postgres:
            sale, cost = "xs.rate IS NOT NULL", "xc.rate IS NOT NULL"
        else:  # the days each currency's rates cover, instead of a lookup per sale
            sale, cost = self._covered("s.currency", "{day}"), self._covered("s.cost_currency", "s.cost_date")
        return (
            f"COUNT(*) FILTER (WHERE (s.currency <> :target AND NOT {sale}) "
            f"OR (s.cost_currency <> :target AND NOT {cost}))"
        )

    def _covered(self, currency: str, day: str) -> str:
        whens = " ".join(
            f"WHEN :fx_cover_{n} THEN {day} BETWEEN :fx_from_{n} AND :fx_to_{n}"
            for n in range(len(self.rates.covered))
        )
        return f"(CASE {currency} {whens} ELSE 0 END)" if whens else "0"

    def _sum(self, numeric: str, currency: str, day: str, alias: str, only: str) -> str:
        cents = f"CAST(ROUND({numeric} * 100) AS BIGINT)"
        same, other = (f"{only}{currency} {op} :target" for op in ("=", "<>"))
        if not self.postgres:  # one aggregate per amount, the lookup only for other currencies
            converted = (
                f"(SELECT {fx.convert_sql(cents, 'x.rate', self.digits)} FROM {self.rates.relation} x "  # noqa: S608
                f"WHERE x.currency = {currency} AND x.day = {day})"
            )
            identity = fx.identity_sql(cents, self.digits)
            return f"SUM(CASE WHEN {same} THEN {identity} WHEN {other} THEN {converted} END)"
        if self.digits >= 2:  # NUMERIC sums are exact: scale once
            kept = f"SUM({numeric}) FILTER (WHERE {same}) * {10**self.digits}"
        else:
            kept = f"SUM({fx.identity_sql(cents, self.digits)}) FILTER (WHERE {same})"
        converted = fx.convert_sql(cents, f"{alias}.rate", self.digits)
        return f"CAST(COALESCE({kept}, 0) + COALESCE(SUM({converted}) FILTER (WHERE {other}), 0) AS BIGINT)"


def aggregate(
    conn: Connection,
    key: str | None,
    filters: Filters,
    target: str,
    digits: int,
    rates: DayRates,
    buckets: Buckets | None = None,
    held_end: datetime | None = None,
) -> list[dict[str, Any]]:
    """Sums of the counted sales per group in the target's minor units (integers), one SQL statement.

    Each amount is taken in hundredths and converted per sale at its day's rate (cost: the purchase
    day's). `missing_fx` counts sales whose rates are unknown. Month and week keys need `buckets`.
    With `held_end`, `sold_held` counts the sales matched to a pair before it (see `pairs_sold`).
    """
    sums = _Sums(conn, digits, rates)
    if buckets is not None:
        key_sql, source = "b.label", buckets.sales
    else:
        key_sql, join = SALE_KEYS[key] if key else ("NULL", "")
        source = f"sales s {join}"
    rate_joins = fx_joins(rates.relation) if sums.postgres else ""
    uncosted = "s.cost_price IS NULL AND "
    held_sql = (
        ", COUNT(s.inventory_item_id) FILTER (WHERE s.sold_at < :held_end) AS sold_held" if held_end else ""
    )
    sql = dialect_sql(
        conn,
        f"""
        SELECT {key_sql} AS grp, COUNT(*) AS orders, SUM(s.quantity) AS units,
            {sums.sale("s.sale_price")} AS gross, {sums.sale(PAYOUT)} AS payout,
            {sums.sale("s.vat_amount", "s.vat_amount IS NOT NULL AND ")} AS vat,
            COUNT(s.cost_price) AS costed,
            {sums.sale("s.sale_price", uncosted)} AS uncosted_gross,
            {sums.sale(PAYOUT, uncosted)} AS uncosted_payout,
            {sums.cost()} AS cogs,
            SUM({{days}}) AS days,
            COUNT(*) FILTER (WHERE s.payout IS NULL AND s.fees_total IS NULL) AS no_fee_data,
            {sums.missing()} AS missing_fx
            {held_sql}
        FROM {source} {rate_joins}
        WHERE {filters.where(times=buckets is None)} AND s.status NOT IN {NON_SALES}
        {"GROUP BY 1" if key else ""}
        """,  # noqa: S608 (whitelisted fragments; values are bound)
    )
    params = {
        **filters.params(times=buckets is None),
        "target": target,
        **rates.params,
        **sums.params,
        **(buckets.params if buckets else {}),
        **({"held_end": held_end} if held_end else {}),
    }
    if sums.postgres:
        # The planner prices the conversions so high that JIT compilation kicks in: about a second of
        # compiling for a query that runs in less without it.
        conn.execute(text("SET LOCAL jit = off"))
    rows = []
    for row in conn.execute(bound(sql, params), params):
        sums_row = dict(row._mapping)
        if not sums_row["orders"]:
            continue  # no GROUP BY: one row even when nothing matched
        for name in ("gross", "payout"):  # SUM of no rows is NULL
            sums_row[f"costed_{name}"] = int(sums_row[name] or 0) - int(sums_row.pop(f"uncosted_{name}") or 0)
        rows.append(sums_row)
    return rows


def first_missing_rate(
    conn: Connection, filters: Filters, target: str, rates: DayRates
) -> tuple[str, date, str] | None:
    """The earliest (currency, day, what) a report cannot convert, or None."""
    sql = dialect_sql(
        conn,
        f"""
        SELECT * FROM (
            SELECT s.currency AS cur, {{day}} AS day, 'sales on that day' AS what
            FROM sales s {fx_joins(rates.relation)}
            WHERE {filters.where()} AND s.status NOT IN {NON_SALES}
                AND s.currency <> :target AND xs.rate IS NULL
            UNION ALL
            SELECT s.cost_currency, s.cost_date, 'the cost of pairs bought that day'
            FROM sales s {fx_joins(rates.relation)}
            WHERE {filters.where()} AND s.status NOT IN {NON_SALES}
                AND s.cost_currency <> :target AND xc.rate IS NULL
        ) t ORDER BY day LIMIT 1
        """,  # noqa: S608 (whitelisted fragments; values are bound)
    )
    params = {**filters.params(), "target": target, **rates.params}
    row = conn.execute(bound(sql, params), params).first()
    if row is None:
        return None
    return str(row[0]), as_day(row[1]), str(row[2])


def uncounted(conn: Connection, key: str | None, filters: Filters) -> list[tuple[Any, int, int]]:
    """(group, returned, cancelled) counts of the sales a report leaves out."""
    key_sql, join = SALE_KEYS[key] if key else ("NULL", "")
    sql = dialect_sql(
        conn,
        f"""
        SELECT {key_sql} AS grp,
            SUM(CASE WHEN s.status IN {RETURNED} THEN 1 ELSE 0 END),
            SUM(CASE WHEN s.status IN {CANCELLED} THEN 1 ELSE 0 END)
        FROM sales s {join}
        WHERE {filters.where()} AND s.status IN {NON_SALES}
        GROUP BY 1
        """,  # noqa: S608 (whitelisted fragments; values are bound)
    )
    params = filters.params()
    return [(grp, int(r), int(c)) for grp, r, c in conn.execute(bound(sql, params), params)]


@dataclass(frozen=True)
class SaleDays:
    """The UTC days of a report's first and last sale, and of the first purchase of any pair."""

    first: date
    last: date
    first_purchase: date | None

    @property
    def rates_from(self) -> date:
        """The first day a report over these sales may need a rate for (sales or their pairs' cost)."""
        return min(self.first, self.first_purchase or self.first)


def sale_days(conn: Connection, filters: Filters) -> SaleDays | None:
    """The days of the first and last sale these filters cover (None: no sales), and the first purchase."""
    params = filters.params()
    where = filters.where()
    low, high = (f"SELECT {f}(s.sold_at) FROM sales s WHERE {where}" for f in ("MIN", "MAX"))  # noqa: S608
    sql = f"SELECT ({low}), ({high})"  # two index seeks; MIN and MAX together would scan
    low, high = conn.execute(bound(sql, params), params).one()
    if low is None:
        return None
    bought = conn.execute(text("SELECT MIN(purchase_date) FROM inventory_items")).scalar()
    return SaleDays(as_day(low), as_day(high), None if bought is None else as_day(bought))


def held_pairs(conn: Connection, key: str | None, end: datetime) -> dict[Any, int]:
    """Pairs in the book at `end` per group: pairs bought before it minus pairs sold (matched) before it.

    Removed and personal pairs are out of the book.
    """
    params: dict[str, Any] = {"end": end, "end_day": end.date()}
    if key is None:
        bought = f"SELECT COUNT(*) FROM inventory_items i WHERE {_BOUGHT}"  # noqa: S608
        sold = f"SELECT COUNT(*) FROM sales s WHERE {_SOLD}"  # noqa: S608
        held = conn.execute(bound(f"SELECT ({bought}) - ({sold})", params), params).scalar_one()
        return {None: int(held)}
    item_key, item_join = ITEM_KEYS[key]
    sale_key, sale_join = SALE_KEYS[key]
    sql = dialect_sql(
        conn,
        f"""
        SELECT grp, SUM(n) AS n FROM (
            SELECT {item_key} AS grp, COUNT(*) AS n FROM inventory_items i {item_join}
            WHERE {_BOUGHT} GROUP BY 1
            UNION ALL
            SELECT {sale_key}, -COUNT(*) FROM sales s {sale_join} WHERE {_SOLD} GROUP BY 1
        ) t GROUP BY grp
        """,  # noqa: S608 (whitelisted fragments; values are bound)
    )
    return {grp: int(n) for grp, n in conn.execute(bound(sql, params), params)}


def pairs_bought(conn: Connection, end: datetime, buckets: Buckets | None = None) -> dict[Any, int]:
    """Pairs in the book bought before `end`: in all (key None), or per bucket from the first one's."""
    if buckets is None:
        sql = f"SELECT NULL, COUNT(*) FROM inventory_items i WHERE {_BOUGHT}"  # noqa: S608
    else:  # the buckets hold the times
        sql = (
            f"SELECT b.label, COUNT(*) FROM {buckets.held_pairs} "  # noqa: S608
            f"WHERE i.status NOT IN {OUT_OF_BOOK} GROUP BY b.label"
        )
    return _counts(conn, sql, end, buckets)


def pairs_sold(conn: Connection, end: datetime, buckets: Buckets) -> dict[Any, int]:
    """Counted sales matched to a pair before `end`, per bucket from the first one's start."""
    sql = (
        f"SELECT b.label, COUNT(*) FROM {buckets.held_sales} "  # noqa: S608
        f"WHERE s.inventory_item_id IS NOT NULL AND s.status NOT IN {NON_SALES} GROUP BY b.label"
    )
    return _counts(conn, sql, end, buckets)


def _counts(conn: Connection, sql: str, end: datetime, buckets: Buckets | None) -> dict[Any, int]:
    params = {"end": end, "end_day": end.date(), **(buckets.params if buckets else {})}
    return {grp: int(n) for grp, n in conn.execute(bound(sql, params), params)}
