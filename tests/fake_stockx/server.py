"""The fake StockX HTTP server: OAuth (Auth0-style) and API v2 on 127.0.0.1, in a background thread."""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fake_stockx import batches, catalog, listings
from tests.fake_stockx.catalog import ApiFault, Query, Reply
from tests.fake_stockx.state import AUDIENCE, FakeState, RequestRecord

Handler = Callable[[FakeState, dict[str, str], Query, Any], Reply]
_KIND = "{kind:create|update|delete}"


def _batch(fn: Callable[..., Reply], with_query: bool = False) -> Handler:
    def handle(state: FakeState, params: dict[str, str], query: Query, body: Any) -> Reply:
        if "batchId" not in params:
            return fn(state, params["kind"], body)
        if with_query:
            return fn(state, params["kind"], params["batchId"], query)
        return fn(state, params["kind"], params["batchId"])

    return handle


_TABLE: list[tuple[str, str, Handler]] = [
    ("GET", "/catalog/search", catalog.search),
    ("GET", "/catalog/products/variants/gtins/{gtin}", catalog.get_gtin),
    ("GET", "/catalog/products/{productId}", catalog.get_product),
    ("GET", "/catalog/products/{productId}/variants", catalog.get_variants),
    ("GET", "/catalog/products/{productId}/variants/{variantId}", catalog.get_variant),
    ("GET", "/catalog/products/{productId}/market-data", catalog.product_market),
    ("GET", "/catalog/products/{productId}/variants/{variantId}/market-data", catalog.variant_market),
    ("GET", "/selling/listings", listings.list_listings),
    ("POST", "/selling/listings", listings.create_listing),
    ("GET", "/selling/listings/{listingId}", listings.get_listing),
    ("PATCH", "/selling/listings/{listingId}", listings.update_listing),
    ("DELETE", "/selling/listings/{listingId}", listings.delete_listing),
    ("PUT", "/selling/listings/{listingId}/activate", listings.activate_listing),
    ("PUT", "/selling/listings/{listingId}/deactivate", listings.deactivate_listing),
    ("GET", "/selling/listings/{listingId}/operations", listings.list_operations),
    ("GET", "/selling/listings/{listingId}/operations/{operationId}", listings.get_operation),
    ("POST", f"/selling/batch/{_KIND}-listing", _batch(batches.submit)),
    ("GET", f"/selling/batch/{_KIND}-listing/{{batchId}}", _batch(batches.status)),
    ("GET", f"/selling/batch/{_KIND}-listing/{{batchId}}/items", _batch(batches.items, with_query=True)),
    ("GET", "/selling/orders/active", catalog.active_orders),
    ("GET", "/selling/orders/history", catalog.history_orders),
    ("GET", "/selling/orders/{orderNumber}", catalog.get_order),
]


def _compile(template: str) -> re.Pattern[str]:
    def group(match: re.Match[str]) -> str:
        name, _, pattern = match[1].partition(":")
        return f"(?P<{name}>{pattern or '[^/]+'})"

    return re.compile("/v2" + re.sub(r"\{([^}]+)\}", group, template) + "$")


ROUTES = [(method, _compile(template), handler) for method, template, handler in _TABLE]
BOT_PAGE = (
    "<html><head><title>Access to this page has been denied</title></head><body>"
    '<div id="px-captcha"></div><script src="/captcha/captcha.js"></script>'
    '<script>window._pxAppId = "PXfake1234";</script></body></html>'
)
Answer = tuple[int, Any, dict[str, str]]


def _fake_jwt(claims: dict[str, Any]) -> str:
    parts = [json.dumps({"alg": "RS256"}).encode(), json.dumps(claims).encode(), secrets.token_bytes(16)]
    return ".".join(base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in parts)


def _oauth_error(status: int, error: str, description: str) -> Answer:
    return status, {"error": error, "error_description": description}, {}


