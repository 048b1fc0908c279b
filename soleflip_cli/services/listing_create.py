"""Create StockX listings: resolve each size, re-read StockX, send singles or batches, follow them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.errors import ApiError, NotFoundError, UsageError
from soleflip_cli.models import InventoryItem, Listing
from soleflip_cli.services.catalog import resolve_variant
from soleflip_cli.services.listing import (
    CREATE,
    FAILED,
    PLATFORM,
    SUCCEEDED,
    open_listings,
    record,
    status_of,
)
from soleflip_cli.services.listing_jobs import Job, Run, attach, finish, settle_operation
from soleflip_cli.services.listing_plan import CreateRequest, ListingOutcome
from soleflip_cli.services.stockx_ops import (
    BATCH_MIN,
    BATCH_PREFIX,
    BATCH_SIZE,
    follow_batch,
    follow_operations,
    outcome_unknown,
)
from soleflip_cli.services.sync.listings import link_pairs, upsert_listings
from soleflip_cli.services.sync.progress import Counts
from soleflip_cli.services.sync.refs import CatalogRefs

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient
    from soleflip_cli.clients.stockx.models import BatchItem
    from soleflip_cli.clients.stockx.models import Listing as RemoteListing

ACTOR = "listing create"
# Re-reads of the listings after a create went unanswered (seconds between them).
REREAD_DELAYS = (1.0, 2.0, 4.0)
# StockX has applied writes that stalled past 20 s: a create whose outcome is unknown is declared
# "not created" (and may be sent again) only when a re-read this long after it still finds nothing.
UNKNOWN_GRACE = timedelta(minutes=5)
CLOCK_SKEW = timedelta(minutes=2)
VARIANT_CHUNK = 50


def _quiet(_message: str) -> None:
    return None


def create_listings(
    session: Session,
    client: StockXClient,
    plan: list[ListingOutcome],
    request: CreateRequest,
    *,
    checkpoint: Callable[[], None],
    sleep: Callable[[float], None] = time.sleep,
    notify: Callable[[str], None] = _quiet,
) -> list[ListingOutcome]:
    """List the `would_create` pairs on StockX and follow every create to its end.

    Each pair's create is recorded (pending) and saved through `checkpoint` before it is sent, so a
    killed run loses nothing; a create whose outcome is unknown is never sent again blindly: the
    listings are re-read first (here and on the next run, see `settle_creates`).
    """
    todo = [o for o in plan if o.status == "would_create"]
    if not todo:
        return plan
    client.credentials.require_api_key()  # fail on a missing login before anything is recorded
    client.tokens.current()
    run = Run(session, client, checkpoint, sleep, ACTOR)
    done: dict[int, ListingOutcome] = {}
    resolved: list[tuple[ListingOutcome, InventoryItem, str]] = []
    for outcome in todo:
        item = session.get_one(InventoryItem, outcome.item_id)
        try:
            variant = resolve_variant(session, client, item.product.sku or "", item.variant.size)
        except (NotFoundError, UsageError) as exc:
            done[item.id] = replace(outcome, status="failed", message=f"not found on StockX: {exc.message}")
            continue
        resolved.append((outcome, item, variant.stockx_variant_id))
    checkpoint()
    refresh_variants(session, client, {variant_id for _, _, variant_id in resolved})
    listed = open_listings(session, [item.id for _, item, _ in resolved])
    jobs = []
    for outcome, item, variant_id in resolved:
        if item.id in listed:
            first = listed[item.id][0]
            message = (
                f"already listed on StockX: listing {first.id} ({status_of(first)}), found on re-reading"
            )
            done[item.id] = replace(outcome, status="skipped", listing=first.external_id, message=message)
            continue
        assert outcome.ask is not None  # would_create rows are priced
        event = record(
            session,
            CREATE,
            actor=ACTOR,
            item_id=item.id,
            new_status="active" if request.active else "inactive",
            new_amount=outcome.ask,
            currency=outcome.currency,
        )
        jobs.append(Job(item, event, variant_id, outcome.ask, outcome.currency, request.active))
    checkpoint()
    if len(jobs) >= BATCH_MIN:
        _send_batches(run, jobs, request.expires_at, notify)
    else:
        _send_singles(run, jobs, request.expires_at)
    by_item = {o.item_id: o for o in todo}
    for job in jobs:
        done[job.item.id] = _outcome(session, by_item[job.item.id], job)
    return [done.get(o.item_id, o) for o in plan]


def _outcome(session: Session, outcome: ListingOutcome, job: Job) -> ListingOutcome:
    listing = session.get(Listing, job.event.listing_id) if job.event.listing_id else None
    status = {SUCCEEDED: "created", FAILED: "failed"}.get(job.event.status, "pending")
    message = job.event.message or ""
    if status == "created":
        kind = "live ask" if job.active else "inactive listing (no live ask)"
        message = f"{message or kind}; {outcome.message}"
    return replace(outcome, listing=listing.external_id if listing else None, status=status, message=message)


def remote_listings(
    client: StockXClient,
    variant_ids: Sequence[str],
    *,
    statuses: list[str] | None,
    since: date | None = None,
) -> Iterator[RemoteListing]:
    """Every StockX listing of these variants (in these statuses, created from `since`)."""
    ids = sorted(set(variant_ids))
    for start in range(0, len(ids), VARIANT_CHUNK):
        page_number = 1
        while True:
            page = client.get_listings(
                page_number=page_number,
                variant_ids=ids[start : start + VARIANT_CHUNK],
                listing_statuses=statuses,
                from_date=since,
            )
            yield from page.listings
            if not page.has_next_page or not page.listings:
                break
            page_number += 1


def refresh_variants(session: Session, client: StockXClient, variant_ids: set[str]) -> None:
    """Mirror the open StockX listings of these variants and link new ones to free pairs (FIFO)."""
    if not variant_ids:
        return
    listings = list(remote_listings(client, sorted(variant_ids), statuses=["ACTIVE", "INACTIVE"]))
    upsert_listings(session, CatalogRefs(session), listings, Counts())
    link_pairs(session)


def _send_singles(run: Run, jobs: list[Job], expires_at: datetime | None) -> None:
    sent = {}
    unknown = []
    for index, job in enumerate(jobs):
        try:
            operation = run.client.create_listing(
                job.variant_id,
                job.ask,
                currency_code=job.currency,
                expires_at=expires_at,
                active=job.active,
            )
        except ApiError as exc:
            if outcome_unknown(exc):
                unknown.append(job)
            else:
                finish(run, job, FAILED, exc.message)
            continue
        attach(run, job, operation.listing_id, "inactive", expires_at)
        job.event.operation_id = operation.operation_id
        run.session.flush()
        run.checkpoint()
        sent[index] = operation
    for index, operation in follow_operations(run.client, sent, sleep=run.sleep).items():
        settle_operation(run, jobs[index], operation)
    _reread(run, unknown)


def _send_batches(
    run: Run, jobs: list[Job], expires_at: datetime | None, notify: Callable[[str], None]
) -> None:
    from soleflip_cli.clients.stockx import NewListing

    budget = run.client.item_budget
    size = min(BATCH_SIZE, budget.per_window) if budget else BATCH_SIZE
    for start in range(0, len(jobs), size):
        chunk = jobs[start : start + size]
        items = [NewListing(j.variant_id, j.ask, 1, j.currency, expires_at, j.active) for j in chunk]
        try:
            if budget is not None and (wait := budget.wait_for(len(items))) > 0:
                limit = f"{budget.per_window} items per {budget.window_s:g} s"
                notify(f"Waiting {wait:.0f} s for StockX's batch item budget ({limit})")
            batch = run.client.create_listings_batch(items)
        except ApiError as exc:
            if outcome_unknown(exc):
                _reread(run, chunk)
            else:
                for job in chunk:
                    finish(run, job, FAILED, exc.message)
            continue
        for job in chunk:
            job.event.operation_id = BATCH_PREFIX + batch.batch_id
        run.session.flush()
        run.checkpoint()
        follow_create_batch(run, batch.batch_id, chunk, expires_at)


def follow_create_batch(run: Run, batch_id: str, jobs: list[Job], expires_at: datetime | None) -> None:
    """Wait for a create batch, then settle each pair from its item (matched on variant and ask)."""
    status = follow_batch(run.client, "create", batch_id, sleep=run.sleep)
    if status.status != "COMPLETED":
        for job in jobs:
            job.event.message = f"batch still {status.status}; the next run checks it"
        run.session.flush()
        run.checkpoint()
        return
    waiting: dict[tuple[str, Decimal | None], list[Job]] = {}
    for job in jobs:
        waiting.setdefault((job.variant_id, job.ask), []).append(job)
    for item in run.client.get_batch_items("create", batch_id):
        queue = waiting.get((str(item.listing_input.get("variantId")), _amount(item)))
        if queue:
            _settle_item(run, queue.pop(0), item, expires_at)
    for left in waiting.values():
        for job in left:
            finish(run, job, FAILED, "the batch did not report this pair")


def _amount(item: BatchItem) -> Decimal | None:
    try:
        return Decimal(str(item.listing_input.get("amount")))
    except InvalidOperation:
        return None


def _settle_item(run: Run, job: Job, item: BatchItem, expires_at: datetime | None) -> None:
    listing_id = (item.result or {}).get("listingId")
    if item.status == "COMPLETED" and listing_id:
        wanted = "active" if job.active else "inactive"
        attach(run, job, str(listing_id), wanted, expires_at)
        finish(run, job, SUCCEEDED, None, wanted)
    elif item.status == "FAILED" or item.status == "COMPLETED":
        finish(run, job, FAILED, item.error or "StockX reported the item FAILED without a message")
    else:
        job.event.message = f"batch item still {item.status}; the next run checks it"
        run.session.flush()
        run.checkpoint()


def _reread(run: Run, jobs: list[Job]) -> None:
    """After unanswered creates: look for the listings they may have made, a few times."""
    left = jobs
    for delay in REREAD_DELAYS:
        if not left:
            return
        run.sleep(delay)
        left = adopt(run, left)
    for job in left:
        job.event.message = (
            "StockX did not answer and no new listing has appeared yet; "
            "the next run re-reads the listings before sending it again"
        )
    run.session.flush()
    run.checkpoint()


def adopt(run: Run, jobs: list[Job]) -> list[Job]:
    """Link listings made by unanswered creates (same variant and ask, created since) to their pairs.

    Returns the jobs still without a listing. A listing counts as theirs only when no other pair
    has it: one that a sync linked to this pair, or to no pair, is adopted.
    """
    since = min(job.event.created_at for job in jobs) - CLOCK_SKEW
    remote = list(
        remote_listings(run.client, [j.variant_id for j in jobs], statuses=None, since=since.date())
    )
    taken = set(
        run.session.scalars(
            select(Listing.external_id).where(
                Listing.platform == PLATFORM,
                Listing.external_id.in_([r.listing_id for r in remote]),
                Listing.inventory_item_id.is_not(None),
                Listing.inventory_item_id.not_in([j.item.id for j in jobs]),
            )
        )
    )
    left = []
    for job in sorted(jobs, key=lambda j: (j.event.created_at, j.event.id)):
        match = next(
            (
                r
                for r in remote
                if r.listing_id not in taken
                and r.variant is not None
                and r.variant.variant_id == job.variant_id
                and r.amount == job.ask
                and (r.created_at is None or r.created_at >= job.event.created_at - CLOCK_SKEW)
            ),
            None,
        )
        if match is None:
            left.append(job)
            continue
        taken.add(match.listing_id)
        attach(run, job, match.listing_id, match.status.lower(), None)
        _confirm(run, job, match.listing_id)
    return left


def _confirm(run: Run, job: Job, listing_id: str) -> None:
    """An adopted listing: follow its create operation if it is still running."""
    detail = run.client.get_listing(listing_id)
    operation = detail.last_operation
    if operation is not None and operation.operation_type == "CREATE":
        job.event.operation_id = operation.operation_id
        operation = follow_operations(run.client, {0: operation}, sleep=run.sleep)[0]
        settle_operation(run, job, operation, note="found on StockX after the request went unanswered")
    else:
        finish(
            run, job, SUCCEEDED, "found on StockX after the request went unanswered", detail.status.lower()
        )
