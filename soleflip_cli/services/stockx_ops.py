"""Following StockX's asynchronous writes: listing operations and batch jobs polled to their end."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

from soleflip_cli.errors import ApiError, ReplyError

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import BatchKind, StockXClient
    from soleflip_cli.clients.stockx.models import BatchStatus, Operation

# From this many writes on, one batch call replaces single calls; at most this many items per batch.
BATCH_MIN = 5
BATCH_SIZE = 100
# Waits between polls of an operation or batch (seconds); the client's limiter paces the calls too.
POLL_DELAYS = (0.5, 1.0, 2.0, 3.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0)
DONE = ("SUCCEEDED", "FAILED")
# A rejection (the change was certainly not made) rather than an unknown outcome.
REJECTED = (400, 403, 404, 409, 422)
# `listing_events.operation_id` of a change sent in a batch: the prefix and the batch id.
BATCH_PREFIX = "batch:"

Sleep = Callable[[float], None]
K = TypeVar("K")


def outcome_unknown(exc: ApiError) -> bool:
    """True when a write may have been applied although it failed: no answer, a 5xx, or a success
    reply that could not be read (StockX took the write but soleflip cannot tell what it started)."""
    return exc.status is None or exc.status >= 500 or isinstance(exc, ReplyError)


def follow_operations(
    client: StockXClient, operations: Mapping[K, Operation], *, sleep: Sleep = time.sleep
) -> dict[K, Operation]:
    """Poll every operation until it SUCCEEDED or FAILED, or the delays run out (then still PENDING).

    All operations are polled together after each delay, so N writes cost one wait, not N.
    """
    latest = dict(operations)
    for delay in POLL_DELAYS:
        open_keys = [key for key, op in latest.items() if op.operation_status not in DONE]
        if not open_keys:
            break
        sleep(delay)
        for key in open_keys:
            op = latest[key]
            latest[key] = client.get_operation(op.listing_id, op.operation_id)
    return latest


def follow_batch(
    client: StockXClient, kind: BatchKind, batch_id: str, *, sleep: Sleep = time.sleep
) -> BatchStatus:
    """Poll a batch until COMPLETED, or the delays run out (then QUEUED or IN_PROGRESS)."""
    status = client.get_batch(kind, batch_id)
    for delay in POLL_DELAYS:
        if status.status == "COMPLETED":
            break
        sleep(delay)
        status = client.get_batch(kind, batch_id)
    return status
