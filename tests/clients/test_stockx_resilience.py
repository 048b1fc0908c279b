"""StockX client under failure: 4xx, 401 refresh, bot protection, 429, 5xx, timeouts, token reuse."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from soleflip_cli.clients.stockx.tokens import ACCESS_TOKEN, API_KEY, REFRESH_TOKEN, stored_access_token
from soleflip_cli.errors import ApiError, AuthError, ExitCode, ReplyError
from soleflip_cli.secrets import SecretStore, open_store
from tests.clients.stockx_mock import (
    API,
    SECRETS,
    T0,
    FakeClock,
    ScriptedApi,
    html_403,
    make_client,
    reply,
    seed_store,
)

SEARCH_URL = API + "/catalog/search"
EMPTY = {"count": 0, "pageSize": 50, "pageNumber": 1, "hasNextPage": False, "products": []}
CREATE_URL = API + "/selling/listings"
FRESH = {"access_token": "access-SEKRIT-new", "expires_in": 43200, "token_type": "Bearer", "id_token": "x"}


@pytest.fixture
def store(tmp_path: Path) -> SecretStore:
    store = open_store(tmp_path, None)
    seed_store(store)
    return store


def _no_secret_in(text: str) -> None:
    for value in [*SECRETS.values(), "access-SEKRIT-0", "access-SEKRIT-new"]:
        assert value not in text


def test_400_is_an_api_error_with_the_message(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(400, {"statusCode": 400, "message": "pageSize must be <= 50"}))
    with make_client(api, store, FakeClock()) as client, pytest.raises(ApiError) as info:
        client.search_catalog("x", page_size=60)
    assert info.value.status == 400 and info.value.exit_code == ExitCode.ERROR
    assert "HTTP 400: pageSize must be <= 50" in str(info.value)
    assert len(api.requests) == 1


def test_404_and_error_message_fallbacks(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on(
        "GET",
        API + "/selling/orders/nope",
        reply(404, {"statusCode": 404, "errorMessage": "Order not found"}),
    )
    with make_client(api, store, FakeClock()) as client, pytest.raises(ApiError) as info:
        client.get_order("nope")
    assert info.value.status == 404 and "Order not found" in str(info.value)


def test_401_refreshes_once_then_retries_with_the_new_token(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(401, {"statusCode": 401, "message": "Unauthorized"}), reply(200, EMPTY))
    api.token(reply(200, FRESH))
    clock = FakeClock()
    with make_client(api, store, clock) as client:
        assert client.search_catalog("x").count == 0
        assert client.stats.requests == 2
    first, refresh, retry = api.requests
    assert first.headers["authorization"] == "Bearer access-SEKRIT-0"
    assert retry.headers["authorization"] == "Bearer access-SEKRIT-new"
    assert refresh.headers["content-type"] == "application/x-www-form-urlencoded"
    assert api.token_forms() == [
        {
            "grant_type": "refresh_token",
            "client_id": SECRETS["stockx.client_id"],
            "client_secret": SECRETS["stockx.client_secret"],
            "audience": "gateway.stockx.com",
            "refresh_token": SECRETS[REFRESH_TOKEN],
        }
    ]
    saved = stored_access_token(store)
    assert saved is not None and saved.value == "access-SEKRIT-new"
    assert saved.expires_at == T0 + timedelta(hours=12)
    assert store.get(REFRESH_TOKEN) == SECRETS[REFRESH_TOKEN]  # the refresh grant returns none; keep ours


def test_401_after_refresh_is_an_auth_error_without_a_second_refresh(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(401, {"statusCode": 401, "message": "Unauthorized"}))
    api.token(reply(200, FRESH))
    with make_client(api, store, FakeClock()) as client, pytest.raises(AuthError) as info:
        client.search_catalog("x")
    assert info.value.exit_code == ExitCode.AUTH
    assert len(api.token_forms()) == 1 and len(api.api_requests()) == 2


def test_invalid_grant_asks_for_a_new_login(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(401, {"statusCode": 401, "message": "Unauthorized"}))
    api.token(
        reply(403, {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."})
    )
    with make_client(api, store, FakeClock()) as client, pytest.raises(AuthError) as info:
        client.search_catalog("x")
    message = str(info.value)
    assert "invalid_grant" in message and "run `soleflip auth login stockx`" in message
    assert info.value.exit_code == ExitCode.AUTH
    assert store.get(ACCESS_TOKEN) is None  # the rejected access token is forgotten
    _no_secret_in(message)


def test_bot_protection_403_is_not_an_auth_failure(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, html_403())
    with make_client(api, store, FakeClock()) as client, pytest.raises(ApiError) as info:
        client.search_catalog("x")
    assert not isinstance(info.value, AuthError) and info.value.status == 403
    assert "bot protection" in str(info.value)
    assert api.token_forms() == [] and len(api.requests) == 1  # no refresh loop


def test_bot_protection_holds_later_calls(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, html_403(), reply(200, EMPTY))
    clock = FakeClock()
    with make_client(api, store, clock) as client:
        with pytest.raises(ApiError):
            client.search_catalog("x")
        client.search_catalog("x")
    assert clock.sleeps == [pytest.approx(120.0)]


def test_perimeterx_json_403_is_bot_protection_too(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(403, {"appId": "PXu6b0qd2S", "blockScript": "/captcha/captcha.js"}))
    with make_client(api, store, FakeClock()) as client, pytest.raises(ApiError, match="bot protection"):
        client.search_catalog("x")


def test_gateway_forbidden_403_points_at_the_api_key(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(403, {"message": "Forbidden"}))
    with make_client(api, store, FakeClock()) as client, pytest.raises(AuthError, match="API key"):
        client.search_catalog("x")


def test_429_honours_retry_after(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on(
        "GET",
        SEARCH_URL,
        reply(429, {"statusCode": 429, "message": "slow"}, {"Retry-After": "7"}),
        reply(200, EMPTY),
    )
    clock = FakeClock()
    with make_client(api, store, clock) as client:
        client.search_catalog("x")
        assert (client.stats.requests, client.stats.rate_limited) == (2, 1)
    assert clock.sleeps == [pytest.approx(7.0)]


def test_429_without_retry_after_backs_off_exponentially_with_jitter(store: SecretStore) -> None:
    api = ScriptedApi()
    limited = reply(429, {"statusCode": 429, "message": "slow"})
    api.on("GET", SEARCH_URL, limited, limited, limited, reply(200, EMPTY))
    clock = FakeClock()
    with make_client(api, store, clock) as client:
        client.search_catalog("x")
        assert client.stats.rate_limited == 3
    assert len(clock.sleeps) == 3
    for attempt, slept in enumerate(clock.sleeps):
        assert 0.5 * 2**attempt <= slept <= 2**attempt


def test_429_storm_stops_after_max_retries(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(429, {"statusCode": 429, "message": "slow"}))
    with make_client(api, store, FakeClock(), max_retries=2) as client, pytest.raises(ApiError) as info:
        client.search_catalog("x")
    assert info.value.status == 429 and "after 3 attempts" in str(info.value)
    assert len(api.requests) == 3


def test_a_very_long_retry_after_is_not_waited_out(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(429, {"statusCode": 429, "message": "quota"}, {"Retry-After": "3600"}))
    clock = FakeClock()
    with make_client(api, store, clock) as client, pytest.raises(ApiError, match="429"):
        client.search_catalog("x")
    assert clock.sleeps == [] and len(api.requests) == 1


def test_5xx_is_retried_then_succeeds(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(503), reply(502, None), reply(200, EMPTY))
    clock = FakeClock()
    with make_client(api, store, clock) as client:
        assert client.search_catalog("x").count == 0
    assert len(api.requests) == 3 and len(clock.sleeps) == 2


def test_persistent_5xx_gives_a_clear_error(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(500, {"statusCode": 500, "message": "The request did not succeed"}))
    with make_client(api, store, FakeClock()) as client, pytest.raises(ApiError) as info:
        client.search_catalog("x")
    assert info.value.status == 500
    assert str(info.value).startswith("StockX failed on GET /catalog/search with HTTP 500 after 4 attempts")


def test_a_failed_write_is_never_repeated_blindly(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("POST", CREATE_URL, reply(503))
    with make_client(api, store, FakeClock()) as client, pytest.raises(ApiError, match="outcome is unknown"):
        client.create_listing("v", amount=Decimal("100"))
    assert len(api.requests) == 1


def test_timeouts_are_retried_for_reads(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), reply(200, EMPTY))
    with make_client(api, store, FakeClock()) as client:
        assert client.search_catalog("x").count == 0
    assert len(api.requests) == 3


def test_persistent_timeouts_give_a_clear_error(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, httpx.ReadTimeout("slow"))
    with make_client(api, store, FakeClock()) as client, pytest.raises(ApiError) as info:
        client.search_catalog("x")
    assert "did not answer GET /catalog/search after 4 attempts (timed out)" in str(info.value)


def test_write_timeout_is_unknown_but_a_refused_connection_is_retried(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("POST", CREATE_URL, httpx.ReadTimeout("slow"))
    with (
        make_client(api, store, FakeClock()) as client,
        pytest.raises(ApiError, match="re-read the listings"),
    ):
        client.create_listing("v", amount=Decimal("100"))
    assert len(api.requests) == 1
    api = ScriptedApi()
    operation = {"listingId": "l", "operationId": "o", "operationStatus": "PENDING"}
    api.on("POST", CREATE_URL, httpx.ConnectError("refused"), reply(201, operation))
    with make_client(api, store, FakeClock()) as client:
        assert client.create_listing("v", amount=Decimal("100")).operation_id == "o"


def test_stored_access_token_is_reused_across_runs(store: SecretStore) -> None:
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(200, EMPTY))
    for _ in range(2):  # two "runs", each with its own client
        with make_client(api, store, FakeClock()) as client:
            client.search_catalog("x")
    assert api.token_forms() == []
    assert {r.headers["authorization"] for r in api.requests} == {"Bearer access-SEKRIT-0"}


def test_token_is_refreshed_five_minutes_before_expiry(tmp_path: Path) -> None:
    store = open_store(tmp_path, None)
    seed_store(store, valid_for=299)  # expires in 4:59 -> too close
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(200, EMPTY))
    api.token(reply(200, {**FRESH, "refresh_token": "refresh-SEKRIT-rotated"}))
    with make_client(api, store, FakeClock()) as client:
        client.search_catalog("x")
    assert len(api.token_forms()) == 1
    assert api.requests[-1].headers["authorization"] == "Bearer access-SEKRIT-new"
    assert store.get(REFRESH_TOKEN) == "refresh-SEKRIT-rotated"  # a rotated refresh token is kept


def test_expiry_from_jwt_when_expires_in_is_missing(tmp_path: Path) -> None:
    store = open_store(tmp_path, None)
    seed_store(store, access_token=None)
    exp = int((T0 + timedelta(hours=2)).timestamp())
    claims = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).decode().rstrip("=")
    api = ScriptedApi()
    api.on("GET", SEARCH_URL, reply(200, EMPTY))
    api.token(reply(200, {"access_token": f"h.{claims}.s", "token_type": "Bearer"}))
    with make_client(api, store, FakeClock()) as client:
        client.search_catalog("x")
    saved = stored_access_token(store)
    assert saved is not None and saved.expires_at == T0 + timedelta(hours=2)


def test_refresh_is_single_flight(store: SecretStore) -> None:
    api = ScriptedApi()
    api.token(reply(200, FRESH))
    with make_client(api, store, FakeClock()) as client:
        stale = client.tokens.current()
        first = client.tokens.refresh(stale=stale)
        second = client.tokens.refresh(stale=stale)  # a concurrent caller that saw the same 401
    assert first == second == "access-SEKRIT-new"
    assert len(api.token_forms()) == 1


def test_not_logged_in_and_missing_api_key(tmp_path: Path) -> None:
    store = open_store(tmp_path, None)
    api = ScriptedApi()
    with make_client(api, store, FakeClock()) as client, pytest.raises(AuthError, match="API key"):
        client.search_catalog("x")
    store.set(API_KEY, "k")
    with make_client(api, store, FakeClock()) as client, pytest.raises(AuthError) as info:
        client.search_catalog("x")
    assert "not logged in to StockX" in str(info.value) and "soleflip auth login stockx" in str(info.value)
    assert api.requests == []


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (
            reply(401, {"error": "invalid_client", "error_description": "x"}),
            AuthError,
            "application credentials",
        ),
        (reply(400, {"error": "unsupported_grant_type"}), ApiError, r"HTTP 400 \(unsupported_grant_type\)"),
        (reply(503), ApiError, "after 4 attempts"),
        (html_403(), ApiError, "login service blocked the request"),
        (
            reply(200, {"token_type": "Bearer"}),
            ReplyError,
            "POST /oauth/token with a reply without a usable token",
        ),
    ],
)
def test_token_endpoint_failures(
    store: SecretStore, answer: httpx.Response, error: type, message: str
) -> None:
    store.delete(ACCESS_TOKEN)
    api = ScriptedApi()
    api.token(answer)
    with make_client(api, store, FakeClock()) as client, pytest.raises(error, match=message) as info:
        client.search_catalog("x")
    if error is ApiError:
        assert not isinstance(info.value, AuthError)
    assert api.api_requests() == []
    _no_secret_in(str(info.value))
