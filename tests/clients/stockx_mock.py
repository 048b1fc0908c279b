"""Test doubles for the StockX client: a fake clock and a scripted httpx.MockTransport handler."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from soleflip_cli.clients.stockx import StockXClient, build_client
from soleflip_cli.clients.stockx.tokens import ACCESS_TOKEN, API_KEY, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN
from soleflip_cli.config import StockXSettings
from soleflip_cli.secrets import SecretStore

API = "https://api.test/v2"
AUTH = "https://auth.test"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# Distinctive values so the leak scans can search for them.
SECRETS = {
    API_KEY: "apikey-SEKRIT-1",
    CLIENT_ID: "client-id-1",
    CLIENT_SECRET: "client-SEKRIT-2",
    REFRESH_TOKEN: "refresh-SEKRIT-3",
}

Handler = Callable[[httpx.Request], httpx.Response]
Reply = httpx.Response | Handler | Exception


class FakeClock:
    """Time moves only when the code sleeps or the test advances it."""

    def __init__(self, start: datetime = T0) -> None:
        self._now = start
        self._mono = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


def reply(status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    """A JSON response (or an empty one when `body` is None)."""
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def html_403() -> httpx.Response:
    """What PerimeterX bot protection answers."""
    page = "<html><body>Access to this page has been denied.<div id='px-captcha'></div></body></html>"
    return httpx.Response(403, text=page, headers={"content-type": "text/html"})


@dataclass
class ScriptedApi:
    """Replies per (method, host+path) in order (the last reply repeats); records every request."""

    routes: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, url: str, *replies: Reply) -> None:
        key = (method, url.split("://", 1)[1])
        self.routes.setdefault(key, []).extend(replies)

    def token(self, *replies: Reply) -> None:
        self.on("POST", f"{AUTH}/oauth/token", *replies)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raw_path = request.url.raw_path.split(b"?")[0].decode()
        key = (request.method, f"{request.url.host}{raw_path}")
        queue = self.routes.get(key)
        if not queue:
            return reply(404, {"statusCode": 404, "message": f"no route {key}"})
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.host == "api.test"]

    def token_forms(self) -> list[dict[str, str]]:
        from urllib.parse import parse_qsl

        return [dict(parse_qsl(r.content.decode())) for r in self.requests if r.url.host == "auth.test"]


def settings(**overrides: Any) -> StockXSettings:
    values: dict[str, Any] = {"api_url": API, "auth_url": AUTH, "max_retries": 3, **overrides}
    return StockXSettings(**values)


def seed_store(
    store: SecretStore, *, access_token: str | None = "access-SEKRIT-0", valid_for: float = 3600
) -> None:
    """App credentials and a refresh token; optionally a stored access token valid for `valid_for` s."""
    for name, value in SECRETS.items():
        store.set(name, value)
    if access_token:
        expires = (T0 + timedelta(seconds=valid_for)).isoformat()
        store.set(ACCESS_TOKEN, json.dumps({"token": access_token, "expires_at": expires}))


def make_client(
    api: ScriptedApi, store: SecretStore, clock: FakeClock, state_dir: Path | None = None, **overrides: Any
) -> StockXClient:
    return build_client(
        settings(**overrides),
        store,
        state_dir=state_dir,
        transport=httpx.MockTransport(api),
        clock=clock,
        rng=random.Random(7),
    )
