"""A realistic reseller book for report tests, and an independent pandas/Decimal computation of its KPIs."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from soleflip_cli.models import FxRate, InventoryItem, Sale, SaleFee, Supplier
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant

BRANDS = ["Nike", "Jordan", "adidas", "New Balance"]
PLATFORMS = ["stockx", "alias", "ebay"]
NON_SALES = ("cancelled", "canceled", "returned", "refunded", "didnotship", "authfailed")
CENT = Decimal("0.01")


def build_book(
    session: Session, *, seed: int = 11, sales: int = 240, currencies: tuple[str, ...] = ()
) -> None:
    """Sales over 2023-2024 in USD, EUR and GBP (costs in USD or EUR), some unmatched, returned or
    cancelled, some at the last/first second of a year, fee lines that do not always add up, VAT on
    some; EUR->USD and USD->GBP rates on weekdays only (weekends use Friday's), GBP->EUR on Mondays;
    the opposite directions exist only as inverses."""
    rng = random.Random(seed)
    suppliers = [Supplier(name=f"Shop {k}", kind="retail") for k in range(3)]
    session.add_all(suppliers)
    session.flush()
    variants = []
    for k in range(12):
        product = get_or_create_product(session, sku=f"DZ{k:04d}-100", name=f"Shoe {k}", brand=BRANDS[k % 4])
        variants += [(product, get_or_create_variant(session, product, size)) for size in ("9", "10", "10.5")]
    fx_rows = []
    day, rate = date(2022, 6, 1), Decimal("1.0712")
    while day <= date(2025, 1, 31):
        if day.weekday() < 5:
            rate += Decimal(rng.randrange(-90, 91)) / 10000
            fx_rows.append({"rate_date": day, "base": "EUR", "quote": "USD", "rate": rate, "source": "test"})
            fx_rows.append(
                {
                    "rate_date": day,
                    "base": "USD",
                    "quote": "GBP",
                    "rate": Decimal("0.78") + Decimal(rng.randrange(0, 500)) / 100000,
                    "source": "test",
                }
            )
        if day.weekday() == 0:
            fx_rows.append(
                {"rate_date": day, "base": "GBP", "quote": "EUR", "rate": Decimal("1.1523"), "source": "t"}
            )
        day += timedelta(days=1)
    session.execute(insert(FxRate), fx_rows)
    specials = [
        datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC),
        datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    for n in range(sales):
        product, variant = variants[rng.randrange(len(variants))]
        sold_at = (
            specials[n]
            if n < len(specials)
            else datetime(2023, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(2 * 365 * 86400))
        )
        currency = rng.choice(currencies or ("USD", "USD", "EUR", "GBP"))
        price = Decimal(rng.randrange(9000, 60000)) / 100
        fees = (price * Decimal(rng.randrange(80, 160)) / 1000).quantize(CENT)
        status = rng.choice(["completed"] * 12 + ["returned", "refunded", "cancelled", "didnotship"])
        item = None
        if rng.random() < 0.8:
            cost_currency = currency if currency != "GBP" else "USD"
            item = InventoryItem(
                product_id=product.id,
                variant_id=variant.id,
                purchase_price=(price * Decimal("0.7")).quantize(CENT),
                purchase_currency=rng.choice([cost_currency, "USD"]) if not currencies else currency,
                purchase_date=(sold_at - timedelta(days=rng.randrange(0, 200))).date(),
                supplier_id=rng.choice(suppliers).id,
                status="sold" if status == "completed" else "in_stock",
            )
            session.add(item)
            session.flush()
        sale = Sale(
            platform=PLATFORMS[n % 3],
            external_id=f"O-{n:05d}",
            product_id=product.id,
            variant_id=variant.id,
            sku=product.sku,
            size=variant.size,
            sold_at=sold_at,
            sale_price=price,
            currency=currency,
            status=status,
            fees_total=fees if n % 7 else None,
            payout=price - fees if n % 5 else None,
            vat_amount=(price * Decimal("0.19")).quantize(CENT) if n % 9 == 0 else None,
            inventory_item_id=item.id if item else None,
        )
        if n % 4 == 0:
            sale.fees = [
                SaleFee(
                    name="Seller fee",
                    kind="transaction",
                    amount=(fees * Decimal("0.6")).quantize(CENT),
                    currency=currency,
                ),
                SaleFee(
                    name="Payment processing", kind="processing", amount=Decimal("3.10"), currency=currency
                ),
            ]
        session.add(sale)
    for k in range(15):  # pairs never sold
        product, variant = variants[k]
        session.add(
            InventoryItem(
                product_id=product.id,
                variant_id=variant.id,
                purchase_price=Decimal("120.00"),
                purchase_currency="USD",
                purchase_date=date(2023, 3, 1) + timedelta(days=40 * k),
                status="in_stock" if k % 5 else "removed",
            )
        )
    session.flush()


def _rate(fx: pd.DataFrame, currency: str, target: str, day: date) -> Decimal | None:
    """The rule, re-implemented: the pair's own latest rate on or before the day, else 1 / the opposite's."""
    if currency == target:
        return Decimal(1)
    for base, quote, invert in ((currency, target, False), (target, currency, True)):
        rows = fx[(fx.base == base) & (fx.quote == quote) & (fx.rate_date <= day)]
        if len(rows):
            rate = Decimal(str(rows.sort_values("rate_date").iloc[-1].rate))
            return 1 / rate if invert else rate
    return None


def expected(
    session: Session,
    *,
    target: str = "USD",
    start: date | None = None,
    end: date | None = None,
    by: str | None = None,
) -> dict[Any, dict[str, Any]]:
    """KPIs computed independently from the raw tables with pandas and Decimal (per-sale rounding)."""
    conn = session.connection()
    sales = pd.read_sql(select(Sale.__table__), conn)
    items = pd.read_sql(select(InventoryItem.__table__), conn).add_prefix("i_")
    fx = pd.read_sql(select(FxRate.__table__), conn)
    fx["rate_date"] = pd.to_datetime(fx.rate_date).dt.date
    df = sales.merge(items, how="left", left_on="inventory_item_id", right_on="i_id")
    df["day"] = pd.to_datetime(df.sold_at, utc=True).dt.date
    df = df[~df.status.isin(NON_SALES)]
    if start:
        df = df[df.day >= start]
    if end:
        df = df[df.day <= end]

    def money(value: Any) -> Decimal:
        return Decimal(str(value)).quantize(CENT)

    def conv(amount: Decimal, currency: str, day: date) -> Decimal:
        rate = _rate(fx, currency, target, day)
        assert rate is not None, f"fixture lacks a rate {currency}->{target} {day}"
        return (amount * rate).quantize(CENT, ROUND_HALF_UP)

    out = []
    for row in df.itertuples():
        gross = money(row.sale_price)
        payout = (
            money(row.payout)
            if pd.notna(row.payout)
            else gross - (money(row.fees_total) if pd.notna(row.fees_total) else 0)
        )
        costed = pd.notna(row.inventory_item_id)
        purchase = pd.to_datetime(row.i_purchase_date).date() if costed else None
        out.append(
            {
                "grp": getattr(row, by) if by else None,
                "gross": conv(gross, row.currency, row.day),
                "payout": conv(payout, row.currency, row.day),
                "cogs": conv(money(row.i_purchase_price), row.i_purchase_currency, purchase)
                if costed
                else Decimal(0),
                "costed": costed,
            }
        )
    result: dict[Any, dict[str, Any]] = {}
    for r in out:
        g = result.setdefault(
            r["grp"],
            {
                "orders": 0,
                "gross": Decimal(0),
                "payout": Decimal(0),
                "cogs": Decimal(0),
                "costed_payout": Decimal(0),
                "no_cost_basis": 0,
            },
        )
        g["orders"] += 1
        g["gross"] += r["gross"]
        g["payout"] += r["payout"]
        g["cogs"] += r["cogs"]
        g["costed_payout"] += r["payout"] if r["costed"] else 0
        g["no_cost_basis"] += 0 if r["costed"] else 1
    for g in result.values():
        g["fees"] = g["gross"] - g["payout"]
        g["profit"] = g["costed_payout"] - g["cogs"]
    return result
