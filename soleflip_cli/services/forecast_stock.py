"""How long today's stock lasts at the forecast rate, and which SKUs paid best to restock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from soleflip_cli.errors import NotFoundError
from soleflip_cli.models import InventoryItem, Product, Sale, Variant
from soleflip_cli.money import quantize
from soleflip_cli.services.forecast import ARIMA_MAX_SERIES, default_as_of, load_sales, utc_day
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES
from soleflip_cli.tables import SELLABLE

HORIZON_DAYS = 28


@dataclass(frozen=True)
class StockRow:
    """Pairs in stock of one SKU and size, and the days they need at the forecast daily rate.

    The rate is the SKU's forecast split by the size's recent share of its sales.
    """

    brand: str | None
    sku: str | None
    name: str | None
    size: str
    pairs: int
    cost: Decimal
    currency: str
    oldest_purchase: date
    forecast_per_day: float | None
    days_to_sell: float | None
    method: str | None
    note: str | None


@dataclass(frozen=True)
class RestockRow:
    """Realised results of one SKU's sold pairs (sales matched to inventory, same currency)."""

    brand: str | None
    sku: str | None
    name: str | None
    sold: int
    avg_days_to_sell: float
    cost: Decimal
    payout: Decimal
    profit: Decimal
    currency: str
    roi: float
    roi_per_30_days: float
    forecast_units_28d: float | None


@dataclass(frozen=True)
class StockOutlook:
    """Days-to-sell of the stock and the restock ranking (best ROI per 30 days held first)."""

    source: str
    as_of: date
    horizon_days: int
    stock: list[StockRow]
    restock: list[RestockRow]
    skipped_sales: int


def _days_held(session: Session) -> ColumnElement[Any]:
    dialect = session.get_bind().dialect.name
    sold = utc_day(Sale.sold_at, dialect)
    if dialect == "postgresql":
        return sold - InventoryItem.purchase_date
    return func.julianday(sold) - func.julianday(InventoryItem.purchase_date)


def _stock(session: Session) -> list[Any]:
    query = (
        select(
            InventoryItem.product_id,
            Product.sku,
            Product.name,
            Product.brand,
            Variant.size_norm,
            InventoryItem.purchase_currency,
            func.count().label("pairs"),
            func.sum(InventoryItem.purchase_price).label("cost"),
            func.min(InventoryItem.purchase_date).label("oldest"),
        )
        .join(Product, Product.id == InventoryItem.product_id)
        .join(Variant, Variant.id == InventoryItem.variant_id)
        .where(InventoryItem.status.in_(SELLABLE))
        .group_by(
            InventoryItem.product_id,
            Product.sku,
            Product.name,
            Product.brand,
            Variant.size_norm,
            InventoryItem.purchase_currency,
        )
        .order_by(Product.sku, Product.name, Variant.size_norm)
    )
    return list(session.execute(query))


def _restock(session: Session) -> tuple[list[Any], int]:
    payout = func.coalesce(Sale.payout, Sale.sale_price - Sale.fees_total)
    matched = (
        select(Sale.id)
        .join(InventoryItem, InventoryItem.id == Sale.inventory_item_id)
        .where(Sale.status.not_in(NON_SALES))
    )
    usable = matched.where(Sale.currency == InventoryItem.purchase_currency, payout.is_not(None))
    total = session.scalar(select(func.count()).select_from(matched.subquery())) or 0
    query = (
        select(
            InventoryItem.product_id,
            Product.sku,
            Product.name,
            Product.brand,
            Sale.currency,
            func.count().label("sold"),
            func.sum(InventoryItem.purchase_price).label("cost"),
            func.sum(payout).label("payout"),
            func.sum(_days_held(session)).label("days"),
        )
        .join(InventoryItem, InventoryItem.id == Sale.inventory_item_id)
        .join(Product, Product.id == InventoryItem.product_id)
        .where(Sale.id.in_(usable))
        .group_by(InventoryItem.product_id, Product.sku, Product.name, Product.brand, Sale.currency)
    )
    rows = list(session.execute(query))
    return rows, int(total) - sum(int(r.sold) for r in rows)


