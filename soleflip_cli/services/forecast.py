"""Sales forecasts per level, and the SQL that loads daily own or market sales for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Date, Select, cast, func, or_, select
from sqlalchemy.orm import Session

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.errors import NotFoundError, UsageError
from soleflip_cli.models import MarketSale, Product, Sale, Variant
from soleflip_cli.money import quantize
from soleflip_cli.services.products import product_key
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES

if TYPE_CHECKING:
    import pandas as pd

LEVELS = ("total", "brand", "sku", "sku-size")
SOURCES = ("own", "market")
DEFAULT_HORIZON = {"day": 28, "week": 4, "month": 1}
# Revenue uses the series' average price over this many recent days (all history if none).
PRICE_DAYS = 90
# ARIMA (about 0.1 s a fit) is tried only on levels with at most this many series.
ARIMA_MAX_SERIES = 10
KEYS = {"total": ["total"], "brand": ["brand"], "sku": ["product"], "sku-size": ["product", "size"]}


@dataclass(frozen=True)
class ForecastRow:
    """One series in one future period: units with 80 %/95 % intervals, and revenue at its recent price."""

    brand: str | None
    sku: str | None
    name: str | None
    size: str | None
    period: date
    units: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float
    revenue: Decimal | None
    revenue_lower_95: Decimal | None
    revenue_upper_95: Decimal | None
    currency: str | None
    method: str
    note: str | None


@dataclass(frozen=True)
class SalesForecast:
    """Forecast rows of one level, with how the method was chosen."""

    by: str
    freq: str
    horizon: int
    source: str
    as_of: date
    method: str
    selection_windows: int
    damping: float | None
    half_life_days: float | None
    intervals: str
    rows: list[ForecastRow]


def utc_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, on SQLite and PostgreSQL."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _filters(skus: Sequence[str], product_ids: Sequence[int] | None) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if skus:
        wanted = [s for s in (normalise_sku(v) for v in skus) if s]
        names = [product_key(None, v) for v in skus if v.strip()]
        filters.append(or_(Product.sku.in_(wanted), Product.product_key.in_(names)))
    if product_ids is not None:
        filters.append(Product.id.in_(product_ids))
    return filters


def _market_query(filters: list[ColumnElement[bool]], as_of: date) -> Select[*tuple[Any, ...]]:
    return (
        select(
            MarketSale.sale_date.label("day"),
            MarketSale.product_id,
            Product.sku,
            Product.name,
            Product.brand,
            Variant.size_norm.label("size"),
            MarketSale.currency,
            func.count().label("units"),
            func.sum(MarketSale.sale_price).label("revenue"),
        )
        .join(Product, Product.id == MarketSale.product_id)
        .outerjoin(Variant, Variant.id == MarketSale.variant_id)
        .where(MarketSale.sale_date <= as_of, *filters)
        .group_by(
            MarketSale.sale_date,
            MarketSale.product_id,
            Product.sku,
            Product.name,
            Product.brand,
            Variant.size_norm,
            MarketSale.currency,
        )
    )


def _own_query(filters: list[ColumnElement[bool]], as_of: date, dialect: str) -> Select[*tuple[Any, ...]]:
    day = utc_day(Sale.sold_at, dialect)
    sku = func.coalesce(Product.sku, Sale.sku)
    name = func.coalesce(Product.name, Sale.item_name)
    size = func.coalesce(Variant.size_norm, Sale.size)
    until = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return (
        select(
            day.label("day"),
            Sale.product_id,
            sku.label("sku"),
            name.label("name"),
            Product.brand,
            size.label("size"),
            Sale.currency,
            func.sum(Sale.quantity).label("units"),
            func.sum(Sale.sale_price).label("revenue"),
        )
        .outerjoin(Product, Product.id == Sale.product_id)
        .outerjoin(Variant, Variant.id == Sale.variant_id)
        .where(Sale.status.not_in(NON_SALES), Sale.sold_at < until, *filters)
        .group_by(day, Sale.product_id, sku, name, Product.brand, size, Sale.currency)
    )


def default_as_of(session: Session, source: str) -> date:
    """Own sales: today (UTC), so quiet recent days count; market sales: the latest imported day."""
    if source == "own":
        return datetime.now(UTC).date()
    latest = session.scalar(select(func.max(MarketSale.sale_date)))
    if latest is None:
        raise NotFoundError(
            "there are no market sales to forecast from",
            hint="import them with `soleflip import csv FILE --format contest`, or use --source own",
        )
    return latest if isinstance(latest, date) else date.fromisoformat(str(latest))


def load_sales(
    session: Session,
    *,
    source: str,
    skus: Sequence[str],
    as_of: date,
    product_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Daily units and revenue per product, size and currency up to `as_of`, aggregated in SQL.

    `skus` match a product's SKU, or the name of a product without one (case, spaces and
    hyphens ignored); `product_ids` restrict to those products.
    Columns: day (datetime64), product (series key), sku, name, brand, size, currency, units,
    revenue (Decimal, in `currency`), total (a constant key for the total level).
    """
    import pandas as pd

    if source not in SOURCES:
        raise UsageError(f"unknown source {source!r}; use one of: {', '.join(SOURCES)}")
    dialect = session.get_bind().dialect.name
    filters = _filters(skus, product_ids)
    query = _market_query(filters, as_of) if source == "market" else _own_query(filters, as_of, dialect)
    frame = pd.read_sql(query, session.connection(), coerce_float=False)
    if frame.empty:
        what = "market sales" if source == "market" else "own sales"
        hint = "check --sku" if skus else "import sales with `soleflip import csv`"
        raise NotFoundError(f"there are no {what} up to {as_of.isoformat()} to forecast from", hint=hint)
    frame["day"] = pd.to_datetime(frame["day"])
    frame["units"] = frame["units"].astype(float)
    revenue = [Decimal(str(v)) if v is not None else None for v in frame["revenue"]]
    frame["revenue"] = pd.Series(revenue, index=frame.index, dtype=object)
    label = frame["sku"].fillna(frame["name"]).fillna("unknown")
    product = frame["product_id"].astype("Int64").astype(str)
    frame["product"] = product.where(frame["product_id"].notna(), "sale:" + label)
    frame["brand"] = frame["brand"].fillna("unknown")
    frame["size"] = frame["size"].fillna("?")
    frame["total"] = "total"
    return frame


