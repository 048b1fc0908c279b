"""Catalog and order endpoints of the fake StockX (REFERENCE §3 and §6), as plain functions."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from tests.fake_stockx.fees import payout
from tests.fake_stockx.state import (
    ACTIVE_ORDER_STATUSES,
    HISTORY_ORDER_STATUSES,
    MARKET_CURRENCIES,
    FakeOrder,
    FakeProduct,
    FakeState,
    FakeVariant,
    money,
    ts,
)

Query = dict[str, str]
Reply = tuple[int, Any]

_EU = {7: "40", 7.5: "40.5", 8: "41", 8.5: "42", 9: "42.5", 9.5: "43", 10: "44", 10.5: "44.5", 11: "45"}
_EU |= {11.5: "45.5", 12: "46", 12.5: "47", 13: "47.5", 14: "48.5"}


class ApiFault(Exception):
    """An error answer: `{"statusCode", "message"}` with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def int_param(query: Query, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high], else 400."""
    raw = query.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"-?\d+", raw) or not low <= int(raw) <= high:
        raise ApiFault(400, f"{name} must be an integer between {low} and {high}")
    return int(raw)


def date_param(query: Query, name: str) -> date | None:
    """A `YYYY-MM-DD` query parameter, else 400."""
    raw = query.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else _bad_date(name)
    except ValueError:
        return _bad_date(name)


def _bad_date(name: str) -> date:
    raise ApiFault(400, f"{name} must be a date in the format YYYY-MM-DD")


def page(items: list[Any], query: Query, key: str, *, max_size: int, default: int = 10) -> dict[str, Any]:
    """The page-number envelope: count, pageSize, pageNumber, hasNextPage and the items."""
    size = int_param(query, "pageSize", default, 1, max_size)
    number = int_param(query, "pageNumber", 1, 1, 10**6)
    start = (number - 1) * size
    return {
        "count": len(items),
        "pageSize": size,
        "pageNumber": number,
        "hasNextPage": start + size < len(items),
        key: items[start : start + size],
    }


def _product(state: FakeState, product_id: str) -> FakeProduct:
    product = state.products.get(product_id)
    if product is None:
        raise ApiFault(404, f"Product {product_id} not found")
    return product


def _variant_of(state: FakeState, product_id: str, variant_id: str) -> FakeVariant:
    product = _product(state, product_id)
    variant = state.variants.get(variant_id)
    if variant is None:
        raise ApiFault(404, f"Variant {variant_id} not found")
    if variant.product_id != product.product_id:
        raise ApiFault(400, "Variant does not belong to the product.")
    return variant


def search_product(product: FakeProduct) -> dict[str, Any]:
    """A product as search returns it."""
    return {
        "productId": product.product_id,
        "urlKey": product.url_key,
        "styleId": product.style_id,
        "productType": product.product_type,
        "title": product.title,
        "brand": product.brand,
        "productAttributes": {
            "gender": "men",
            "season": None,
            "releaseDate": product.release_date,
            "retailPrice": product.retail_price,
            "colorway": product.colorway,
            "color": None,
        },
    }


def variant_json(variant: FakeVariant) -> dict[str, Any]:
    """A variant with its size chart (us m, uk, eu, cm) and GTIN."""
    us = float(variant.size)
    conversions = [
        {"size": variant.size, "type": "us m"},
        {"size": f"{us - 1:g}", "type": "uk"},
        {"size": _EU.get(us, f"{us + 33:g}"), "type": "eu"},
        {"size": f"{25 + (us - 7) / 2:g}", "type": "cm"},
    ]
    return {
        "productId": variant.product_id,
        "variantId": variant.variant_id,
        "variantName": variant.variant_name,
        "variantValue": variant.size,
        "sizeChart": {"availableConversions": conversions, "defaultConversion": conversions[0]},
        "gtins": [{"identifier": variant.gtin, "type": "UPC"}],
        "isFlexEligible": True,
        "isDirectEligible": False,
    }


def market_json(variant: FakeVariant, currency: str) -> dict[str, Any]:
    """Market data of one variant (amounts as strings, nulls where there is no ask or bid)."""
    ask, bid = variant.lowest_ask, variant.highest_bid
    faster = None if ask is None else ask - 1
    more = None if ask is None else ask + 5
    block = {
        "beatUS": money(faster),
        "earnMore": money(more),
        "sellFaster": money(faster),
        "highestBidAmount": money(bid),
        "lowestAsk": money(ask),
    }
    return {
        "productId": variant.product_id,
        "variantId": variant.variant_id,
        "currencyCode": currency,
        "lowestAskAmount": money(ask),
        "highestBidAmount": money(bid),
        "sellFasterAmount": money(faster),
        "earnMoreAmount": money(more),
        "flexLowestAskAmount": money(None if ask is None else ask + 3),
        "standardMarketData": block,
        "flexMarketData": dict(block),
        "directMarketData": dict.fromkeys(block),
    }


def search(state: FakeState, _: dict[str, str], query: Query, __: Any) -> Reply:
    """GET /catalog/search: every query word in title/brand/styleId, or a GTIN."""
    text = query.get("query", "")
    if not 1 <= len(text) <= 100:
        raise ApiFault(400, "query must be between 1 and 100 characters")
    words = [re.sub(r"[^a-z0-9]", "", w) for w in text.lower().split()]
    hits = []
    for product in state.products.values():
        hay = re.sub(r"[^a-z0-9 ]", "", f"{product.title} {product.brand} {product.style_id or ''}".lower())
        hay += " " + hay.replace(" ", "")
        if all(w in hay for w in words if w) or any(v.gtin == text for v in product.variants):
            hits.append(search_product(product))
    return 200, page(hits, query, "products", max_size=50)


def get_product(state: FakeState, params: dict[str, str], query: Query, _: Any) -> Reply:
    """GET /catalog/products/{productId}."""
    body = search_product(_product(state, params["productId"]))
    names = [("US M", "us m"), ("UK", "uk"), ("EU", "eu"), ("CM", "cm")]
    conversions = [{"name": name, "type": kind} for name, kind in names]
    body["sizeChart"] = {"availableConversions": conversions, "defaultConversion": conversions[0]}
    return 200, body | {"isFlexEligible": True, "isDirectEligible": False}


def get_variants(state: FakeState, params: dict[str, str], query: Query, _: Any) -> Reply:
    """GET /catalog/products/{productId}/variants: a bare array."""
    return 200, [variant_json(v) for v in _product(state, params["productId"]).variants]


def get_variant(state: FakeState, params: dict[str, str], query: Query, _: Any) -> Reply:
    """GET /catalog/products/{productId}/variants/{variantId}."""
    return 200, variant_json(_variant_of(state, params["productId"], params["variantId"]))


def get_gtin(state: FakeState, params: dict[str, str], query: Query, _: Any) -> Reply:
    """GET /catalog/products/variants/gtins/{gtin}: 400 malformed, 404 unknown."""
    gtin = params["gtin"]
    if not gtin.isdigit() or len(gtin) not in {8, 12, 13, 14, 18}:
        raise ApiFault(400, "Invalid GTIN")
    for variant in state.variants.values():
        if variant.gtin == gtin:
            return 200, variant_json(variant)
    raise ApiFault(404, f"No variant found for GTIN {gtin}")


def _currency(query: Query) -> str:
    currency = query.get("currencyCode", "USD")
    if currency not in MARKET_CURRENCIES:
        raise ApiFault(400, f"currencyCode must be one of {', '.join(MARKET_CURRENCIES)}")
    return currency


def product_market(state: FakeState, params: dict[str, str], query: Query, _: Any) -> Reply:
    """GET /catalog/products/{productId}/market-data: one entry per variant."""
    product = _product(state, params["productId"])
    currency = _currency(query)
    return 200, [market_json(v, currency) for v in product.variants]


def variant_market(state: FakeState, params: dict[str, str], query: Query, _: Any) -> Reply:
    """GET /catalog/products/{productId}/variants/{variantId}/market-data."""
    variant = _variant_of(state, params["productId"], params["variantId"])
    return 200, market_json(variant, _currency(query))


def order_json(state: FakeState, order: FakeOrder, *, detail: bool) -> dict[str, Any]:
    """An order as list items (`detail=False`) or the detail endpoint show it."""
    body: dict[str, Any] = {
        "orderNumber": order.order_number,
        "listingId": order.listing_id,
        "askId": order.ask_id,
        "amount": money(order.amount),
        "currencyCode": order.currency,
        "status": order.status,
        "createdAt": ts(order.created_at),
        "updatedAt": ts(order.updated_at),
        "product": {
            "productId": order.product.product_id,
            "productName": order.product.title,
            "styleId": order.product.style_id,
        },
        "variant": {
            "variantId": order.variant.variant_id,
            "variantName": order.variant.variant_name,
            "variantValue": order.variant.size,
        },
        "authenticationDetails": {"status": None, "failureNotes": None},
        "initiatedShipments": None,
        "inventoryType": order.inventory_type,
    }
    paid = payout(order.amount, order.currency, order.extra_adjustments)
    if detail:
        body["shipment"] = {
            "shipByDate": ts(order.created_at.replace(hour=23, minute=59, second=59, microsecond=0)),
            "trackingNumber": None,
            "trackingUrl": None,
            "carrierCode": "UPS",
            "shippingLabelUrl": None,
            "shippingDocumentUrl": None,
        }
        body["payout"] = paid
        return body
    if order.list_payout:
        body["payout"] = paid
    return body | {"condition": None, "conditionDescription": None}


def _orders(state: FakeState, query: Query, statuses: tuple[str, ...]) -> list[FakeOrder]:
    wanted = query.get("orderStatus")
    if wanted is not None and wanted not in statuses:
        raise ApiFault(400, f"orderStatus must be one of {', '.join(statuses)}")
    kinds = set(query["inventoryTypes"].split(",")) if "inventoryTypes" in query else None
    found = [
        o
        for o in state.orders.values()
        if o.status in statuses
        and (wanted is None or o.status == wanted)
        and query.get("productId", o.product.product_id) == o.product.product_id
        and query.get("variantId", o.variant.variant_id) == o.variant.variant_id
        and (kinds is None or o.inventory_type in kinds)
    ]
    found.sort(key=lambda o: (o.created_at, o.order_number), reverse=state.order_sort == "desc")
    return found


def active_orders(state: FakeState, _: dict[str, str], query: Query, __: Any) -> Reply:
    """GET /selling/orders/active."""
    sort = query.get("sortOrder", "CREATEDAT")
    if sort not in {"CREATEDAT", "SHIPBYDATE"}:
        raise ApiFault(400, "sortOrder must be CREATEDAT or SHIPBYDATE")
    orders = [order_json(state, o, detail=False) for o in _orders(state, query, ACTIVE_ORDER_STATUSES)]
    return 200, page(orders, query, "orders", max_size=100)


def history_orders(state: FakeState, _: dict[str, str], query: Query, __: Any) -> Reply:
    """GET /selling/orders/history: fromDate/toDate filter on the creation date (inclusive)."""
    start, end = date_param(query, "fromDate"), date_param(query, "toDate")
    orders = [
        order_json(state, o, detail=False)
        for o in _orders(state, query, HISTORY_ORDER_STATUSES)
        if (start is None or _day(o.created_at) >= start) and (end is None or _day(o.created_at) <= end)
    ]
    return 200, page(orders, query, "orders", max_size=100)


def _day(moment: datetime) -> date:
    return moment.date()


def get_order(state: FakeState, params: dict[str, str], query: Query, _: Any) -> Reply:
    """GET /selling/orders/{orderNumber}: detail with shipment and payout; 404 when unknown."""
    order = state.orders.get(params["orderNumber"])
    if order is None:
        raise ApiFault(404, f"Order {params['orderNumber']} not found")
    return 200, order_json(state, order, detail=True)
