"""SQL of the profit reports: per-sale amounts in hundredths, converted and summed as exact integers.

The expressions mirror the v_sales_enriched view (migration 0003); tests check that both agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, TextClause, bindparam, text
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from soleflip_cli.models import UTCDateTime
from soleflip_cli.services.fx import lookup_sql, missing_sql
from soleflip_cli.services.matching import NON_SALES

# Sale statuses as the importers and `match_sales` store them (lower case): these sales are left out.
RETURNED = ("returned", "refunded")
CANCELLED = tuple(status for status in NON_SALES if status not in RETURNED)
OUT_OF_BOOK = ("removed", "personal")
PAYOUT = "COALESCE(s.payout, s.sale_price - COALESCE(s.fees_total, 0))"

_DIALECT = {
    "sqlite": {
        "day": "substr(s.sold_at, 1, 10)",
        "month": "substr(s.sold_at, 1, 7)",
        "week": "date(substr(s.sold_at, 1, 10), '-6 days', 'weekday 1')",
        "days": "CAST(julianday(substr(s.sold_at, 1, 10)) - julianday(i.purchase_date) AS INTEGER)",
        "item_month": "substr(i.purchase_date, 1, 7)",
        "item_week": "date(i.purchase_date, '-6 days', 'weekday 1')",
    },
    "postgresql": {
        "day": "(s.sold_at AT TIME ZONE 'UTC')::date",
        "month": "to_char(s.sold_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        "week": "date_trunc('week', s.sold_at AT TIME ZONE 'UTC')::date",
        "days": "((s.sold_at AT TIME ZONE 'UTC')::date - i.purchase_date)",
        "item_month": "to_char(i.purchase_date, 'YYYY-MM')",
        "item_week": "date_trunc('week', i.purchase_date)::date",
    },
}
# Group keys (interpolated into SQL, so only these) and the joins each one needs.
SALE_KEYS = {
    "month": ("{month}", ""),
    "week": ("{week}", ""),
    "platform": ("s.platform", ""),
    "brand": ("p.brand", "LEFT JOIN products p ON p.id = s.product_id"),
    "sku": ("COALESCE(p.sku, s.sku)", "LEFT JOIN products p ON p.id = s.product_id"),
    "size": ("COALESCE(va.size_norm, s.size)", "LEFT JOIN variants va ON va.id = s.variant_id"),
    "supplier": ("sup.name", "LEFT JOIN suppliers sup ON sup.id = i.supplier_id"),
}
ITEM_KEYS = {
    "month": ("{item_month}", ""),
    "week": ("{item_week}", ""),
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

    def where(self) -> str:
        """SQL conditions on the alias `s` (bind names :start, :end, :platform)."""
        parts = ["1 = 1"]
        if self.start is not None:
            parts.append("s.sold_at >= :start")
        if self.end is not None:
            parts.append("s.sold_at < :end")
        if self.platform is not None:
            parts.append("lower(s.platform) = lower(:platform)")
        return " AND ".join(parts)

    def params(self) -> dict[str, Any]:
        """Bind values for `where()`."""
        values: dict[str, Any] = {"start": self.start, "end": self.end, "platform": self.platform}
        return {k: v for k, v in values.items() if v is not None}


def as_day(value: Any) -> date:
    """A UTC calendar day from what a driver returns: datetime, date or an ISO string (SQLite)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def dialect_sql(session: Session, template: str) -> str:
    """Fill the {day}, {month}, {week}, {days}, {item_month}, {item_week} slots."""
    return template.format(**_DIALECT[session.get_bind().dialect.name])


def bound(sql: str, params: dict[str, Any]) -> TextClause:
    """A text() clause with UTC timestamp / date types on the bind names that need them."""
    clause = text(sql)
    types: dict[str, TypeEngine[Any]] = {"start": UTCDateTime(), "end": UTCDateTime(), "end_day": Date()}
    for name, type_ in types.items():
        if name in params and re.search(rf":{name}\b", sql):
            clause = clause.bindparams(bindparam(name, type_=type_))
    return clause