def check_level(by: str, freq: str) -> None:
    """Refuse an unknown level or frequency (exit 2)."""
    if by not in LEVELS:
        raise UsageError(f"unknown level {by!r}; use one of: {', '.join(LEVELS)}")
    if freq not in DEFAULT_HORIZON:
        raise UsageError(f"unknown frequency {freq!r}; use day, week or month")


def forecast_sales(
    session: Session,
    *,
    by: str = "sku",
    freq: str = "day",
    horizon: int | None = None,
    source: str = "own",
    skus: Sequence[str] = (),
    as_of: date | None = None,
    arima_max_series: int = ARIMA_MAX_SERIES,
) -> SalesForecast:
    """Forecast units (80 %/95 % intervals) and revenue per series of a level, `horizon` periods ahead."""
    from soleflip_cli.analytics.forecast import forecast_panel
    from soleflip_cli.analytics.panel import build_panel

    check_level(by, freq)
    steps = horizon or DEFAULT_HORIZON[freq]
    if steps < 1:
        raise UsageError("--horizon must be at least 1")
    end = as_of or default_as_of(session, source)
    frame = load_sales(session, source=source, skus=skus, as_of=end)
    panel = build_panel(frame, KEYS[by], freq, end)
    if panel.n_periods == 0:
        raise NotFoundError(f"no complete {freq} of sales up to {end.isoformat()}", hint="try --freq day")
    result = forecast_panel(panel, horizon=steps, arima_max_series=arima_max_series)
    rows = _forecast_rows(result.frame, frame, by, end)
    return SalesForecast(
        by, freq, steps, source, end, result.method, result.windows, result.damping, result.half_life_days,
        result.intervals, rows
    )


def _labels(frame: pd.DataFrame, by: str) -> dict[tuple[str, ...], dict[str, str | None]]:
    """Display labels (brand, sku, name) per series key, from the series' latest sale."""
    keys = KEYS[by]
    columns = {"total": [], "brand": ["brand"], "sku": ["brand", "sku", "name"]}
    shown = columns.get(by, columns["sku"])
    latest = frame.sort_values("day").groupby(keys, as_index=False, sort=False).last()
    return {
        tuple(str(row[k]) for k in keys): {c: _text(row[c]) for c in shown}
        for row in latest.to_dict("records")
    }


def _text(value: Any) -> str | None:
    return None if value is None or value != value else str(value)


def series_prices(
    frame: pd.DataFrame, keys: list[str], as_of: date
) -> dict[tuple[str, ...], tuple[Decimal, str]]:
    """Average unit price per series in its main currency, over the last 90 days (else all history)."""
    import pandas as pd

    cutoff = pd.Timestamp(as_of - timedelta(days=PRICE_DAYS))
    out: dict[tuple[str, ...], tuple[Decimal, str]] = {}
    for key, group in frame.groupby(keys, sort=False):
        parts = tuple(str(p) for p in (key if isinstance(key, tuple) else (key,)))
        currency = str(group.groupby("currency")["units"].sum().idxmax())
        rows = group[group["currency"] == currency]
        recent = rows[rows["day"] > cutoff]
        rows = recent if recent["units"].sum() > 0 else rows
        units = Decimal(str(rows["units"].sum()))
        revenue = sum((v for v in rows["revenue"] if v is not None), Decimal(0))
        if units > 0:
            out[parts] = (revenue / units, currency)
    return out


def _money(units: float, price: Decimal, currency: str) -> Decimal:
    return quantize(Decimal(str(round(units, 6))) * price, currency)


def _forecast_rows(result: pd.DataFrame, frame: pd.DataFrame, by: str, as_of: date) -> list[ForecastRow]:
    keys = KEYS[by]
    labels = _labels(frame, by)
    prices = series_prices(frame, keys, as_of)
    rows = []
    for record in result.to_dict("records"):
        key = tuple(str(record[k]) for k in keys)
        label = labels.get(key, {})
        price = prices.get(key)
        units = float(record["units"])
        revenue = lower = upper = None
        if price is not None:
            revenue = _money(units, *price)
            lower = _money(float(record["lower_95"]), *price)
            upper = _money(float(record["upper_95"]), *price)
        rows.append(
            ForecastRow(
                brand=label.get("brand"),
                sku=label.get("sku"),
                name=label.get("name"),
                size=str(record["size"]) if by == "sku-size" else None,
                period=record["period"],
                units=round(units, 3),
                lower_80=round(float(record["lower_80"]), 3),
                upper_80=round(float(record["upper_80"]), 3),
                lower_95=round(float(record["lower_95"]), 3),
                upper_95=round(float(record["upper_95"]), 3),
                revenue=revenue,
                revenue_lower_95=lower,
                revenue_upper_95=upper,
                currency=price[1] if price else None,
                method=str(record["method"]),
                note=record["note"],
            )
        )
    return rows
