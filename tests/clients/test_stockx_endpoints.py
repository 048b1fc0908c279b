"""Every StockX client method: method, path, query, body and headers on the wire; typed results."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from soleflip_cli.clients.stockx import ListingChange, NewListing, StockXClient
from soleflip_cli.clients.stockx import models as m
from soleflip_cli.secrets import open_store
from tests.clients.stockx_mock import API, SECRETS, FakeClock, ScriptedApi, make_client, reply, seed_store

PID = "bf364c53-eb77-4522-955c-6a6ce952cc6f"
VID = "586c3334-4dac-4ee0-bce3-eea845581a08"
LID = "98e2e748-8000-45bf-a624-5531d6a68318"
OID = "f61ddf33-7304-4954-809b-8580d6cdf344"
BID = "86378f62-ad0e-4a06-9c8e-642731bb9140"
TS = "2021-11-09T12:44:31.000Z"
WHEN = datetime(2021, 11, 9, 12, 44, 31, tzinfo=UTC)

SEARCH = {
    "count": 1,
    "pageSize": 50,
    "pageNumber": 1,
    "hasNextPage": False,
    "products": [
        {
            "productId": PID,
            "urlKey": "nike-dunk",
            "styleId": "DD1391-100",
            "productType": "sneakers",
            "title": "Nike Dunk Low",
            "brand": "Nike",
            "productAttributes": {
                "gender": "men",
                "releaseDate": "2021-03-10",
                "retailPrice": 110,
                "colorway": "White/Black",
                "season": None,
                "color": None,
            },
        }
    ],
}
PRODUCT = {
    **SEARCH["products"][0],
    "sizeChart": {
        "availableConversions": [{"name": "US M", "type": "us m"}],
        "defaultConversion": {"name": "US M", "type": "us m"},
    },
    "isFlexEligible": True,
    "isDirectEligible": False,
}
VARIANT = {
    "productId": PID,
    "variantId": VID,
    "variantName": "Nike-Dunk:10",
    "variantValue": "10",
    "sizeChart": {
        "availableConversions": [{"size": "10", "type": "us m"}, {"size": "44", "type": "eu"}],
        "defaultConversion": {"size": "10", "type": "us m"},
    },
    "gtins": [{"identifier": "194817794556", "type": "UPC"}],
    "isFlexEligible": True,
    "isDirectEligible": False,
}
MARKET = {
    "productId": PID,
    "variantId": VID,
    "currencyCode": "EUR",
    "lowestAskAmount": "63",
    "highestBidAmount": None,
    "sellFasterAmount": 22,
    "earnMoreAmount": "58.50",
    "flexLowestAskAmount": None,
    "standardMarketData": {
        "beatUS": "152",
        "earnMore": "151",
        "sellFaster": "150",
        "highestBidAmount": "150",
        "lowestAsk": "100",
    },
}
PAYOUT = {
    "totalPayout": "59.45",
    "salePrice": "76",
    "totalAdjustments": "-16.55",
    "currencyCode": "USD",
    "adjustments": [
        {"adjustmentType": "Minimum Transaction Fee", "amount": "-5.71", "percentage": "0.05"},
        {"adjustmentType": "Payment Proc. (3%)", "amount": -2.28, "percentage": "0.03"},
        {"adjustmentType": "Shipping", "amount": "-8.56", "percentage": "0"},
    ],
}
ORDER = {
    "orderNumber": "323314425-323214184",
    "listingId": LID,
    "askId": "13658831621304650018",
    "amount": "140",
    "currencyCode": "USD",
    "status": "COMPLETED",
    "createdAt": TS,
    "updatedAt": TS,
    "product": {"productId": PID, "productName": "Nike Dunk Low", "styleId": "DD1391-100"},
    "variant": {"variantId": VID, "variantName": "Nike-Dunk:10", "variantValue": "10"},
    "authenticationDetails": {"status": None, "failureNotes": None},
    "payout": None,
    "inventoryType": "STANDARD",
    "condition": None,
    "conditionDescription": None,
    "initiatedShipments": None,
}
ORDERS = {"count": 1, "pageSize": 100, "pageNumber": 2, "hasNextPage": True, "orders": [ORDER]}
DETAIL = {
    **ORDER,
    "payout": PAYOUT,
    "shipment": {
        "carrierCode": "UPS",
        "shipByDate": TS,
        "trackingNumber": "1Z",
        "trackingUrl": None,
        "shippingLabelUrl": None,
        "shippingDocumentUrl": None,
    },
}
LISTING = {
    "listingId": LID,
    "status": "ACTIVE",
    "amount": "23500.0000",
    "currencyCode": "JPY",
    "inventoryType": "STANDARD",
    "createdAt": TS,
    "updatedAt": TS,
    "batch": {"batchId": BID, "taskId": "t"},
    "ask": {"askId": "1418", "askCreatedAt": TS, "askUpdatedAt": TS, "askExpiresAt": TS},
    "authenticationDetails": None,
    "order": None,
    "product": {"productId": PID, "productName": "Nike Dunk Low"},
    "variant": {"variantId": VID, "variantName": "Nike-Dunk:10", "variantValue": "10"},
    "initiatedShipments": None,
    "condition": None,
    "conditionDescription": None,
}
LISTINGS = {"count": 1, "pageSize": 100, "pageNumber": 1, "hasNextPage": False, "listings": [LISTING]}
OPERATION = {
    "listingId": LID,
    "operationId": OID,
    "operationType": "CREATE",
    "operationStatus": "PENDING",
    "operationUrl": f"{API}/selling/listings/{LID}/operations/{OID}",
    "operationInitiatedBy": "USER",
    "operationInitiatedVia": "PUBLIC-API",
    "createdAt": TS,
    "updatedAt": TS,
    "changes": {"additions": {"active": True}, "updates": {"updatedAt": TS}, "removals": []},
    "error": None,
}
LISTING_DETAIL = {
    **LISTING,
    "payout": PAYOUT,
    "lastOperation": {
        "operationId": OID,
        "operationType": "CREATE",
        "operationStatus": "SUCCEEDED",
        "operationInitiatedBy": "USER",
        "operationInitiatedVia": "STOCKX-PRO",
        "operationCreatedAt": TS,
        "operationUpdatedAt": TS,
        "error": None,
        "changes": {"additions": {}, "updates": {}, "removals": {}},
    },
}
BATCH = {
    "batchId": BID,
    "status": "QUEUED",
    "completedAt": None,
    "createdAt": TS,
    "updatedAt": TS,
    "totalItems": 10,
    "itemStatuses": {"queued": "9", "failed": 1},
}
BATCH_ITEMS = {
    "items": [
        {
            "itemId": "i1",
            "status": "COMPLETED",
            "listingInput": {"variantId": VID, "amount": "100"},
            "result": {"askId": "1", "listingId": LID},
        },
        {"itemId": "i2", "status": "FAILED", "listingInput": {"variantId": VID}, "error": "Invalid amount"},
    ]
}


@dataclass(frozen=True)
class Case:
    """One endpoint: the call, what must go on the wire, the canned answer and a check of the result."""

    name: str
    call: Callable[[StockXClient], Any]
    method: str
    path: str
    params: dict[str, str]
    body: Any
    answer: Any
    check: Callable[[Any], bool]


CASES = [
    Case(
        "search",
        lambda c: c.search_catalog("DD1391-100", page_size=10),
        "GET",
        "/catalog/search",
        {"query": "DD1391-100", "pageNumber": "1", "pageSize": "10"},
        None,
        SEARCH,
        lambda r: (
            isinstance(r, m.SearchPage)
            and r.products[0].style_id == "DD1391-100"
            and r.products[0].product_attributes.retail_price == Decimal("110")
        ),
    ),
    Case(
        "product",
        lambda c: c.get_product(PID),
        "GET",
        f"/catalog/products/{PID}",
        {},
        None,
        PRODUCT,
        lambda r: r.size_chart.default_conversion.type == "us m" and r.is_flex_eligible is True,
    ),
    Case(
        "variants",
        lambda c: c.get_variants(PID),
        "GET",
        f"/catalog/products/{PID}/variants",
        {},
        None,
        [VARIANT],
        lambda r: r[0].variant_value == "10" and r[0].gtins[0].identifier == "194817794556",
    ),
    Case(
        "variant",
        lambda c: c.get_variant(PID, VID),
        "GET",
        f"/catalog/products/{PID}/variants/{VID}",
        {},
        None,
        VARIANT,
        lambda r: r.size_chart.available_conversions[1].size == "44",
    ),
    Case(
        "gtin",
        lambda c: c.get_variant_by_gtin("194817794556"),
        "GET",
        "/catalog/products/variants/gtins/194817794556",
        {},
        None,
        VARIANT,
        lambda r: r.variant_id == VID,
    ),
    Case(
        "product market",
        lambda c: c.get_product_market_data(PID, currency_code="EUR"),
        "GET",
        f"/catalog/products/{PID}/market-data",
        {"currencyCode": "EUR"},
        None,
        [MARKET],
        lambda r: (
            r[0].lowest_ask_amount == Decimal("63")
            and r[0].sell_faster_amount == Decimal("22")
            and r[0].highest_bid_amount is None
            and r[0].standard_market_data.beat_us == Decimal("152")
        ),
    ),
    Case(
        "variant market",
        lambda c: c.get_variant_market_data(PID, VID),
        "GET",
        f"/catalog/products/{PID}/variants/{VID}/market-data",
        {},
        None,
        MARKET,
        lambda r: r.earn_more_amount == Decimal("58.50") and r.currency_code == "EUR",
    ),
    Case(
        "active orders",
        lambda c: c.get_active_orders(page_number=2, inventory_types=["STANDARD", "FLEX"], order_status=None),
        "GET",
        "/selling/orders/active",
        {"pageNumber": "2", "pageSize": "100", "inventoryTypes": "STANDARD,FLEX"},
        None,
        ORDERS,
        lambda r: r.has_next_page and r.orders[0].payout is None and r.orders[0].created_at == WHEN,
    ),
    Case(
        "order history",
        lambda c: c.get_order_history(
            from_date=date(2024, 1, 31), to_date=date(2024, 2, 1), page_number=2, order_status="COMPLETED"
        ),
        "GET",
        "/selling/orders/history",
        {
            "fromDate": "2024-01-31",
            "toDate": "2024-02-01",
            "pageNumber": "2",
            "pageSize": "100",
            "orderStatus": "COMPLETED",
        },
        None,
        ORDERS,
        lambda r: r.orders[0].amount == Decimal("140") and r.count == 1,
    ),
    Case(
        "order",
        lambda c: c.get_order("323314425-323214184"),
        "GET",
        "/selling/orders/323314425-323214184",
        {},
        None,
        DETAIL,
        lambda r: (
            r.payout.adjustments[1].amount == Decimal("-2.28")
            and r.payout.total_payout == Decimal("59.45")
            and r.payout.adjustments[0].percentage == Decimal("0.05")
            and r.shipment.carrier_code == "UPS"
        ),
    ),
    Case(
        "listings",
        lambda c: c.get_listings(
            product_ids=[PID, "p2"],
            listing_statuses=("ACTIVE", "INACTIVE"),
            is_expired=False,
            from_date=date(2024, 5, 1),
        ),
        "GET",
        "/selling/listings",
        {
            "pageNumber": "1",
            "pageSize": "100",
            "productIds": f"{PID},p2",
            "listingStatuses": "ACTIVE,INACTIVE",
            "isExpired": "false",
            "fromDate": "2024-05-01",
        },
        None,
        LISTINGS,
        lambda r: r.listings[0].amount == Decimal("23500") and r.listings[0].ask.ask_expires_at == WHEN,
    ),
    Case(
        "listing",
        lambda c: c.get_listing(LID),
        "GET",
        f"/selling/listings/{LID}",
        {},
        None,
        LISTING_DETAIL,
        lambda r: (
            r.payout.total_adjustments == Decimal("-16.55")
            and r.last_operation.listing_id == LID
            and r.last_operation.created_at == WHEN
            and r.last_operation.operation_status == "SUCCEEDED"
        ),
    ),
    Case(
        "create",
        lambda c: c.create_listing(
            VID,
            Decimal("150.00"),
            currency_code="USD",
            active=True,
            expires_at=datetime(2027, 1, 2, 3, 4, 5, 678900, tzinfo=UTC),
        ),
        "POST",
        "/selling/listings",
        {},
        {
            "amount": "150",
            "variantId": VID,
            "currencyCode": "USD",
            "active": True,
            "expiresAt": "2027-01-02T03:04:05.678Z",
        },
        OPERATION,
        lambda r: r.operation_status == "PENDING" and r.changes.removals == {} and r.operation_url,
    ),
    Case(
        "update",
        lambda c: c.update_listing(LID, amount=Decimal("79.50")),
        "PATCH",
        f"/selling/listings/{LID}",
        {},
        {"amount": "79.5"},
        OPERATION,
        lambda r: r.operation_id == OID,
    ),
    Case(
        "delete",
        lambda c: c.delete_listing(LID),
        "DELETE",
        f"/selling/listings/{LID}",
        {},
        None,
        OPERATION,
        lambda r: r.listing_id == LID,
    ),
    Case(
        "activate",
        lambda c: c.activate_listing(LID, amount=Decimal("120")),
        "PUT",
        f"/selling/listings/{LID}/activate",
        {},
        {"amount": "120"},
        OPERATION,
        lambda r: r.listing_id == LID,
    ),
    Case(
        "deactivate",
        lambda c: c.deactivate_listing(LID),
        "PUT",
        f"/selling/listings/{LID}/deactivate",
        {},
        None,
        OPERATION,
        lambda r: r.listing_id == LID,
    ),
    Case(
        "operation",
        lambda c: c.get_operation(LID, OID),
        "GET",
        f"/selling/listings/{LID}/operations/{OID}",
        {},
        None,
        {k: v for k, v in OPERATION.items() if k != "operationUrl"},
        lambda r: r.operation_url is None and r.changes.additions == {"active": True},
    ),
    Case(
        "operations",
        lambda c: c.get_operations(LID, cursor="abc"),
        "GET",
        f"/selling/listings/{LID}/operations",
        {"pageSize": "100", "cursor": "abc"},
        None,
        {"nextCursor": None, "operations": [OPERATION]},
        lambda r: r.next_cursor is None and len(r.operations) == 1,
    ),
    Case(
        "batch create",
        lambda c: c.create_listings_batch(
            [
                NewListing(
                    VID,
                    Decimal("100"),
                    quantity=3,
                    currency_code="AUD",
                    expires_at=datetime(2029, 6, 9, tzinfo=UTC),
                    active=True,
                )
            ]
        ),
        "POST",
        "/selling/batch/create-listing",
        {},
        {
            "items": [
                {
                    "variantId": VID,
                    "amount": "100",
                    "quantity": 3,
                    "currencyCode": "AUD",
                    "expiresAt": "2029-06-09T00:00:00.000Z",
                    "active": True,
                }
            ]
        },
        BATCH,
        lambda r: r.status == "QUEUED" and r.item_statuses == {"queued": 9, "failed": 1},
    ),
    Case(
        "batch update",
        lambda c: c.update_listings_batch([ListingChange(LID, amount=Decimal("79"))]),
        "POST",
        "/selling/batch/update-listing",
        {},
        {"items": [{"listingId": LID, "amount": "79"}]},
        BATCH,
        lambda r: r.total_items == 10,
    ),
    Case(
        "batch delete",
        lambda c: c.delete_listings_batch([LID]),
        "POST",
        "/selling/batch/delete-listing",
        {},
        {"items": [{"listingId": LID}]},
        BATCH,
        lambda r: r.batch_id == BID,
    ),
    Case(
        "batch status",
        lambda c: c.get_batch("create", BID),
        "GET",
        f"/selling/batch/create-listing/{BID}",
        {},
        None,
        {**BATCH, "status": "COMPLETED", "completedAt": TS},
        lambda r: r.completed_at == WHEN,
    ),
    Case(
        "batch items",
        lambda c: c.get_batch_items("delete", BID, status="FAILED"),
        "GET",
        f"/selling/batch/delete-listing/{BID}/items",
        {"status": "FAILED"},
        None,
        BATCH_ITEMS,
        lambda r: r[0].result == {"askId": "1", "listingId": LID} and r[1].error == "Invalid amount",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_endpoint(case: Case, tmp_path: Path) -> None:
    api = ScriptedApi()
    api.on(case.method, API + case.path, reply(201 if case.method == "POST" else 200, case.answer))
    store = open_store(tmp_path, None)
    seed_store(store)
    with make_client(api, store, FakeClock()) as client:
        result = case.call(client)
        stats = client.stats
    assert case.check(result)
    [request] = api.requests
    assert request.method == case.method
    assert request.url.path == "/v2" + case.path
    assert dict(request.url.params) == case.params
    assert request.headers["x-api-key"] == SECRETS["stockx.api_key"]
    assert request.headers["authorization"] == "Bearer access-SEKRIT-0"
    assert request.headers["accept"] == "application/json"
    if case.body is None:
        assert request.content == b""
    else:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == case.body
    assert (stats.requests, stats.rate_limited) == (1, 0)


def test_path_segments_are_encoded(tmp_path: Path) -> None:
    api = ScriptedApi()
    api.on(
        "GET",
        API + "/selling/orders/02-L0QT%2F6MRVSG",
        reply(200, {**ORDER, "orderNumber": "02-L0QT/6MRVSG"}),
    )
    store = open_store(tmp_path, None)
    seed_store(store)
    with make_client(api, store, FakeClock()) as client:
        assert client.get_order("02-L0QT/6MRVSG").order_number == "02-L0QT/6MRVSG"
    assert api.requests[0].url.raw_path == b"/v2/selling/orders/02-L0QT%2F6MRVSG"
