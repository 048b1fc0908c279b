"""`soleflip sync stockx`: orders into sales, listings into listings, market data into observations."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from soleflip_cli.models import utcnow
from soleflip_cli.services.sync.listings import sync_listings
from soleflip_cli.services.sync.market import sync_market
from soleflip_cli.services.sync.orders import fee_kind, sync_orders
from soleflip_cli.services.sync.progress import Counts
from soleflip_cli.services.sync.refs import CatalogRefs

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient


@dataclass(frozen=True)
class SyncOptions:
    """What to sync: with none of orders/listings/market chosen, orders and listings."""

    orders: bool = False
    listings: bool = False
    market: bool = False
    since: date | None = None
    full: bool = False
    currency: str = "USD"

    @property
    def resources(self) -> tuple[bool, bool, bool]:
        """(orders, listings, market) after applying the default."""
        if not (self.orders or self.listings or self.market):
            return True, True, False
        return self.orders, self.listings, self.market


@dataclass(frozen=True)
class ResourceCounts:
    """Items fetched from StockX, and local rows inserted or changed."""

    fetched: int
    inserted: int
    updated: int


@dataclass(frozen=True)
class SyncResult:
    """What one sync did; `requests` counts API calls (retries included), `rate_limited` the 429s."""

    orders: ResourceCounts
    listings: ResourceCounts
    market_observations: int
    requests: int
    rate_limited: int
    duration_s: float

    def as_record(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "orders": vars(self.orders),
            "listings": vars(self.listings),
            "market": {"observations": self.market_observations},
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "duration_s": self.duration_s,
        }


def sync_stockx(
    session: Session,
    client: StockXClient,
    options: SyncOptions,
    *,
    commit: Callable[[], None],
    clock: Callable[[], float] = time.monotonic,
) -> SyncResult:
    """Pull orders, then listings, then market data from StockX into the database.

    `commit` is called after every page so a killed run resumes where it stopped (pass a no-op
    for a dry run and roll back afterwards). Orders come first so their sales consume pairs
    before listing links are refreshed.
    """
    started = clock()
    now = utcnow()
    refs = CatalogRefs(session)
    do_orders, do_listings, do_market = options.resources
    orders, listings = Counts(), Counts()
    observations = 0
    if do_orders:
        orders = sync_orders(
            session, client, refs, since=options.since, full=options.full, now=now, commit=commit
        )
    if do_listings:
        listings = sync_listings(session, client, refs, now=now, commit=commit)
    if do_market:
        observations = sync_market(session, client, refs, currency=options.currency, now=now, commit=commit)
    stats = client.stats
    return SyncResult(
        orders=ResourceCounts(orders.fetched, orders.inserted, orders.updated),
        listings=ResourceCounts(listings.fetched, listings.inserted, listings.updated),
        market_observations=observations,
        requests=stats.requests,
        rate_limited=stats.rate_limited,
        duration_s=round(clock() - started, 3),
    )


__all__ = ["ResourceCounts", "SyncOptions", "SyncResult", "fee_kind", "sync_stockx"]
