"""Finish listing writes an earlier run left pending, before anything new is sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli.models import Listing, ListingEvent
from soleflip_cli.services.listing import ACTIVATE, CREATE, DEACTIVATE, DELETE, FAILED, PENDING
from soleflip_cli.services.listing_change import confirm_change, finish_change
from soleflip_cli.services.listing_create import UNKNOWN_GRACE, adopt, follow_create_batch
from soleflip_cli.services.listing_jobs import Job, Run, job_for, settle_operation
from soleflip_cli.services.stockx_ops import BATCH_PREFIX, follow_operations

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient
    from soleflip_cli.clients.stockx.models import Operation

ACTIONS = (CREATE, ACTIVATE, DEACTIVATE, DELETE)


def pending_writes(session: Session) -> int:
    """How many listing creates and status changes an earlier run left pending."""
    query = select(func.count()).where(ListingEvent.action.in_(ACTIONS), ListingEvent.status == PENDING)
    return session.scalar(query) or 0


def settle_pending(
    session: Session,
    client: StockXClient,
    *,
    now: datetime,
    checkpoint: Callable[[], None],
    sleep: Callable[[float], None] = time.sleep,
    actor: str,
) -> int:
    """Resolve pending listing writes (never re-sending one); returns how many there were.

    Operations and batches are polled; a create sent without an answer is looked for among the
    listings and adopted when found; when it is still missing `UNKNOWN_GRACE` after it was sent it
    is recorded as not created, so the pair may be listed again.
    """
    events = session.scalars(
        select(ListingEvent)
        .where(ListingEvent.action.in_(ACTIONS), ListingEvent.status == PENDING)
        .order_by(ListingEvent.id)
    ).all()
    if not events:
        return 0
    run = Run(session, client, checkpoint, sleep, actor)
    creates = [e for e in events if e.action == CREATE]
    _settle_creates(run, creates, now)
    operations: dict[int, tuple[Listing, ListingEvent, Operation]] = {}
    for event in events:
        if event.action == CREATE:
            continue
        listing = session.get(Listing, event.listing_id) if event.listing_id else None
        if listing is None:
            event.status, event.message = FAILED, "the listing is no longer in the database"
        elif event.operation_id:
            operation = client.get_operation(listing.external_id, event.operation_id)
            operations[event.id] = (listing, event, operation)
        else:
            confirm_change(run, listing, event)
    latest = follow_operations(client, {k: v[2] for k, v in operations.items()}, sleep=sleep)
    for key, operation in latest.items():
        listing, event, _ = operations[key]
        finish_change(run, listing, event, operation)
    session.flush()
    checkpoint()
    return len(events)


def _settle_creates(run: Run, events: list[ListingEvent], now: datetime) -> None:
    jobs: list[Job] = []
    for event in events:
        job = job_for(run.session, event)
        if job is None:
            event.status, event.message = FAILED, "the pair or its StockX size is no longer known"
        else:
            jobs.append(job)
    batches: dict[str, list[Job]] = {}
    operations: dict[int, Operation] = {}
    unknown: list[Job] = []
    for index, job in enumerate(jobs):
        op_id, listing = job.event.operation_id, job.event.listing_id
        if op_id and op_id.startswith(BATCH_PREFIX):
            batches.setdefault(op_id.removeprefix(BATCH_PREFIX), []).append(job)
        elif op_id and listing is not None:
            external_id = run.session.get_one(Listing, listing).external_id
            operations[index] = run.client.get_operation(external_id, op_id)
        else:
            unknown.append(job)
    for index, operation in follow_operations(run.client, operations, sleep=run.sleep).items():
        settle_operation(run, jobs[index], operation)
    for batch_id, batch_jobs in batches.items():
        follow_create_batch(run, batch_id, batch_jobs, None)
    for job in adopt(run, unknown) if unknown else []:
        waited = now - job.event.created_at
        if waited >= UNKNOWN_GRACE:
            job.event.status = FAILED
            minutes = int(waited.total_seconds() // 60)
            job.event.message = (
                f"not created: no new listing on StockX {minutes} min after the unanswered request"
            )
        else:
            job.event.message = "still unknown: no listing found yet; the next run looks again"
    run.session.flush()
    run.checkpoint()