def token_endpoint(fake: FakeStockX, content_type: str, raw: bytes) -> Answer:
    """POST /oauth/token: authorization_code and refresh_token grants, form-encoded only."""
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return _oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
    form = dict(parse_qsl(raw.decode("utf-8", "replace")))
    grant = form.get("grant_type", "")
    with fake.lock:
        fake.grants[grant] += 1
    if grant not in {"authorization_code", "refresh_token"}:
        return _oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
    if form.get("client_id") != fake.client_id or form.get("client_secret") != fake.client_secret:
        return _oauth_error(401, "access_denied", "Unauthorized")
    id_token = _fake_jwt({"sub": "auth0|fake-seller", "aud": fake.client_id})
    ttl = int(math.ceil(fake.token_ttl_s))
    if grant == "authorization_code":
        for name in ("code", "redirect_uri"):
            if not form.get(name):
                return _oauth_error(400, "invalid_request", f"Missing required parameter: {name}")
        with fake.lock:
            entry = fake.codes.pop(form["code"], None)
        if entry is None or entry[1] < time.time():
            return _oauth_error(fake.invalid_grant_status, "invalid_grant", "Invalid authorization code")
        if entry[0] != form["redirect_uri"]:
            return _oauth_error(fake.invalid_grant_status, "invalid_grant", "Invalid redirect_uri")
        body: dict[str, Any] = {
            "access_token": fake.issue_access_token(),
            "refresh_token": fake.issue_refresh_token(),
            "id_token": id_token,
            "token_type": "Bearer",
        }
        if fake.code_grant_expires_in:
            body |= {"expires_in": ttl, "scope": "openid offline_access"}
        return 200, body, {}
    if form.get("audience") not in (None, AUDIENCE):
        return _oauth_error(403, "access_denied", f"Service not found: {form['audience']}")
    with fake.lock:
        known = form.get("refresh_token") in fake.refresh_tokens
    if not known:
        return _oauth_error(fake.invalid_grant_status, "invalid_grant", "Unknown or invalid refresh token.")
    body = {
        "access_token": fake.issue_access_token(),
        "expires_in": ttl,
        "id_token": id_token,
        "scope": "openid email offline_access",
        "token_type": "Bearer",
    }
    if fake.refresh_returns_refresh_token:
        body["refresh_token"] = fake.issue_refresh_token()
    return 200, body, {}


def authorize_endpoint(fake: FakeStockX, query: Query) -> Answer:
    """GET /authorize: check the request, then 302 to the redirect URI with code (or error) and state."""
    redirect = query.get("redirect_uri", "")
    problems = [
        "response_type must be code" if query.get("response_type") != "code" else "",
        "unknown client_id" if query.get("client_id") != fake.client_id else "",
        "redirect_uri is required" if not redirect else "",
        "Callback URL mismatch" if redirect and fake.redirect_uri not in (None, redirect) else "",
        "audience must be gateway.stockx.com" if query.get("audience") != AUDIENCE else "",
        "scope must include offline_access and openid"
        if not {"offline_access", "openid"} <= set(query.get("scope", "").split())
        else "",
    ]
    if any(problems):
        return 400, {"error": "invalid_request", "error_description": "; ".join(p for p in problems if p)}, {}
    params = {"state": query["state"]} if "state" in query else {}
    if fake.authorize_error:
        params = {"error": fake.authorize_error, "error_description": "User denied access"} | params
    else:
        code = secrets.token_urlsafe(24)
        with fake.lock:
            fake.codes[code] = (redirect, time.time() + 600)
        params = {"code": code} | params
    sep = "&" if "?" in redirect else "?"
    return 302, None, {"Location": redirect + sep + urlencode(params)}


