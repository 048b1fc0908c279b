"""HTTP plumbing for StockX: paced sends with bounded retries, request encoding, error translation."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from soleflip_cli.clients.stockx.limits import Clock, RateLimiter, RetryPolicy, retry_after_seconds
from soleflip_cli.errors import ApiError, AuthError, ReplyError

M = TypeVar("M", bound=BaseModel)
REPLY_HINT = (
    "StockX, or a proxy in between, answered in a form soleflip does not know: try again later; "
    "if it keeps happening, StockX may have changed its API (report it with `soleflip --version`)"
)

RETRYABLE = frozenset({408, 500, 502, 503, 504})
_BOT_MARKERS = (
    b"px-captcha",
    b"perimeterx",
    b'"appId":"PX',
    b"blockScript",
    b"/captcha/captcha.js",
    b"Access to this page has been denied",
)


class Sender:
    """Sends requests through one limiter with bounded retries; counts requests and 429s.

    429: wait `Retry-After` when given, else exponential backoff with jitter (all callers wait).
    408/5xx and network failures: bounded retries for requests that are safe to repeat; a write whose
    outcome is unknown is never blindly repeated (a second create would be a second ask).
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        limiter: RateLimiter,
        clock: Clock,
        policy: RetryPolicy,
        rng: random.Random | None = None,
    ) -> None:
        self.http = http
        self.limiter = limiter
        self.clock = clock
        self.policy = policy
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.requests = 0
        self.rate_limited = 0

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: Mapping[str, str] | None = None,
        limited: bool = True,
        repeatable: bool | None = None,
    ) -> httpx.Response:
        """The final response (any status but retried ones); ApiError when retries run out."""
        repeatable = method in ("GET", "HEAD") if repeatable is None else repeatable
        where = f"{method} {urlsplit(url).path or url}"
        attempt = 0
        while True:
            if limited:
                self.limiter.acquire()
                self.requests += 1
            try:
                response = self.http.request(
                    method, url, headers=dict(headers), params=params, json=json_body, data=data
                )
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if not (repeatable or never_sent):
                    raise ApiError(
                        f"StockX did not answer {where} ({_describe(exc)}); the outcome is unknown",
                        hint="re-read the listings before retrying: the change may have been applied",
                    ) from None
                if attempt >= self.policy.max_retries:
                    raise ApiError(
                        f"StockX did not answer {where} after {attempt + 1} attempts ({_describe(exc)})",
                        hint="check the network connection, or try again later",
                    ) from None
                self._wait(self.policy.backoff(attempt, self.rng), limited)
                attempt += 1
                continue
            status = response.status_code
            if status == 429:
                self.rate_limited += 1
                wait = retry_after_seconds(response.headers.get("retry-after"), self.clock.now())
                wait = self.policy.backoff(attempt, self.rng) if wait is None else wait
                if attempt >= self.policy.max_retries or wait > self.policy.max_wait_s:
                    raise ApiError(
                        f"StockX rate limit: {where} still answered 429 Too Many Requests "
                        f"after {attempt + 1} attempts",
                        status=429,
                        hint="wait a while (the daily budget resets at 00:00 UTC), then run again",
                    )
                self._wait(wait, limited)
                attempt += 1
                continue
            if status in RETRYABLE:
                if not repeatable:
                    raise ApiError(
                        f"StockX failed on {where} with HTTP {status}; the outcome is unknown",
                        status=status,
                        hint="re-read the listings before retrying: the change may have been applied",
                    )
                if attempt >= self.policy.max_retries:
                    raise ApiError(
                        f"StockX failed on {where} with HTTP {status} after {attempt + 1} attempts",
                        status=status,
                        hint="StockX may be having problems; try again later",
                    )
                self._wait(self.policy.backoff(attempt, self.rng), limited)
                attempt += 1
                continue
            return response

    def _wait(self, seconds: float, limited: bool) -> None:
        if limited:
            self.limiter.hold(seconds)
        else:
            self.clock.sleep(seconds)


def _describe(exc: httpx.TransportError) -> str:
    return "timed out" if isinstance(exc, httpx.TimeoutException) else type(exc).__name__


