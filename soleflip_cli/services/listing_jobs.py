"""One pair's create in flight: its audit event, the listing row it made, and how it ended."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.errors import ApiError
from soleflip_cli.models import InventoryItem, Listing, ListingEvent
from soleflip_cli.services.listing import FAILED, PLATFORM, SUCCEEDED, sync_pair_status

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient
    from soleflip_cli.clients.stockx.models import Operation


@dataclass(frozen=True)
class Run:
    """What every write of one command shares: database, client, how to save, how to wait, who."""

    session: Session
    client: StockXClient
    checkpoint: Callable[[], None]
    sleep: Callable[[float], None]
    actor: str


@dataclass
class Job:
    """One pair being listed: the pair, its pending `create` event, the StockX variant and the ask."""

    item: InventoryItem
    event: ListingEvent
    variant_id: str
    ask: Decimal
    currency: str
    active: bool


def attach(run: Run, job: Job, listing_id: str, status: str, expires_at: datetime | None) -> Listing:
    """The listing row for StockX's `listing_id`, linked to the job's pair and event (made if new)."""
    session = run.session
    listing = session.scalar(
        select(Listing).where(Listing.platform == PLATFORM, Listing.external_id == listing_id)
    )
    if listing is None:
        listing = Listing(
            platform=PLATFORM,
            external_id=listing_id,
            product_id=job.item.product_id,
            variant_id=job.item.variant_id,
            amount=job.ask,
            currency=job.currency,
            status=status,
            inventory_type="STANDARD",
            expires_at=expires_at,
        )
        session.add(listing)
    listing.inventory_item_id = job.item.id
    session.flush()
    job.event.listing_id = listing.id
    session.flush()
    run.checkpoint()
    return listing


def finish(run: Run, job: Job, status: str, message: str | None, listing_status: str | None = None) -> None:
    """End the job's event; set its listing's status and the pair's (`listed` while an ask is live)."""
    job.event.status, job.event.message = status, message
    if listing_status is not None and job.event.listing_id is not None:
        listing = run.session.get_one(Listing, job.event.listing_id)
        listing.status = listing_status
        listing.remote_updated_at = datetime.now(UTC)
    run.session.flush()
    sync_pair_status(run.session, [job.item.id])
    run.session.flush()
    run.checkpoint()


def settle_operation(run: Run, job: Job, operation: Operation, *, note: str | None = None) -> None:
    """Record how a create operation ended; a failed one leaves whatever StockX kept (read once)."""
    if operation.operation_status == "SUCCEEDED":
        finish(run, job, SUCCEEDED, note, "active" if job.active else "inactive")
    elif operation.operation_status == "FAILED":
        error = operation.error or "StockX reported the create FAILED without a message"
        kept = remote_status(run.client, operation.listing_id)
        finish(run, job, FAILED, f"{error} (the listing is {kept} on StockX)", kept)
    else:
        job.event.message = f"operation still {operation.operation_status}; the next run checks it"
        run.session.flush()
        run.checkpoint()


def remote_status(client: StockXClient, listing_id: str) -> str:
    """The listing's status on StockX, lower-case; `deleted` when StockX no longer knows it."""
    try:
        return client.get_listing(listing_id).status.lower()
    except ApiError as exc:
        if exc.status == 404:
            return "deleted"
        raise


def job_for(session: Session, event: ListingEvent) -> Job | None:
    """The job of a pending `create` event from an earlier run (None when its pair or size is gone)."""
    item = session.get(InventoryItem, event.inventory_item_id) if event.inventory_item_id else None
    if item is None or item.variant.stockx_variant_id is None or event.new_amount is None:
        return None
    return Job(
        item,
        event,
        item.variant.stockx_variant_id,
        event.new_amount,
        event.currency or item.purchase_currency,
        event.new_status != "inactive",
    )
