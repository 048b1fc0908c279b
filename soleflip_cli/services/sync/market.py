"""StockX market data for the products held or listed: one product-level call each, into market_prices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from soleflip_cli.catalog import normalise_sku
from soleflip_cli.models import InventoryItem, Listing, MarketPrice, Product, Variant
from soleflip_cli.money import quantize
from soleflip_cli.services.sync.progress import sync_state
from soleflip_cli.services.sync.refs import CatalogRefs
from soleflip_cli.tables import SELLABLE

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient
    from soleflip_cli.clients.stockx.models import MarketData

RESOURCE = "market"
SOURCE = "stockx"
# The currencies StockX's market-data endpoint accepts (CurrencyCode in the OpenAPI document).
MARKET_CURRENCIES = frozenset(
    "AUD BRL CAD CHF CLP CNY DKK EUR GBP HKD HUF IDR ILS JPY KRW KWD MOP MXN MYR NOK NZD PEN PHP PLN "
    "SEK SGD THB TWD USD VND".split()
)


def sync_market(
    session: Session,
    client: StockXClient,
    refs: CatalogRefs,
    *,
    currency: str,
    now: datetime,
    commit: Callable[[], None],
) -> int:
    """Record one observation per size of every product in stock or listed; returns rows written.

    Products without a StockX id are looked up once by SKU (catalog search, exact style match);
    sizes StockX knows but we have not met yet are learned from the product's variants.
    """
    state = sync_state(session, RESOURCE)
    state.last_started_at = now
    code = currency if currency in MARKET_CURRENCIES else "USD"
    held = select(InventoryItem.product_id).where(InventoryItem.status.in_(SELLABLE))
    listed = select(Listing.product_id).where(Listing.status.in_(("active", "inactive")))
    products = session.scalars(
        select(Product).where(or_(Product.id.in_(held), Product.id.in_(listed))).order_by(Product.id)
    ).all()
    written = 0
    for product in products:
        stockx_id = product.stockx_product_id or _find(session, client, product)
        if stockx_id is None:
            continue
        data = client.get_product_market_data(stockx_id, currency_code=code)
        known = _variant_ids(session, product.id)
        if any(d.variant_id not in known for d in data):
            for variant in client.get_variants(stockx_id):
                refs.variant(product, variant.variant_id, variant.variant_value)
            known = _variant_ids(session, product.id)
        rows = [_row(product.id, known.get(d.variant_id), d, now) for d in data]
        if rows:
            session.execute(insert(MarketPrice), rows)
        written += len(rows)
        commit()
    state.last_success_at = now
    commit()
    return written


def _find(session: Session, client: StockXClient, product: Product) -> str | None:
    """The StockX product id for a product's SKU (None when StockX has no exact style match)."""
    if not product.sku:
        return None
    for hit in client.search_catalog(product.sku, page_size=10).products:
        if normalise_sku(hit.style_id) == product.sku:
            taken = session.scalar(select(Product.id).where(Product.stockx_product_id == hit.product_id))
            if taken is None:
                product.stockx_product_id = hit.product_id
                product.stockx_url_key = hit.url_key
                session.flush()
            return hit.product_id
    return None


def _variant_ids(session: Session, product_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Variant.stockx_variant_id, Variant.id).where(
            Variant.product_id == product_id, Variant.stockx_variant_id.is_not(None)
        )
    )
    return {stockx_id: variant_id for stockx_id, variant_id in rows if stockx_id}


def _row(product_id: int, variant_id: int | None, data: MarketData, now: datetime) -> dict[str, Any]:
    currency = data.currency_code.upper()

    def cents(value: Any) -> Any:
        return None if value is None else quantize(value, currency)

    return {
        "product_id": product_id,
        "variant_id": variant_id,
        "source": SOURCE,
        "lowest_ask": cents(data.lowest_ask_amount),
        "highest_bid": cents(data.highest_bid_amount),
        "sell_faster": cents(data.sell_faster_amount),
        "earn_more": cents(data.earn_more_amount),
        "flex_lowest_ask": cents(data.flex_lowest_ask_amount),
        "last_sale": None,
        "currency": currency,
        "observed_at": now,
    }
