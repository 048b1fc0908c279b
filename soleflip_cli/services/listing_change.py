"""Activate, deactivate or delete StockX listings through their operations, each recorded old -> new."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from soleflip_cli.errors import ApiError
from soleflip_cli.models import InventoryItem, Listing, ListingEvent
from soleflip_cli.services.listing import (
    ACTIVATE,
    CLOSED,
    DEACTIVATE,
    DELETE,
    FAILED,
    SUCCEEDED,
    record,
    status_of,
    sync_pair_status,
)
from soleflip_cli.services.listing_jobs import Run, remote_status
from soleflip_cli.services.listing_plan import LISTABLE
from soleflip_cli.services.stockx_ops import follow_operations, outcome_unknown

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient
    from soleflip_cli.clients.stockx.models import Operation

TARGET = {ACTIVATE: "active", DEACTIVATE: "inactive", DELETE: "deleted"}
DONE_WORD = {ACTIVATE: "activated", DEACTIVATE: "deactivated", DELETE: "deleted"}


@dataclass(frozen=True)
class ChangeOutcome:
    """One listing's change: old -> new status and how it went (ask in `currency`).

    status: activated, deactivated, deleted, unchanged, skipped, refused, failed or pending.
    """

    id: int
    listing: str
    item_id: int | None
    old_status: str
    new_status: str
    ask: Decimal | None
    currency: str
    status: str
    message: str


def change_listings(
    session: Session,
    client: StockXClient,
    listings: list[Listing],
    action: str,
    *,
    checkpoint: Callable[[], None],
    sleep: Callable[[float], None] = time.sleep,
    actor: str,
    reasons: Mapping[int, str] | None = None,
) -> list[ChangeOutcome]:
    """Send each change StockX can make, follow the operations, report the rest per listing.

    Listings already in the wanted state, or matched, completed, canceled or deleted, are reported
    and left alone; so is a listing whose pair is no longer for sale when asked to activate it.
    `reasons` (by listing id) is kept in the audit trail as why the change was made.
    """
    target = TARGET[action]
    run = Run(session, client, checkpoint, sleep, actor)
    outcomes: list[ChangeOutcome] = []
    todo: list[int] = []
    for listing in listings:
        old = status_of(listing)
        outcome = ChangeOutcome(
            listing.id,
            listing.external_id,
            listing.inventory_item_id,
            old,
            target,
            listing.amount,
            listing.currency,
            "pending",
            "",
        )
        pair = session.get(InventoryItem, listing.inventory_item_id) if listing.inventory_item_id else None
        if old == target:
            outcome = replace(outcome, status="unchanged", message=f"already {target}")
        elif old in CLOSED:
            outcome = replace(outcome, status="skipped", message=f"the listing is {old}; nothing to {action}")
        elif action == ACTIVATE and pair is not None and pair.status not in LISTABLE:
            message = f"the pair is {pair.status}: a live ask would sell it twice"
            outcome = replace(outcome, status="refused", message=message)
        elif action == ACTIVATE and listing.amount is None:
            message = "the listing's ask is unknown; run `soleflip sync stockx --listings` first"
            outcome = replace(outcome, status="failed", message=message)
        else:
            todo.append(len(outcomes))
        outcomes.append(outcome)
    if todo:
        client.credentials.require_api_key()
        client.tokens.current()
    by_id = {listing.id: listing for listing in listings}
    sent: dict[int, Operation] = {}
    events: dict[int, ListingEvent] = {}
    for index in todo:
        listing = by_id[outcomes[index].id]
        event = record(
            session,
            action,
            actor=actor,
            item_id=listing.inventory_item_id,
            listing=listing,
            old_status=outcomes[index].old_status,
            new_status=target,
            old_amount=listing.amount,
            new_amount=listing.amount,
            currency=listing.currency,
        )
        event.message = (reasons or {}).get(listing.id)
        events[index] = event
        checkpoint()
        try:
            operation = _send(client, action, listing)
        except ApiError as exc:
            outcomes[index] = _rejected(run, listing, event, exc, outcomes[index])
            continue
        event.operation_id = operation.operation_id
        session.flush()
        checkpoint()
        sent[index] = operation
    for index, operation in follow_operations(client, sent, sleep=sleep).items():
        finish_change(run, by_id[outcomes[index].id], events[index], operation)
    for index, event in events.items():
        word = {SUCCEEDED: DONE_WORD[action], FAILED: "failed"}.get(event.status, "pending")
        if outcomes[index].status == "pending":
            outcomes[index] = replace(outcomes[index], status=word, message=event.message or "")
    return outcomes


def _send(client: StockXClient, action: str, listing: Listing) -> Operation:
    if action == ACTIVATE:
        return client.activate_listing(
            listing.external_id, amount=listing.amount, currency_code=listing.currency
        )
    if action == DEACTIVATE:
        return client.deactivate_listing(listing.external_id)
    return client.delete_listing(listing.external_id)


def _rejected(
    run: Run, listing: Listing, event: ListingEvent, exc: ApiError, outcome: ChangeOutcome
) -> ChangeOutcome:
    """StockX refused or did not answer: say why, from the listing's state on StockX when refused."""
    if outcome_unknown(exc):
        event.message = f"{exc.message}; the next run checks the listing"
        run.session.flush()
        run.checkpoint()
        return replace(outcome, status="pending", message=event.message)
    kept = remote_status(run.client, listing.external_id)
    listing.status = kept
    _end(run, listing, event, FAILED, exc.message)
    if kept == event.new_status:
        return replace(outcome, status="unchanged", message=f"already {kept} on StockX")
    if kept in CLOSED:
        return replace(outcome, status="skipped", message=f"the listing is {kept} on StockX")
    return replace(outcome, status="failed", message=exc.message)


def finish_change(run: Run, listing: Listing, event: ListingEvent, operation: Operation) -> None:
    """Record how an activate/deactivate/delete operation ended."""
    if operation.operation_status == "SUCCEEDED":
        listing.status = event.new_status or listing.status
        _end(run, listing, event, SUCCEEDED, event.message)
    elif operation.operation_status == "FAILED":
        _end(run, listing, event, FAILED, operation.error or "StockX reported the operation FAILED")
    else:
        event.message = f"operation still {operation.operation_status}; the next run checks it"
        run.session.flush()
        run.checkpoint()


def _end(run: Run, listing: Listing, event: ListingEvent, status: str, message: str | None) -> None:
    event.status, event.message = status, message
    run.session.flush()
    if listing.inventory_item_id is not None:
        sync_pair_status(run.session, [listing.inventory_item_id])
    run.session.flush()
    run.checkpoint()


def confirm_change(run: Run, listing: Listing, event: ListingEvent) -> None:
    """A change sent without a recorded answer: the listing's state on StockX tells whether it applied."""
    kept = remote_status(run.client, listing.external_id)
    listing.status = kept
    if kept == event.new_status:
        _end(run, listing, event, SUCCEEDED, "confirmed from the listing after an unanswered request")
    else:
        _end(run, listing, event, FAILED, f"not applied: StockX did not answer and the listing is {kept}")