def fx_joins(fx_table: str) -> str:
    """LEFT JOINs of the day-rate table for the sale (xs) and the pair's purchase (xc), aliases s and i."""
    return f"""
        LEFT JOIN {fx_table} xs ON s.currency <> :target AND xs.currency = s.currency AND xs.day = {{day}}
        LEFT JOIN {fx_table} xc ON i.purchase_currency <> :target AND xc.currency = i.purchase_currency
            AND xc.day = i.purchase_date"""


def aggregate(
    session: Session, key: str | None, filters: Filters, target: str, digits: int, fx_table: str
) -> list[dict[str, Any]]:
    """Sums of the counted sales per group in the target's minor units (integers), one SQL statement.

    Each amount is taken in hundredths and converted per sale (see `fx.convert_sql`); amounts already
    in the target currency skip the conversion. `missing_fx` counts sales whose rate is unknown.
    """
    key_sql, join = SALE_KEYS[key] if key else ("NULL", "")

    def sale(cents: str) -> str:
        return lookup_sql(cents, "s.currency", "{day}", digits, fx_table)

    gross = sale("CAST(ROUND(s.sale_price * 100) AS BIGINT)")
    payout = sale(f"CAST(ROUND({PAYOUT} * 100) AS BIGINT)")
    vat_cents = sale("CAST(ROUND(s.vat_amount * 100) AS BIGINT)")
    vat = f"(CASE WHEN s.vat_amount IS NULL THEN 0 ELSE {vat_cents} END)"
    cost = lookup_sql(
        "CAST(ROUND(i.purchase_price * 100) AS BIGINT)",
        "i.purchase_currency",
        "i.purchase_date",
        digits,
        fx_table,
    )
    sql = dialect_sql(
        session,
        f"""
        SELECT {key_sql} AS grp, COUNT(*) AS orders, SUM(s.quantity) AS units,
            SUM({gross}) AS gross, SUM({payout}) AS payout, SUM({vat}) AS vat,
            COUNT(i.id) AS costed,
            SUM(CASE WHEN i.id IS NOT NULL THEN {gross} ELSE 0 END) AS costed_gross,
            SUM(CASE WHEN i.id IS NOT NULL THEN {payout} ELSE 0 END) AS costed_payout,
            SUM(CASE WHEN i.id IS NOT NULL THEN {cost} ELSE 0 END) AS cogs,
            SUM(CASE WHEN i.id IS NOT NULL THEN {{days}} ELSE 0 END) AS days,
            SUM(CASE WHEN s.payout IS NULL AND s.fees_total IS NULL THEN 1 ELSE 0 END) AS no_fee_data,
            SUM({missing_sql("s.currency", "{day}", fx_table)}
                + {missing_sql("i.purchase_currency", "i.purchase_date", fx_table)}) AS missing_fx
        FROM sales s
        LEFT JOIN inventory_items i ON i.id = s.inventory_item_id
        {join}
        WHERE {filters.where()} AND s.status NOT IN {NON_SALES}
        {"GROUP BY 1" if key else ""}
        """,  # noqa: S608 (whitelisted fragments; values are bound)
    )
    params = {**filters.params(), "target": target}
    if session.get_bind().dialect.name == "postgresql":
        # The planner prices the per-sale rate subqueries so high that JIT compilation kicks in: about
        # a second of compiling for a query that runs in about as long without it.
        session.execute(text("SET LOCAL jit = off"))
    rows = [dict(row._mapping) for row in session.execute(bound(sql, params), params)]
    return [row for row in rows if row["orders"]]  # no GROUP BY: one row even when nothing matched