def api_endpoint(fake: FakeStockX, method: str, path: str, headers: Any, query: Query, raw: bytes) -> Answer:
    """A /v2 call: rate limit and quota, x-api-key (403), bearer (401), then the route."""
    limited = fake.over_limit(time.monotonic())
    if limited:
        extra = {"Retry-After": f"{fake.retry_after:g}"} if fake.retry_after is not None else {}
        return 429, {"statusCode": 429, "message": limited}, extra
    if headers.get("x-api-key") != fake.api_key:
        return 403, {"message": "Forbidden"}, {}
    with fake.lock:
        if fake.expire_tokens_after is not None:
            fake.expire_tokens_after -= 1
            if fake.expire_tokens_after <= 0:
                fake.expire_tokens_after = None
                fake.access_tokens.clear()
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not fake.token_valid(token):
        return 401, {"statusCode": 401, "message": "Unauthorized"}, {}
    for route_method, pattern, handler in ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return 400, {"statusCode": 400, "message": "Request body is not valid JSON"}, {}
            try:
                with fake.lock:
                    status, reply = handler(fake, match.groupdict(), query, body)
            except ApiFault as fault:
                return fault.status, {"statusCode": fault.status, "message": fault.message}, {}
            return status, reply, {}
    return 404, {"statusCode": 404, "message": f"Cannot {method} {path}"}, {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        return

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header, off by the fake's `date_offset_s` (a server clock that is wrong)."""
        moment = time.time() if timestamp is None else timestamp
        return super().date_time_string(moment + self.server.fake.date_offset_s)

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        arrived = time.monotonic()
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fault = fake.take_fault(url.path)
        answer: Answer
        if fault is not None and fault.kind == "reset":
            fake.record(RequestRecord(arrived, method, url.path, url.query, 0))
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault is not None and fault.kind == "delay":
            fake.stopping.wait(fault.seconds)
        if fault is not None and fault.kind == "bot":
            answer = 403, BOT_PAGE, {"Content-Type": "text/html; charset=utf-8"}
        elif fault is not None and fault.kind == "429":
            extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            answer = 429, {"statusCode": 429, "message": "Too Many Requests"}, extra
        elif fault is not None and fault.kind == "status":
            answer = fault.status, {"statusCode": fault.status, "message": "Injected failure"}, {}
        elif fault is not None and fault.kind == "reply":
            answer = fault.status, fault.body, {"Content-Type": fault.content_type}
        elif url.path.startswith("/v2/"):
            answer = api_endpoint(fake, method, url.path, self.headers, query, raw)
        elif url.path == "/oauth/token" and method == "POST":
            answer = token_endpoint(fake, self.headers.get("Content-Type", ""), raw)
        elif url.path == "/authorize" and method == "GET":
            answer = authorize_endpoint(fake, query)
        else:
            answer = 404, {"statusCode": 404, "message": f"Cannot {method} {url.path}"}, {}
        if fault is not None and fault.mangle is not None and 200 <= answer[0] < 300:
            answer = _mangled(answer, fault.mangle)
        fake.record(RequestRecord(arrived, method, url.path, url.query, answer[0]))
        self._send(*answer)

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        if isinstance(body, str):
            data = body.encode()
        else:
            data = b"" if body is None else json.dumps(body).encode()
            headers = {"Content-Type": "application/json; charset=utf-8"} | headers
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (a delay longer than its timeout)
            self.close_connection = True


def _mangled(answer: Answer, mangle: Callable[[Any], Any]) -> Answer:
    """A reply rewritten by `mangle`: a str goes out as the raw JSON body, None as an empty one."""
    status, body, headers = answer
    rewritten = mangle(body)
    if isinstance(rewritten, str):
        return status, rewritten, {"Content-Type": "application/json; charset=utf-8"} | headers
    return status, rewritten, headers


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeStockX) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # resets and abandoned connections are expected here


class FakeStockX(FakeState):
    """The fake StockX: `start()` it, point the client at `api_url`/`auth_url`, `stop()` it."""

    def __init__(self, *, seed: int = 7) -> None:
        super().__init__(seed=seed)
        self.stopping = threading.Event()
        self.expire_tokens_after: int | None = None  # after N more /v2 calls every access token dies
        self.date_offset_s = 0.0  # how far the `Date` header is from the real time
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT` (also the auth URL)."""
        if self._server is None:
            raise RuntimeError("the fake StockX server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """Base URL of the API (`…/v2`), like `https://api.stockx.com/v2`."""
        return self.url + "/v2"

    @property
    def auth_url(self) -> str:
        """Base URL of the OAuth server, like `https://accounts.stockx.com`."""
        return self.url

    def start(self) -> FakeStockX:
        """Listen on a free port in a daemon thread."""
        self._server = _Server(self)
        self.api_base = self.api_url
        # A short poll interval: stop() waits until the serving loop notices (0.5 s by default).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-stockx", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (sleeping handlers wake up)."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def env(self, *, requests_per_second: float | None = None) -> dict[str, str]:
        """SOLEFLIP_* variables pointing soleflip at this server with its credentials."""
        values = {
            "SOLEFLIP_STOCKX__API_URL": self.api_url,
            "SOLEFLIP_STOCKX__AUTH_URL": self.auth_url,
            "SOLEFLIP_STOCKX__API_KEY": self.api_key,
            "SOLEFLIP_STOCKX__CLIENT_ID": self.client_id,
            "SOLEFLIP_STOCKX__CLIENT_SECRET": self.client_secret,
        }
        if self.redirect_uri:
            values["SOLEFLIP_STOCKX__REDIRECT_URI"] = self.redirect_uri
        if requests_per_second is not None:
            values["SOLEFLIP_STOCKX__REQUESTS_PER_SECOND"] = f"{requests_per_second:g}"
        return values

    def settle(self) -> None:
        """Finish every pending listing operation and batch now (as time passing would)."""
        with self.lock:
            for listing in list(self.listings.values()):
                for op in listing.operations:
                    listings.finish_operation(self, op)
            for batch in self.batches.values():
                if batch.status != "COMPLETED":
                    batches.complete(self, batch)
