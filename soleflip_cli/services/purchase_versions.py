"""Pairs an earlier import of a purchases file made that its newer version has no row for: said, kept."""

from __future__ import annotations

from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.models import ImportBatch, InventoryItem

SHOWN_IDS = 10


def stale_pairs(session: Session, batch_id: int, seen: set[str]) -> str | None:
    """The warning about pairs that earlier imports of this file (same name, same format) made, gone from it.

    Rows without IDs are keyed by their content: a row whose SKU, size, purchase date or supplier was
    corrected is a new pair, and the old pair stays. Said only when the file is a newer version of
    that one (some of its rows are still in it): monthly files of one name do not warn about each
    other. `seen` holds the row keys read from this file.
    """
    this = session.execute(
        select(ImportBatch.file_name, ImportBatch.format).where(ImportBatch.id == batch_id)
    ).one()
    name = PurePath(this.file_name).name
    earlier = [
        ident
        for ident, file_name in session.execute(
            select(ImportBatch.id, ImportBatch.file_name).where(
                ImportBatch.id != batch_id,
                ImportBatch.format == this.format,
                ImportBatch.target == "purchases",
                ImportBatch.status == "done",
            )
        )
        if PurePath(file_name).name == name
    ]
    if not earlier:
        return None
    query = select(InventoryItem.id, InventoryItem.source_key).where(
        InventoryItem.import_batch_id.in_(earlier), InventoryItem.status != "removed"
    )
    rows = [(ident, key.rsplit("#", 1)[0]) for ident, key in session.execute(query) if key]
    stale = sorted(ident for ident, row in rows if row not in seen)
    if not stale or len(stale) == len(rows):
        return None
    shown = ", ".join(map(str, stale[:SHOWN_IDS])) + (", ..." if len(stale) > SHOWN_IDS else "")
    return (
        f"{len(stale)} pair(s) an earlier import of {name} made have no row in this file (ids {shown}): "
        "a row whose SKU, size, purchase date or supplier changed is imported as a new pair and the old "
        "one stays; `soleflip inventory remove ID...` the pairs the file no longer has"
    )