def first_missing_rate(
    session: Session, filters: Filters, target: str, fx_table: str
) -> tuple[str, date, str] | None:
    """The earliest (currency, day, what) a report cannot convert, or None."""
    sql = dialect_sql(
        session,
        f"""
        SELECT * FROM (
            SELECT s.currency AS cur, {{day}} AS day, 'sales on that day' AS what
            FROM sales s LEFT JOIN inventory_items i ON i.id = s.inventory_item_id {fx_joins(fx_table)}
            WHERE {filters.where()} AND s.status NOT IN {NON_SALES}
                AND s.currency <> :target AND xs.rate IS NULL
            UNION ALL
            SELECT i.purchase_currency, i.purchase_date, 'the cost of pairs bought that day'
            FROM sales s JOIN inventory_items i ON i.id = s.inventory_item_id {fx_joins(fx_table)}
            WHERE {filters.where()} AND s.status NOT IN {NON_SALES}
                AND i.purchase_currency <> :target AND xc.rate IS NULL
        ) t ORDER BY day LIMIT 1
        """,  # noqa: S608 (whitelisted fragments; values are bound)
    )
    params = {**filters.params(), "target": target}
    row = session.execute(bound(sql, params), params).first()
    if row is None:
        return None
    return str(row[0]), as_day(row[1]), str(row[2])


def uncounted(session: Session, key: str | None, filters: Filters) -> list[tuple[Any, int, int]]:
    """(group, returned, cancelled) counts of the sales a report leaves out."""
    key_sql, join = SALE_KEYS[key] if key else ("NULL", "")
    if key == "supplier":
        join = "LEFT JOIN inventory_items i ON i.id = s.inventory_item_id " + join
    sql = dialect_sql(
        session,
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
    return [(grp, int(r), int(c)) for grp, r, c in session.execute(bound(sql, params), params)]


def needed_days(session: Session, filters: Filters) -> tuple[date, date] | None:
    """The first and last UTC day a report over these sales may need a rate for (sales or purchases)."""
    params = filters.params()
    where = filters.where()
    low, high = (f"SELECT {f}(s.sold_at) FROM sales s WHERE {where}" for f in ("MIN", "MAX"))  # noqa: S608
    sql = f"SELECT ({low}), ({high})"  # two index seeks; MIN and MAX together would scan
    low, high = session.execute(bound(sql, params), params).one()
    if low is None:
        return None
    bought = session.execute(text("SELECT MIN(purchase_date) FROM inventory_items")).scalar()
    days = [as_day(d) for d in (low, high, bought) if d is not None]
    return min(days), max(days)


def held_pairs(session: Session, key: str | None, end: datetime) -> dict[Any, int]:
    """Pairs in the book at `end` per group: pairs bought before it minus pairs sold (matched) before it.

    Removed and personal pairs are out of the book. Month/week keys count the pairs bought or sold in
    each bucket; `report.py` accumulates them into the count at each bucket's end.
    """
    item_key, item_join = ITEM_KEYS[key] if key else ("NULL", "")
    sale_key, sale_join = SALE_KEYS[key] if key else ("NULL", "")
    if key == "supplier":
        sale_join = "LEFT JOIN inventory_items i ON i.id = s.inventory_item_id " + sale_join
    sql = dialect_sql(
        session,
        f"""
        SELECT grp, SUM(n) AS n FROM (
            SELECT {item_key} AS grp, COUNT(*) AS n FROM inventory_items i {item_join}
            WHERE i.purchase_date < :end_day AND i.status NOT IN {OUT_OF_BOOK} GROUP BY 1
            UNION ALL
            SELECT {sale_key}, -COUNT(*) FROM sales s {sale_join}
            WHERE s.inventory_item_id IS NOT NULL AND s.status NOT IN {NON_SALES}
            AND s.sold_at < :end GROUP BY 1
        ) t GROUP BY grp
        """,  # noqa: S608 (whitelisted fragments; values are bound)
    )
    params: dict[str, Any] = {"end": end, "end_day": end.date()}
    return {grp: int(n) for grp, n in session.execute(bound(sql, params), params)}
