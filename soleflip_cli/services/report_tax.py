"""`report tax`: the per-sale ledger of a year with its totals and the inventory at cost on 31 December."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from soleflip_cli.db import connection_of
from soleflip_cli.money import minor_digits
from soleflip_cli.services import fx, report, report_sql
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

UNITEMISED = "other (not itemised)"


@dataclass(frozen=True)
class LedgerRow:
    """One counted sale; amounts in the report currency, `fees` by fee line name."""

    sale_id: int
    date: date
    platform: str
    order_id: str
    item: str | None
    sku: str | None
    size: str | None
    sale_price: Decimal
    fees: dict[str, Decimal]
    fees_total: Decimal
    payout: Decimal
    vat: Decimal | None
    cost: Decimal | None
    profit: Decimal | None
    original_currency: str


@dataclass(frozen=True)
class InventoryValue:
    """Pairs in the book at the end of `on` (bought by then, not sold by then) at their cost."""

    on: date
    pairs: int
    cost: Decimal


@dataclass(frozen=True)
class TaxLedger:
    """The year's sales one by one, the totals (the year's summary) and the closing inventory."""

    year: int
    currency: str
    fee_names: list[str]
    rows: list[LedgerRow]
    fee_totals: dict[str, Decimal]
    totals: report.Summary
    inventory: InventoryValue


def _ledger_sql(conn: Connection, filters: report_sql.Filters, digits: int, fx_table: str) -> str:
    def conv(cents: str, rate: str, same: str) -> str:
        return fx.to_target_sql(cents, rate, same, digits)

    same, same_cost = "s.currency = :target", "i.purchase_currency = :target"
    return report_sql.dialect_sql(
        conn,
        f"""
        SELECT s.id, {{day}} AS day, s.platform, s.external_id, COALESCE(s.item_name, p.name) AS item,
            COALESCE(p.sku, s.sku) AS sku, COALESCE(s.size, va.size) AS size, s.currency,
            {conv("CAST(ROUND(s.sale_price * 100) AS BIGINT)", "xs.rate", same)} AS gross,
            {conv(f"CAST(ROUND({report_sql.PAYOUT} * 100) AS BIGINT)", "xs.rate", same)} AS payout,
            CASE WHEN s.vat_amount IS NOT NULL THEN
                {conv("CAST(ROUND(s.vat_amount * 100) AS BIGINT)", "xs.rate", same)} END AS vat,
            CASE WHEN i.id IS NOT NULL THEN
                {conv("CAST(ROUND(i.purchase_price * 100) AS BIGINT)", "xc.rate", same_cost)}
                END AS cost
        FROM sales s
        LEFT JOIN inventory_items i ON i.id = s.inventory_item_id
        LEFT JOIN products p ON p.id = s.product_id
        LEFT JOIN variants va ON va.id = s.variant_id
        {report_sql.fx_joins(fx_table)}
        WHERE {filters.where()} AND s.status NOT IN {NON_SALES}
        ORDER BY s.sold_at, s.id
        """,  # noqa: S608 (whitelisted fragments; values are bound)
    )


def _fee_sql(conn: Connection, filters: report_sql.Filters, digits: int, fx_table: str) -> str:
    cents = "CAST(ROUND(f.amount * 100) AS BIGINT)"
    return report_sql.dialect_sql(
        conn,
        f"""
        SELECT f.sale_id, f.name, f.currency,
               SUM({fx.to_target_sql(cents, "x.rate", "f.currency = :target", digits)})
        FROM sale_fees f JOIN sales s ON s.id = f.sale_id
        LEFT JOIN {fx_table} x ON x.currency = f.currency AND x.day = {{day}}
        WHERE {filters.where()} AND s.status NOT IN {NON_SALES}
        GROUP BY f.sale_id, f.name, f.currency
        """,  # noqa: S608 (whitelisted fragments; values are bound)
    )


def tax_ledger(db: Session | Connection, *, year: int, currency: str) -> TaxLedger:
    """Every counted sale of the UTC calendar year with each fee line, in `currency`, and the closing stock.

    Fee lines that do not add up to gross - payout get an extra "other (not itemised)" line, so each
    row's fees always sum to its fees_total. Totals are `report.summarize` of the same year.
    """
    conn = connection_of(db)
    period = report.resolve_period(year=year)
    totals = report.summarize(conn, period=period, currency=currency)
    target, digits = totals.currency, minor_digits(totals.currency)
    filters = period.filters()
    end = datetime.combine(date(year + 1, 1, 1), time(), UTC)
    days = report_sql.sale_days(conn, filters)
    first = days.rates_from if days else date(year, 1, 1)
    params: dict[str, Any] = {**filters.params(), "target": target}

    def money(minor: Any) -> Decimal:
        return Decimal(int(minor)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))

    with fx.day_rates(conn, target, min(first, date(year, 1, 1)), date(year, 12, 31)) as table:
        sales = conn.execute(
            report_sql.bound(_ledger_sql(conn, filters, digits, table), params), params
        ).all()
        fee_rows = conn.execute(
            report_sql.bound(_fee_sql(conn, filters, digits, table), params), params
        ).all()
        inventory = _inventory(conn, target, digits, end, table)
    days_of = {row[0]: row[1] for row in sales}
    fees: dict[int, dict[str, Decimal]] = {}
    for sale_id, name, fee_currency, amount in fee_rows:
        if amount is None:  # a fee line in a currency without a rate that day (the sale's own has one)
            day = report_sql.as_day(days_of[sale_id])
            raise fx.missing_rate_error(str(fee_currency), target, day, f"a fee line of sale {sale_id}")
        lines = fees.setdefault(sale_id, {})
        lines[name] = lines.get(name, Decimal(0)) + money(amount)
    rows = []
    for sale_id, day, platform, order_id, item, sku, size, original, gross, payout, vat, cost in sales:
        lines = dict(fees.get(sale_id, {}))
        fees_total = money(gross) - money(payout)
        if sum(lines.values(), Decimal(0)) != fees_total:
            lines[UNITEMISED] = fees_total - sum(lines.values(), Decimal(0))
        rows.append(
            LedgerRow(
                sale_id,
                report_sql.as_day(day),
                platform,
                order_id,
                item,
                sku,
                size,
                money(gross),
                lines,
                fees_total,
                money(payout),
                None if vat is None else money(vat),
                None if cost is None else money(cost),
                None if cost is None else money(payout) - money(cost),
                original,
            )
        )
    names = sorted({name for row in rows for name in row.fees}, key=lambda n: (n == UNITEMISED, n))
    fee_totals = {name: sum((r.fees.get(name, Decimal(0)) for r in rows), money(0)) for name in names}
    return TaxLedger(year, target, names, rows, fee_totals, totals, inventory)


def _inventory(conn: Connection, target: str, digits: int, end: datetime, fx_table: str) -> InventoryValue:
    cents = "CAST(ROUND(i.purchase_price * 100) AS BIGINT)"
    body = f"""
        FROM inventory_items i
        LEFT JOIN {fx_table} x ON x.currency = i.purchase_currency AND x.day = i.purchase_date
        WHERE i.purchase_date < :end_day AND i.status NOT IN {report_sql.OUT_OF_BOOK}
        AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.inventory_item_id = i.id
                        AND s.status NOT IN {NON_SALES} AND s.sold_at < :end)
    """  # noqa: S608
    params = {"target": target, "end": end, "end_day": end.date()}
    missing = conn.execute(
        report_sql.bound(
            f"SELECT i.purchase_currency, i.purchase_date {body} AND i.purchase_currency <> :target "
            "AND x.rate IS NULL ORDER BY i.purchase_date LIMIT 1",
            params,
        ),
        params,
    ).first()
    if missing is not None:
        day = report_sql.as_day(missing[1])
        raise fx.missing_rate_error(str(missing[0]), target, day, "the cost of pairs bought that day")
    converted = fx.to_target_sql(cents, "x.rate", "i.purchase_currency = :target", digits)
    sql = f"SELECT COUNT(*), SUM({converted}) {body}"  # noqa: S608
    pairs, total = conn.execute(report_sql.bound(sql, params), params).one()
    quantum = Decimal(1).scaleb(-digits)
    return InventoryValue(
        date(end.year - 1, 12, 31), int(pairs), Decimal(int(total or 0)).scaleb(-digits).quantize(quantum)
    )


def fee_keys(names: Iterable[str]) -> dict[str, str]:
    """A snake_case column per fee line name (`Final Value Fee - fixed` -> fee_final_value_fee_fixed)."""
    keys: dict[str, str] = {}
    for name in names:
        key = "fee_" + ("_".join(re.findall(r"[a-z0-9]+", name.lower())) or "other")
        while key in keys.values():  # two names alike but for punctuation: both kept
            key += "_2"
        keys[name] = key
    return keys


def ledger_records(ledger: TaxLedger) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """Flat records for exports: one per sale (a `fee_<name>` column per fee line), the total, the stock."""
    keys = fee_keys(ledger.fee_names)
    rows = [
        {
            "row_type": "sale",
            "date": r.date,
            "platform": r.platform,
            "order_id": r.order_id,
            "item": r.item,
            "sku": r.sku,
            "size": r.size,
            "sale_price": r.sale_price,
        }
        | {keys[n]: r.fees.get(n) for n in ledger.fee_names}
        | {
            "fees": r.fees_total,
            "payout": r.payout,
            "vat": r.vat,
            "cost": r.cost,
            "profit": r.profit,
            "currency": ledger.currency,
            "original_currency": r.original_currency,
        }
        for r in ledger.rows
    ]
    t = ledger.totals
    total = {
        "row_type": "total",
        "sale_price": t.gross,
        "fees": t.fees,
        "payout": t.payout,
        "vat": t.vat,
        "cost": t.cogs,
        "profit": t.profit,
        "currency": ledger.currency,
    }
    total |= {keys[n]: v for n, v in ledger.fee_totals.items()}
    stock = {
        "row_type": "inventory",
        "date": ledger.inventory.on,
        "item": f"{ledger.inventory.pairs} pairs held",
        "cost": ledger.inventory.cost,
        "currency": ledger.currency,
    }
    return rows, total, stock