def is_bot_block(response: httpx.Response) -> bool:
    """A 403 from bot protection (PerimeterX HTML or JSON), which is not an authentication failure."""
    if response.status_code != 403:
        return False
    if "html" in response.headers.get("content-type", "").lower():
        return True
    head = response.content[:4096]
    return any(marker.lower() in head.lower() for marker in _BOT_MARKERS)


def error_message(response: httpx.Response) -> str:
    """The API's own message: `message`, then `errorMessage`, then a short excerpt of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "errorMessage", "error_description", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    text = response.text.strip()
    return text[:200] if text and "html" not in response.headers.get("content-type", "") else "no details"


def payload(response: httpx.Response, where: str) -> Any:
    """Decoded JSON of a 2xx response; translated errors for the rest (401 here means after a refresh)."""
    status = response.status_code
    if 200 <= status < 300:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            html = "html" in response.headers.get("content-type", "").lower()
            raise unreadable(
                where, "an HTML page" if html else "a reply that is not valid JSON", status
            ) from None
    if status == 401:
        raise AuthError(
            "StockX refused the access token even after a refresh", hint="run `soleflip auth login stockx`"
        )
    if is_bot_block(response):
        raise ApiError(
            f"StockX bot protection blocked {where} (HTTP 403); this is not a login problem",
            status=403,
            hint="wait several minutes before trying again; do not retry in a loop",
        )
    message = error_message(response)
    if status == 403 and message.lower() == "forbidden":
        raise AuthError(
            f"StockX refused {where} (HTTP 403 Forbidden)",
            hint="check the API key (SOLEFLIP_STOCKX__API_KEY or `soleflip auth login stockx`)",
        )
    raise ApiError(f"StockX rejected {where}: HTTP {status}: {message}", status=status)


def read_reply(response: httpx.Response, model: type[M], where: str) -> M:
    """The reply to `where` read as `model`: translated errors for a failure, ReplyError when a success
    reply is empty, not JSON or of another shape (it names the endpoint, never a value it holds)."""
    data = payload(response, where)
    if data is None:
        raise unreadable(where, "an empty reply", response.status_code)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problem = _first_problem(exc)
        raise unreadable(where, f"a reply of another shape ({problem})", response.status_code) from None


def unreadable(where: str, what: str, status: int) -> ReplyError:
    """The error for a success reply soleflip cannot read."""
    return ReplyError(f"StockX answered {where} with {what}", status=status, hint=REPLY_HINT)


def _first_problem(exc: ValidationError) -> str:
    """`orders.0.orderNumber: Field required` (and how many more): where and what, without input."""
    problems = exc.errors(include_url=False, include_context=False, include_input=False)
    first = problems[0]
    at = ".".join(str(part) for part in first["loc"])[:80] or "the reply"
    others = len(problems) - 1
    more = f", and {others} more problem{'s' if others > 1 else ''}" if others else ""
    return f"{at}: {first['msg'][:120]}{more}"


def path(template: str, *segments: str) -> str:
    """`template` with each `{}` replaced by a URL-encoded path segment."""
    return template.format(*(quote(s, safe="") for s in segments))


def timestamp(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds and Z: `2021-11-09T12:44:31.000Z`."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: StockX timestamps must be UTC-aware")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def amount_text(value: Decimal | int | str) -> str:
    """A money amount as StockX wants it: a plain decimal string in major units (`150`, `79.5`)."""
    return format(Decimal(str(value)).normalize(), "f")


def encode(value: object) -> str | None:
    """One query/body value as text; None and empty lists drop out; lists join with commas."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return amount_text(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [str(v) for v in value]
        return ",".join(items) if items else None
    return str(value)


def query(**params: object) -> dict[str, str]:
    """Query parameters (camelCase names as given) with None dropped and lists comma-joined."""
    encoded = {key: encode(value) for key, value in params.items()}
    return {key: value for key, value in encoded.items() if value is not None}


def body(**fields: object) -> dict[str, Any]:
    """A JSON body with None dropped; Decimal amounts and datetimes encoded; bools kept as JSON bools."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        out[key] = (
            value if isinstance(value, bool | int) and not isinstance(value, Decimal) else encode(value)
        )
    return out
