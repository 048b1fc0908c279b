"""What the fake StockX holds: catalog, listings, orders, tokens, knobs, counters and queued faults."""

from __future__ import annotations

import base64
import json
import random
import secrets
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ACTIVE_ORDER_STATUSES = tuple(
    "CREATED CCAUTHORIZATIONFAILED SHIPPED RECEIVED AUTHENTICATING AUTHENTICATED PAYOUTPENDING "
    "PAYOUTCOMPLETED SYSTEMFULFILLED PAYOUTFAILED SUSPENDED PENDING DONOTSHIP".split()
)
HISTORY_ORDER_STATUSES = ("AUTHFAILED", "DIDNOTSHIP", "CANCELED", "COMPLETED", "RETURNED")
LISTING_STATUSES = ("INACTIVE", "ACTIVE", "CANCELED", "MATCHED", "COMPLETED")
LISTING_CURRENCIES = "AUD CAD CHF EUR GBP HKD JPY KRW MXN NZD SGD USD".split()
MARKET_CURRENCIES = (
    "AUD BRL CAD CHF CLP CNY DKK EUR GBP HKD HUF IDR ILS JPY KRW KWD MOP MXN MYR NOK NZD PEN PHP PLN "
    "SEK SGD THB TWD USD VND".split()
)
AUDIENCE = "gateway.stockx.com"


def ts(moment: datetime) -> str:
    """StockX timestamp: `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def money(amount: Decimal | None) -> str | None:
    """Money as StockX writes it: a string in major units, whole amounts without decimals."""
    if amount is None:
        return None
    text = str(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return text.removesuffix(".00")


def now() -> datetime:
    """The current time (UTC, millisecond precision like StockX)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass
class FakeVariant:
    """One size of a product, with its GTIN and market prices (None = no ask/bid)."""

    variant_id: str
    product_id: str
    size: str
    gtin: str
    variant_name: str
    lowest_ask: Decimal | None
    highest_bid: Decimal | None


@dataclass
class FakeProduct:
    """A catalog product with its sizes."""

    product_id: str
    style_id: str | None
    title: str
    brand: str
    url_key: str
    retail_price: float | None
    release_date: str | None
    colorway: str | None
    product_type: str = "sneakers"
    variants: list[FakeVariant] = field(default_factory=list)


@dataclass
class FakeOperation:
    """An async listing operation; `effect` is applied to the listing when it succeeds."""

    operation_id: str
    listing_id: str
    operation_type: str
    created_at: datetime
    effect: dict[str, Any]
    changes: dict[str, Any]
    status: str = "PENDING"
    updated_at: datetime | None = None
    error: str | None = None
    polls: int = 0
    fail_with: str | None = None


@dataclass
class FakeListing:
    """A listing (one ask) on one variant."""

    listing_id: str
    product: FakeProduct
    variant: FakeVariant
    amount: Decimal
    currency: str
    status: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    inventory_type: str = "STANDARD"
    ask_id: str | None = None
    ask_created_at: datetime | None = None
    batch_id: str | None = None
    task_id: str | None = None
    order_number: str | None = None
    order_created_at: datetime | None = None
    order_status: str | None = None
    operations: list[FakeOperation] = field(default_factory=list)


@dataclass
class FakeOrder:
    """A sale of one listing; `list_payout=False` leaves the payout out of list responses."""

    order_number: str
    listing_id: str
    ask_id: str
    product: FakeProduct
    variant: FakeVariant
    amount: Decimal
    currency: str
    status: str
    created_at: datetime
    updated_at: datetime
    inventory_type: str = "STANDARD"
    list_payout: bool = True
    extra_adjustments: list[tuple[str, Decimal]] = field(default_factory=list)


@dataclass
class FakeBatchItem:
    """One item of a batch; `fail_with` makes it end FAILED with that message."""

    item_id: str
    listing_input: dict[str, Any]
    status: str = "QUEUED"
    result: dict[str, Any] | None = None
    error: str | None = None
    fail_with: str | None = None


@dataclass
class FakeBatch:
    """A create/update/delete batch: QUEUED -> IN_PROGRESS -> COMPLETED as it is polled."""

    batch_id: str
    kind: str
    created_at: datetime
    items: list[FakeBatchItem]
    status: str = "QUEUED"
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    polls: int = 0


