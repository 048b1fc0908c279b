"""Pairs an earlier import of a purchases file made that its newer version has no row for: said, kept."""

from __future__ import annotations

from datetime import date
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.models import ImportBatch, InventoryItem
from soleflip_cli.services.import_batches import same_name
from soleflip_cli.wording import first_few

SHOWN_IDS = 20
UNSOLD = ("in_stock", "listed")


def stale_pairs(
    session: Session, batch_id: int, seen: set[str], days: tuple[date, date], new_sizes: set[int]
) -> str | None:
    """The warning about pairs earlier imports of this file (same name and format) made, gone from it.

    Rows without IDs are keyed by their content: a row whose SKU, size, purchase date or supplier was
    corrected is a new pair, and the old pair stays. Said of the imports this file is a newer
    version of (some of their rows are still in it: another folder's file of the name is not; an
    older version imported again is not), for old rows bought within the file's `days` (a rolling
    export's older rows drop out of it) or of a size a new row has (`new_sizes`: variant ids; a
    first or last row's corrected date). `seen` holds the row keys read from this file.
    """
    columns = (ImportBatch.file_name, ImportBatch.format, ImportBatch.sha256)
    this = session.execute(select(*columns).where(ImportBatch.id == batch_id)).one()
    name = PurePath(this.file_name).name
    versions = [
        (ident, sha256)
        for ident, file_name, sha256 in session.execute(
            select(ImportBatch.id, ImportBatch.file_name, ImportBatch.sha256).where(
                ImportBatch.id != batch_id,
                ImportBatch.format == this.format,
                ImportBatch.target == "purchases",
                ImportBatch.status == "done",
            )
        )
        if same_name(this.file_name, file_name)
    ]
    if not versions or this.sha256 in {sha256 for _, sha256 in versions}:
        return None  # none, or a version imported before again: not known to be the newer one
    earlier = [ident for ident, _ in versions]
    query = select(
        InventoryItem.id,
        InventoryItem.source_key,
        InventoryItem.status,
        InventoryItem.purchase_date,
        InventoryItem.variant_id,
        InventoryItem.import_batch_id,
    ).where(InventoryItem.import_batch_id.in_(earlier), InventoryItem.status != "removed")
    rows = [(p.source_key.rsplit("#", 1)[0], p) for p in session.execute(query) if p.source_key]
    older = {pair.import_batch_id for row, pair in rows if row in seen}  # versions this file continues
    stale = sorted(
        (pair.id, pair.status)
        for row, pair in rows
        if pair.import_batch_id in older
        and row not in seen
        and (days[0] <= pair.purchase_date <= days[1] or pair.variant_id in new_sizes)
    )
    if not stale:
        return None
    shown = first_few([str(i) if s in UNSOLD else f"{i} ({s})" for i, s in stale], SHOWN_IDS)
    return (
        f"{len(stale)} pair(s) an earlier import of {name} made have no row in this file (ids "
        f"{shown}): a row whose SKU, size, purchase date or "
        "supplier was corrected is imported as a new pair and the old one stays; check them: "
        "`soleflip inventory remove ID...` an unsold one the file no longer has, and for a sold one the "
        "pair its corrected row made"
    )