@dataclass(frozen=True)
class _Rates:
    """Mean daily forecast over the horizon per product, and per product and size (top-down)."""

    product: dict[str, float]
    size: dict[tuple[str, str], float]
    method: str | None


def _rates(session: Session, source: str, as_of: date, product_ids: Sequence[int]) -> _Rates:
    from soleflip_cli.analytics.forecast import forecast_panel, size_shares
    from soleflip_cli.analytics.panel import build_panel

    if not product_ids:
        return _Rates({}, {}, None)
    try:
        frame = load_sales(session, source=source, skus=(), as_of=as_of, product_ids=product_ids)
    except NotFoundError:
        return _Rates({}, {}, None)
    panel = build_panel(frame, ["product"], "day", as_of)
    if panel.n_periods == 0:
        return _Rates({}, {}, None)
    result = forecast_panel(panel, horizon=HORIZON_DAYS, arima_max_series=ARIMA_MAX_SERIES)
    means = result.frame.groupby("product")["units"].mean()
    product = {str(k): float(v) for k, v in means.items()}
    shares = size_shares(frame, as_of)
    size = {}
    for (key, size_norm), share in zip(shares.index.tolist(), shares.tolist(), strict=True):
        size[(str(key), str(size_norm))] = product.get(str(key), 0.0) * float(share)
    return _Rates(product, size, result.method)


def stock_outlook(
    session: Session, *, source: str = "own", as_of: date | None = None, limit: int = 10
) -> StockOutlook:
    """Days to sell each SKU-size lot in stock at the forecast rate, and the best SKUs to restock."""
    end = as_of or default_as_of(session, source)
    stock = _stock(session)
    restock, skipped = _restock(session)
    rates = _rates(session, source, end, sorted({r.product_id for r in [*stock, *restock]}))
    stock_rows = [_stock_row(r, rates, source) for r in stock]
    ranked = sorted((_restock_row(r, rates) for r in restock), key=lambda r: (-r.roi_per_30_days, -r.sold))
    return StockOutlook(source, end, HORIZON_DAYS, stock_rows, ranked[:limit], skipped)


def _stock_row(row: Any, rates: _Rates, source: str) -> StockRow:
    product = str(row.product_id)
    rate = rates.size.get((product, str(row.size_norm)))
    note = None
    days = None
    if product not in rates.product:
        note = f"no {source} sales of this SKU"
    elif rate is None:
        rate = 0.0
        note = f"this size has no {source} sales"
    if rate is not None and rate < 1e-6:
        note = note or "the forecast rate is zero"
    elif rate is not None:
        days = round(row.pairs / rate, 1)
    return StockRow(
        brand=row.brand,
        sku=row.sku,
        name=row.name,
        size=row.size_norm,
        pairs=int(row.pairs),
        cost=quantize(Decimal(str(row.cost)), row.purchase_currency),
        currency=row.purchase_currency,
        oldest_purchase=row.oldest,
        forecast_per_day=None if rate is None else round(rate, 4),
        days_to_sell=days,
        method=f"{rates.method} x size share" if rate is not None else None,
        note=note,
    )


def _restock_row(row: Any, rates: _Rates) -> RestockRow:
    cost = quantize(Decimal(str(row.cost)), row.currency)
    payout = quantize(Decimal(str(row.payout)), row.currency)
    profit = payout - cost
    roi = float(profit / cost) if cost > 0 else 0.0
    avg_days = float(row.days) / int(row.sold)
    rate = rates.product.get(str(row.product_id))
    return RestockRow(
        brand=row.brand,
        sku=row.sku,
        name=row.name,
        sold=int(row.sold),
        avg_days_to_sell=round(avg_days, 1),
        cost=cost,
        payout=payout,
        profit=profit,
        currency=row.currency,
        roi=round(roi, 4),
        roi_per_30_days=round(roi * 30 / max(avg_days, 1.0), 4),
        forecast_units_28d=None if rate is None else round(rate * HORIZON_DAYS, 2),
    )
