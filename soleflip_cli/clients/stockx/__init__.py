"""StockX Public API v2: `build_client` wires settings, secrets, pacing and auth into a `StockXClient`."""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from soleflip_cli import __version__
from soleflip_cli.clients.stockx.client import BatchKind, ClientStats, ListingChange, NewListing, StockXClient
from soleflip_cli.clients.stockx.http import Sender
from soleflip_cli.clients.stockx.limits import Clock, ItemBudget, RateLimiter, RetryPolicy, SystemClock
from soleflip_cli.clients.stockx.tokens import TokenManager, load_credentials

if TYPE_CHECKING:
    from soleflip_cli.config import StockXSettings
    from soleflip_cli.secrets import SecretStore

RATE_STATE_FILE = "stockx-rate.json"
ITEM_STATE_FILE = "stockx-batch-items.json"


def token_url(settings: StockXSettings) -> str:
    """The OAuth token endpoint under the configured auth URL."""
    return settings.auth_url.rstrip("/") + "/oauth/token"


def build_client(
    settings: StockXSettings,
    store: SecretStore,
    *,
    state_dir: Path | None,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> StockXClient:
    """A client for `settings.api_url`; the limiter's and the batch item budget's counts persist in
    `state_dir` when given.

    `transport` (e.g. `httpx.MockTransport`) and `clock` are for tests; production uses the network
    and the system clock.
    """
    clock = clock or SystemClock()
    http = httpx.Client(
        base_url=settings.api_url,
        transport=transport,
        timeout=httpx.Timeout(settings.timeout_s, connect=min(10.0, settings.timeout_s)),
        headers={"User-Agent": f"soleflip/{__version__}"},
    )
    limiter = RateLimiter(
        requests_per_second=settings.requests_per_second,
        daily_budget=settings.daily_budget,
        clock=clock,
        state_file=state_dir / RATE_STATE_FILE if state_dir is not None else None,
    )
    sender = Sender(
        http, limiter=limiter, clock=clock, policy=RetryPolicy(max_retries=settings.max_retries), rng=rng
    )
    credentials = load_credentials(settings, store)
    tokens = TokenManager(
        store=store, credentials=credentials, sender=sender, token_url=token_url(settings), clock=clock
    )
    item_budget = ItemBudget(
        per_window=settings.batch_items_per_window,
        window_s=settings.batch_window_s,
        per_day=settings.batch_items_per_day,
        clock=clock,
        state_file=state_dir / ITEM_STATE_FILE if state_dir is not None else None,
    )
    return StockXClient(
        http=http, sender=sender, tokens=tokens, credentials=credentials, item_budget=item_budget
    )


__all__ = [
    "BatchKind",
    "ClientStats",
    "Clock",
    "ItemBudget",
    "ListingChange",
    "NewListing",
    "StockXClient",
    "SystemClock",
    "build_client",
    "token_url",
]
