"""The fake StockX answers like the OpenAPI document says, and its knobs do what tests rely on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fake_stockx import FakeStockX, add_listing, add_orders, find_variant
from tests.fake_stockx.openapi import load_spec, response_schema, validate


def login(fake: FakeStockX, timeout: float = 5.0) -> httpx.Client:
    """A plain httpx client with the API key and a fresh bearer token from the refresh grant."""
    token = httpx.post(
        f"{fake.auth_url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "audience": "gateway.stockx.com",
            "refresh_token": fake.issue_refresh_token(),
        },
    ).json()["access_token"]
    headers = {"x-api-key": fake.api_key, "Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=fake.api_url, headers=headers, timeout=timeout)


@pytest.fixture
def client(fake_stockx: FakeStockX) -> Iterator[httpx.Client]:
    """A logged-in plain httpx client on the fake."""
    with login(fake_stockx) as api:
        yield api


class Checker:
    """Calls the fake and checks each answer against the OpenAPI response schema."""

    def __init__(self, client: httpx.Client) -> None:
        spec = load_spec()
        if spec is None:
            pytest.skip("the StockX OpenAPI document (../shared/stockx/openapi.json) is absent")
        self.spec = spec
        self.client = client
        self.problems: list[str] = []

    def __call__(self, method: str, template: str, status: int, **kwargs: Any) -> Any:
        path = template.format(**kwargs.pop("path", {}))
        response = self.client.request(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.text)
        body = response.json()
        schema = response_schema(self.spec, method, template, status)
        self.problems += [f"{method} {template}: {p}" for p in validate(self.spec, schema, body)]
        return body


def test_catalog_answers_follow_the_spec(fake_stockx: FakeStockX, client: httpx.Client) -> None:
    check = Checker(client)
    found = check("GET", "/catalog/search", 200, params={"query": "DD1391-100", "pageSize": 5})
    assert [p["styleId"] for p in found["products"]] == ["DD1391-100"]
    ids = {"productId": found["products"][0]["productId"]}
    check("GET", "/catalog/products/{productId}", 200, path=ids)
    variants = check("GET", "/catalog/products/{productId}/variants", 200, path=ids)
    assert [v["variantValue"] for v in variants][:3] == ["7", "7.5", "8"]
    ids["variantId"] = variants[6]["variantId"]
    check("GET", "/catalog/products/{productId}/variants/{variantId}", 200, path=ids)
    gtin = {"gtin": variants[6]["gtins"][0]["identifier"]}
    assert check("GET", "/catalog/products/variants/gtins/{gtin}", 200, path=gtin)["variantValue"] == "10"
    market = check(
        "GET", "/catalog/products/{productId}/market-data", 200, path=ids, params={"currencyCode": "EUR"}
    )
    assert {m["currencyCode"] for m in market} == {"EUR"} and len(market) == 13
    assert any(m["highestBidAmount"] is None for m in market)
    one = check("GET", "/catalog/products/{productId}/variants/{variantId}/market-data", 200, path=ids)
    assert isinstance(one["lowestAskAmount"], str)
    wrong = {"productId": ids["productId"], "variantId": find_variant(fake_stockx, "HQ4540", "9").variant_id}
    error = check("GET", "/catalog/products/{productId}/variants/{variantId}", 400, path=wrong)
    assert error == {"statusCode": 400, "message": "Variant does not belong to the product."}
    check("GET", "/catalog/products/variants/gtins/{gtin}", 400, path={"gtin": "12AB"})
    check("GET", "/catalog/products/variants/gtins/{gtin}", 404, path={"gtin": "000000000000"})
    check("GET", "/catalog/products/{productId}", 404, path={"productId": "nope"})
    assert check.problems == []


def test_listing_lifecycle_follows_the_spec(fake_stockx: FakeStockX, client: httpx.Client) -> None:
    check = Checker(client)
    variant = find_variant(fake_stockx, "DZ5485-612", "9.5")
    created = check("POST", "/selling/listings", 201, json={"amount": "250", "variantId": variant.variant_id})
    assert created["operationStatus"] == "PENDING" and created["operationUrl"].startswith(fake_stockx.api_url)
    ids = {"listingId": created["listingId"], "operationId": created["operationId"]}
    op = check("GET", "/selling/listings/{listingId}/operations/{operationId}", 200, path=ids)
    assert op["operationStatus"] == "SUCCEEDED"
    detail = check("GET", "/selling/listings/{listingId}", 200, path=ids)
    assert detail["status"] == "ACTIVE" and detail["payout"]["totalPayout"] == "216"
    assert detail["lastOperation"]["operationType"] == "CREATE"
    listed = check("GET", "/selling/listings", 200, params={"pageSize": 10, "listingStatuses": "ACTIVE"})
    assert "payout" not in listed["listings"][0] and "lastOperation" not in listed["listings"][0]
    check("PATCH", "/selling/listings/{listingId}", 200, path=ids, json={"amount": "240"})
    check("PUT", "/selling/listings/{listingId}/deactivate", 200, path=ids)
    check("PUT", "/selling/listings/{listingId}/activate", 200, path=ids, json={"amount": "245"})
    fake_stockx.settle()
    assert fake_stockx.listings[ids["listingId"]].status == "ACTIVE"
    page = check("GET", "/selling/listings/{listingId}/operations", 200, path=ids, params={"pageSize": 2})
    assert [o["operationType"] for o in page["operations"]] == ["ACTIVATE", "DEACTIVATE"]
    cursor = {"cursor": page["nextCursor"]}
    rest = check("GET", "/selling/listings/{listingId}/operations", 200, path=ids, params=cursor)
    assert [o["operationType"] for o in rest["operations"]] == ["UPDATE", "CREATE"]
    assert rest["nextCursor"] is None
    check("DELETE", "/selling/listings/{listingId}", 200, path=ids)
    fake_stockx.settle()
    assert check("GET", "/selling/listings/{listingId}", 200, path=ids)["status"] == "DELETED"
    assert check("GET", "/selling/listings", 200, params={"pageSize": 10})["count"] == 0
    check("POST", "/selling/listings", 400, json={"amount": "250", "variantId": variant.variant_id, "x": 1})
    assert check.problems == []


def test_operations_complete_after_k_polls_or_fail(fake_stockx: FakeStockX, client: httpx.Client) -> None:
    fake_stockx.op_polls_to_complete = 3
    variant = find_variant(fake_stockx, "HQ4540", "10")
    op = client.post("/selling/listings", json={"amount": "300", "variantId": variant.variant_id}).json()
    statuses = [client.get(op["operationUrl"]).json()["operationStatus"] for _ in range(3)]
    assert statuses == ["PENDING", "PENDING", "SUCCEEDED"]
    fake_stockx.fail_operations("价格无效 (price not valid)")
    listing_id = op["listingId"]
    op = client.patch(f"/selling/listings/{listing_id}", json={"amount": "1"}).json()
    polls = [client.get(op["operationUrl"]).json() for _ in range(3)]
    assert polls[-1]["operationStatus"] == "FAILED" and polls[-1]["error"] == "价格无效 (price not valid)"
    assert fake_stockx.listings[listing_id].amount == 300
    client.put(f"/selling/listings/{listing_id}/deactivate")
    fake_stockx.settle()
    again = client.put(f"/selling/listings/{listing_id}/deactivate")
    assert again.status_code == 400 and again.json()["message"] == "Listing is already inactive"
    assert client.put(f"/selling/listings/{listing_id}/activate").status_code == 400  # body required


def test_batches_follow_the_spec(fake_stockx: FakeStockX, client: httpx.Client) -> None:
    check = Checker(client)
    fake_stockx.batch_polls_to_complete = 2
    fake_stockx.fail_batch_items([1], "Amount below the minimum")
    items = [
        {"variantId": find_variant(fake_stockx, "BB550WT1", "9").variant_id, "amount": "150", "quantity": 3}
    ]
    queued = check("POST", "/selling/batch/create-listing", 200, json={"items": items})
    assert queued["status"] == "QUEUED" and queued["totalItems"] == 3
    ids = {"batchId": queued["batchId"]}
    running = check("GET", "/selling/batch/create-listing/{batchId}", 200, path=ids)
    assert running["status"] == "IN_PROGRESS"
    done = check("GET", "/selling/batch/create-listing/{batchId}", 200, path=ids)
    assert done["status"] == "COMPLETED" and done["itemStatuses"] == {"completed": 2, "failed": 1}
    failed = check(
        "GET", "/selling/batch/create-listing/{batchId}/items", 200, path=ids, params={"status": "FAILED"}
    )
    assert [i["error"] for i in failed["items"]] == ["Amount below the minimum"]
    ok = check(
        "GET", "/selling/batch/create-listing/{batchId}/items", 200, path=ids, params={"status": "COMPLETED"}
    )
    listing_ids = [i["result"]["listingId"] for i in ok["items"]]
    assert {fake_stockx.listings[x].batch_id for x in listing_ids} == {queued["batchId"]}
    update = [{"listingId": listing_ids[0], "amount": "140"}, {"listingId": "missing"}]
    upd = check("POST", "/selling/batch/update-listing", 200, json={"items": update})
    fake_stockx.settle()
    upd_items = check(
        "GET", "/selling/batch/update-listing/{batchId}/items", 200, path={"batchId": upd["batchId"]}
    )
    assert [i["status"] for i in upd_items["items"]] == ["COMPLETED", "FAILED"]
    assert fake_stockx.listings[listing_ids[0]].amount == 140
    dele = check(
        "POST", "/selling/batch/delete-listing", 200, json={"items": [{"listingId": listing_ids[1]}]}
    )
    check("GET", "/selling/batch/delete-listing/{batchId}", 200, path={"batchId": dele["batchId"]})
    check("GET", "/selling/batch/delete-listing/{batchId}", 200, path={"batchId": dele["batchId"]})
    check("GET", "/selling/batch/delete-listing/{batchId}/items", 200, path={"batchId": dele["batchId"]})
    assert fake_stockx.listings[listing_ids[1]].status == "DELETED"
    too_many = {"items": [{"listingId": listing_ids[0]}] * 101}
    error = check("POST", "/selling/batch/delete-listing", 400, json=too_many)
    assert error["message"] == "items must contain no more than 100 elements"
    check("POST", "/selling/batch/update-listing", 400, json=too_many)
    assert check.problems == []


def test_orders_follow_the_spec_and_paginate(fake_stockx: FakeStockX, client: httpx.Client) -> None:
    check = Checker(client)
    add_orders(fake_stockx, 250, start=datetime(2025, 3, 1, tzinfo=UTC), step=timedelta(hours=2))
    add_orders(fake_stockx, 3, status="CANCELED", start=datetime(2025, 2, 1, tzinfo=UTC))
    active = add_orders(fake_stockx, 4, status="AUTHENTICATING", list_payout=False)
    pages = [
        check("GET", "/selling/orders/history", 200, params={"pageSize": 100, "pageNumber": n})
        for n in (1, 2, 3)
    ]
    assert [len(p["orders"]) for p in pages] == [100, 100, 53]
    assert [p["hasNextPage"] for p in pages] == [True, True, False] and pages[0]["count"] == 253
    numbers = [o["orderNumber"] for p in pages for o in p["orders"]]
    assert len(set(numbers)) == 253
    created = [o["createdAt"] for o in pages[0]["orders"]]
    assert created == sorted(created, reverse=True) and created[0].endswith(".000Z")
    window = check(
        "GET", "/selling/orders/history", 200, params={"fromDate": "2025-03-02", "toDate": "2025-03-02"}
    )
    assert window["count"] == 12
    canceled = check("GET", "/selling/orders/history", 200, params={"orderStatus": "CANCELED"})
    assert canceled["count"] == 3
    listed = check("GET", "/selling/orders/active", 200, params={"pageSize": 10})
    assert listed["count"] == 4 and all("payout" not in o for o in listed["orders"])
    detail = check("GET", "/selling/orders/{orderNumber}", 200, path={"orderNumber": active[0].order_number})
    assert detail["payout"]["adjustments"][0]["amount"].startswith("-") and "shipment" in detail
    for params in ({"pageSize": 0}, {"pageSize": 101}, {"pageNumber": 0}, {"fromDate": "01/03/2025"}):
        error = check("GET", "/selling/orders/history", 400, params=params)
        assert error["statusCode"] == 400
    check("GET", "/selling/orders/active", 400, params={"orderStatus": "COMPLETED"})
    missing = check.client.get("/selling/orders/1-2")
    assert missing.status_code == 404 and missing.json()["statusCode"] == 404
    assert check.problems == []


def test_search_paginates_within_its_limits(fake_stockx: FakeStockX, client: httpx.Client) -> None:
    first = client.get("/catalog/search", params={"query": "white", "pageSize": 2}).json()
    assert (first["count"], first["hasNextPage"], len(first["products"])) == (2, False, 2)
    assert client.get("/catalog/search", params={"query": "nike", "pageSize": 51}).status_code == 400
    assert client.get("/catalog/search", params={"query": ""}).status_code == 400


def test_api_key_and_bearer_are_required(fake_stockx: FakeStockX, client: httpx.Client) -> None:
    no_key = httpx.get(f"{fake_stockx.api_url}/selling/listings", headers={"Authorization": "x"})
    assert (no_key.status_code, no_key.json()) == (403, {"message": "Forbidden"})
    no_token = httpx.get(
        f"{fake_stockx.api_url}/selling/listings", headers={"x-api-key": fake_stockx.api_key}
    )
    assert (no_token.status_code, no_token.json()) == (401, {"statusCode": 401, "message": "Unauthorized"})
    assert client.get("/selling/listings").status_code == 200
    fake_stockx.expire_tokens_after = 2
    assert [client.get("/selling/listings").status_code for _ in range(3)] == [200, 401, 401]
    fake_stockx.token_ttl_s = 0.2
    with login(fake_stockx) as short:
        assert short.get("/selling/listings").status_code == 200
        time.sleep(0.3)
        assert short.get("/selling/listings").status_code == 401


def test_oauth_code_flow_and_refresh_errors(fake_stockx: FakeStockX) -> None:
    fake_stockx.redirect_uri = "http://127.0.0.1:8765/callback"
    query = {
        "response_type": "code",
        "client_id": fake_stockx.client_id,
        "redirect_uri": fake_stockx.redirect_uri,
        "scope": "offline_access openid",
        "audience": "gateway.stockx.com",
        "state": "s-123",
    }
    redirect = httpx.get(f"{fake_stockx.auth_url}/authorize", params=query)
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.path == "/callback" and params["state"] == "s-123"
    form = {
        "grant_type": "authorization_code",
        "client_id": fake_stockx.client_id,
        "client_secret": fake_stockx.client_secret,
        "code": params["code"],
        "redirect_uri": fake_stockx.redirect_uri,
    }
    tokens = httpx.post(f"{fake_stockx.auth_url}/oauth/token", data=form).json()
    assert set(tokens) == {"access_token", "refresh_token", "id_token", "token_type", "expires_in", "scope"}
    reused = httpx.post(f"{fake_stockx.auth_url}/oauth/token", data=form)
    assert reused.status_code == 403 and reused.json()["error"] == "invalid_grant"
    refresh = {**form, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    renewed = httpx.post(f"{fake_stockx.auth_url}/oauth/token", data=refresh).json()
    assert "refresh_token" not in renewed and renewed["expires_in"] == 43200
    as_json = httpx.post(f"{fake_stockx.auth_url}/oauth/token", json=refresh)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    bad_client = httpx.post(f"{fake_stockx.auth_url}/oauth/token", data={**refresh, "client_secret": "x"})
    assert bad_client.status_code == 401
    fake_stockx.revoke_refresh_tokens()
    revoked = httpx.post(f"{fake_stockx.auth_url}/oauth/token", data=refresh)
    assert revoked.status_code == 403
    assert revoked.json() == {
        "error": "invalid_grant",
        "error_description": "Unknown or invalid refresh token.",
    }
    assert (
        httpx.get(f"{fake_stockx.auth_url}/authorize", params={**query, "redirect_uri": "x"}).status_code
        == 400
    )
    assert fake_stockx.grants == {"authorization_code": 2, "refresh_token": 3}


def test_rate_limit_quota_and_retry_after(fake_stockx: FakeStockX, client: httpx.Client) -> None:
    fake_stockx.rate_limit = 2
    burst = [client.get("/selling/listings") for _ in range(5)]
    assert [r.status_code for r in burst] == [200, 200, 429, 429, 429]
    assert "Retry-After" not in burst[2].headers and burst[2].json()["statusCode"] == 429
    assert fake_stockx.rate_limited == 3
    time.sleep(1.0)
    fake_stockx.retry_after = 1
    assert [client.get("/selling/listings").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/selling/listings").headers["Retry-After"] == "1"
    time.sleep(1.0)
    fake_stockx.rate_limit, fake_stockx.daily_quota = None, 6
    codes = [client.get("/selling/listings").status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # four were served today before


def test_injected_faults(fake_stockx: FakeStockX, request: pytest.FixtureRequest) -> None:
    client = login(fake_stockx, timeout=0.3)
    request.addfinalizer(client.close)
    fake_stockx.inject("status", 2, status=503, after=1)
    assert [client.get("/selling/listings").status_code for _ in range(4)] == [200, 503, 503, 200]
    fake_stockx.inject("429", retry_after=2)
    limited = client.get("/selling/listings")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    fake_stockx.inject("reset")
    with pytest.raises(httpx.TransportError):
        client.get("/selling/listings")
    fake_stockx.inject("delay", seconds=3.0)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/selling/listings")
    fake_stockx.inject("bot")
    bot = client.get("/selling/listings")
    assert bot.status_code == 403 and "px-captcha" in bot.text
    assert bot.headers["Content-Type"].startswith("text/html")
    fake_stockx.inject("status", status=500, path="/oauth/token")
    assert httpx.post(f"{fake_stockx.auth_url}/oauth/token", data={}).status_code == 500
    assert client.get("/selling/listings").status_code == 200
    # the delayed call is logged when answered (after the test); the reset one logs status 0
    assert fake_stockx.count("/v2/selling/listings") == 8 and fake_stockx.statuses[0] == 1


def test_listing_filters(fake_stockx: FakeStockX, client: httpx.Client) -> None:
    kept = add_listing(fake_stockx, "HQ4540", "10", 300)
    add_listing(fake_stockx, "DD1391-100", "9", 150, status="INACTIVE")
    add_orders(fake_stockx, 2)

    def ids(**params: str) -> list[str]:
        return [x["listingId"] for x in client.get("/selling/listings", params=params).json()["listings"]]

    assert len(ids()) == 4
    assert ids(listingStatuses="ACTIVE") == [kept.listing_id]
    assert len(ids(listingStatuses="ACTIVE,INACTIVE")) == 2
    assert ids(productIds=kept.product.product_id, listingStatuses="ACTIVE,INACTIVE") == [kept.listing_id]
    assert client.get("/selling/listings", params={"productIds": "[a]"}).status_code == 400
    assert client.get("/selling/listings", params={"listingStatuses": "DELETED"}).status_code == 400