@dataclass
class Fault:
    """A queued misbehaviour: `status` (error body), `reset`, `delay`, `bot` (HTML 403), `429`,
    `reply` (a raw body in StockX's place) or `mangle` (StockX's own reply, rewritten)."""

    kind: str
    remaining: int
    path: str | None = None
    status: int = 500
    seconds: float = 0.0
    retry_after: float | None = None
    skip: int = 0
    body: str = ""
    content_type: str = "application/json; charset=utf-8"
    mangle: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake answered (monotonic arrival time, method, path, query, status)."""

    at: float
    method: str
    path: str
    query: str
    status: int


class FakeState:
    """Everything the fake server knows; the knobs are plain attributes tests set directly."""

    def __init__(self, *, seed: int = 7) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        # Credentials the fake accepts.
        self.api_key = "fake-api-key"
        self.client_id = "fake-client-id"
        self.client_secret = "fake-client-secret"
        self.redirect_uri: str | None = None  # the registered callback; None accepts any
        self.api_base = "https://api.stockx.com/v2"  # the server sets its own URL here
        # Knobs.
        self.token_ttl_s: float = 43_200
        self.rate_limit: float | None = None  # requests per second on /v2, None = unlimited
        self.rate_window_s: float = 1.0
        self.rate_tolerance_s: float = 0.05  # arrival jitter forgiven at the window edge
        self.retry_after: float | None = None  # Retry-After seconds on 429s, None = no header
        self.daily_quota: int | None = None
        self.op_polls_to_complete = 1
        self.batch_polls_to_complete = 1
        self.invalid_grant_status = 403  # what Auth0 answers for invalid_grant
        self.code_grant_expires_in = True  # the official example omits expires_in; Auth0 sends it
        self.refresh_returns_refresh_token = False
        self.authorize_error: str | None = None  # e.g. "access_denied": /authorize redirects with it
        self.order_sort = "desc"  # orders newest first ("asc" for oldest first)
        # Data.
        self.products: dict[str, FakeProduct] = {}
        self.variants: dict[str, FakeVariant] = {}
        self.listings: dict[str, FakeListing] = {}
        self.orders: dict[str, FakeOrder] = {}
        self.batches: dict[str, FakeBatch] = {}
        # Auth.
        self.access_tokens: dict[str, float] = {}  # token -> expiry (time.time())
        self.refresh_tokens: set[str] = set()
        self.codes: dict[str, tuple[str, float]] = {}  # code -> (redirect_uri, expiry)
        # Faults queued by tests.
        self.faults: deque[Fault] = deque()
        self.operation_failures: deque[str] = deque()
        self.batch_item_failures: dict[int, str] = {}
        # Counters.
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.grants: Counter[str] = Counter()
        self.rate_limited = 0
        self.log: list[RequestRecord] = []
        self._window: deque[float] = deque()
        self._daily: dict[date, int] = {}

    # ids ------------------------------------------------------------------------------------
    def new_uuid(self) -> str:
        """A random (seeded) UUIDv4 string."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def new_ask_id(self) -> str:
        """A numeric ask id like StockX's."""
        return str(self.rng.randrange(10**19, 2 * 10**19))

    def new_order_number(self) -> str:
        """A standard order number `NNNNNNNNN-NNNNNNNNN`."""
        first = self.rng.randrange(10**8, 10**9)
        return f"{first}-{first - 100_241}"

    # knobs as calls -------------------------------------------------------------------------
    def inject(
        self,
        kind: str = "status",
        count: int = 1,
        *,
        status: int | None = None,
        seconds: float = 0.0,
        retry_after: float | None = None,
        path: str | None = None,
        after: int = 0,
        body: str = "",
        content_type: str = "application/json; charset=utf-8",
        mangle: Callable[[Any], Any] | None = None,
    ) -> None:
        """Queue a fault for `count` matching requests (path prefix; default every /v2 call).

        The first `after` matching requests pass untouched; the fault is gone from `faults` once used.

        Kinds: `status` (JSON error with `status`, default 500), `429` (with optional `retry_after`),
        `reset` (connection reset, no response), `delay` (sleep `seconds`, then answer normally), `bot`
        (HTML 403 bot-protection page), `reply` (a proxy or broken deployment answers in StockX's
        place: `status`, default 200, with the raw `body` as `content_type`; the request is not
        handled), `mangle` (the request is handled as usual, then `mangle` rewrites the decoded reply
        of a 2xx answer; a str it returns is sent as the raw JSON body, None as an empty one).
        """
        if kind not in {"status", "429", "reset", "delay", "bot", "reply", "mangle"}:
            raise ValueError(f"unknown fault kind {kind!r}")
        if (kind == "mangle") != (mangle is not None):
            raise ValueError("a `mangle` fault needs `mangle`, and only it takes one")
        code = status if status is not None else 200 if kind == "reply" else 500
        fault = Fault(kind, count, path, code, seconds, retry_after, after, body, content_type, mangle)
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, path: str) -> Fault | None:
        """The first queued fault matching `path`, used up by one."""
        with self.lock:
            for fault in self.faults:
                matches = path.startswith(fault.path) if fault.path else path.startswith("/v2/")
                if matches and fault.skip > 0:
                    fault.skip -= 1
                    return None
                if matches:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def fail_operations(self, message: str, count: int = 1) -> None:
        """The next `count` listing operations end FAILED with `message` as their error."""
        with self.lock:
            self.operation_failures.extend([message] * count)

    def fail_batch_items(self, indices: list[int], message: str = "Item failed validation") -> None:
        """In the next batch submitted, the items at these (0-based) positions end FAILED."""
        with self.lock:
            self.batch_item_failures = dict.fromkeys(indices, message)

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token now answers `invalid_grant`."""
        with self.lock:
            self.refresh_tokens.clear()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now rejected with 401."""
        with self.lock:
            self.access_tokens.clear()

    def reset_counters(self) -> None:
        """Zero the counters and the request log (data and knobs stay)."""
        with self.lock:
            self.requests.clear()
            self.statuses.clear()
            self.grants.clear()
            self.rate_limited = 0
            self.log.clear()

    def count(self, prefix: str = "", method: str | None = None) -> int:
        """Requests answered whose path starts with `prefix` (and method, when given)."""
        with self.lock:
            return sum(
                1 for r in self.log if r.path.startswith(prefix) and (method is None or r.method == method)
            )

    # tokens ---------------------------------------------------------------------------------
    def issue_access_token(self) -> str:
        """A JWT-shaped access token valid for `token_ttl_s`."""
        issued = time.time()
        claims = {
            "iss": "https://accounts.stockx.com/",
            "sub": "auth0|fake-seller",
            "aud": [AUDIENCE],
            "iat": int(issued),
            "exp": int(issued + self.token_ttl_s + 0.999),
            "scope": "openid offline_access",
        }
        token = ".".join(
            base64.urlsafe_b64encode(part).rstrip(b"=").decode()
            for part in (
                json.dumps({"alg": "RS256", "typ": "JWT"}).encode(),
                json.dumps(claims).encode(),
                secrets.token_bytes(32),
            )
        )
        with self.lock:
            self.access_tokens[token] = issued + self.token_ttl_s
        return token

    def issue_refresh_token(self) -> str:
        """A new valid refresh token (what a completed login leaves behind)."""
        token = "v1." + secrets.token_urlsafe(48)
        with self.lock:
            self.refresh_tokens.add(token)
        return token

    def token_valid(self, token: str) -> bool:
        """True when `token` is a live access token."""
        with self.lock:
            expiry = self.access_tokens.get(token)
        return expiry is not None and time.time() < expiry

    # limits ---------------------------------------------------------------------------------
    def over_limit(self, at: float) -> str | None:
        """Why a /v2 request arriving at `at` (monotonic) gets a 429, or None (and count it)."""
        with self.lock:
            today = datetime.now(UTC).date()
            if self.daily_quota is not None and self._daily.get(today, 0) >= self.daily_quota:
                return "Daily request quota exceeded"
            if self.rate_limit is not None:
                horizon = at - (self.rate_window_s - self.rate_tolerance_s)
                while self._window and self._window[0] <= horizon:
                    self._window.popleft()
                if len(self._window) >= self.rate_limit * self.rate_window_s:
                    return "Too Many Requests"
            self._window.append(at)
            self._daily[today] = self._daily.get(today, 0) + 1
        return None

    def record(self, record: RequestRecord) -> None:
        """Count one answered request."""
        with self.lock:
            self.log.append(record)
            self.requests[f"{record.method} {record.path}"] += 1
            self.statuses[record.status] += 1
            if record.status == 429:
                self.rate_limited += 1
