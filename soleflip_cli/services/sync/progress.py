"""Sync bookkeeping: per-resource high-water marks and resume cursors in `sync_state`, and counters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.models import SyncState

PLATFORM = "stockx"


@dataclass
class Counts:
    """Items fetched from the API and rows inserted or changed (accumulated during a run)."""

    fetched: int = 0
    inserted: int = 0
    updated: int = 0


def sync_state(session: Session, resource: str) -> SyncState:
    """The `stockx/<resource>` state row, created empty on first use."""
    row = session.scalar(
        select(SyncState).where(SyncState.platform == PLATFORM, SyncState.resource == resource)
    )
    if row is None:
        row = SyncState(platform=PLATFORM, resource=resource)
        session.add(row)
        session.flush()
    return row


def read_cursor(row: SyncState) -> dict[str, Any] | None:
    """The resume point saved by an interrupted run, or None."""
    if not row.cursor:
        return None
    try:
        data = json.loads(row.cursor)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def write_cursor(row: SyncState, cursor: dict[str, Any] | None) -> None:
    """Save (or clear, with None) the resume point."""
    row.cursor = None if cursor is None else json.dumps(cursor, sort_keys=True)


def later(first: datetime | None, second: datetime | None) -> datetime | None:
    """The later of two optional timestamps."""
    if first is None:
        return second
    if second is None:
        return first
    return max(first, second)
