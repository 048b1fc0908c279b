"""Write purchases as inventory pairs in bulk: one pair per unit, keyed `<row key>#<n>`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.orm import Session

from soleflip_cli.importers.base import PurchaseRecord, Record
from soleflip_cli.models import InventoryItem, Supplier, utcnow
from soleflip_cli.services.import_batches import ChunkWriter, Counts
from soleflip_cli.services.lookups import planned_for_values
from soleflip_cli.services.matching import earliest, rematch
from soleflip_cli.services.product_cache import IN_CHUNK, ProductCache, ProductSpec
from soleflip_cli.services.purchase_versions import stale_pairs

SURPLUS_STATUSES = ("in_stock", "listed")
# The content hash of a pair this import retired when its row's quantity went down: a raised quantity
# brings such a pair back, never one removed by hand (`inventory remove` keeps the hash).
RETIRED = "retired-by-import"


_Pair = Row[int, str | None, str, str | None]  # a stored pair: id, source key, status, content hash


class PurchasesWriter(ChunkWriter):
    """Pairs of one purchases file; a changed row updates its pairs' cost, place and condition only."""

    def __init__(self, session: Session, batch_id: int) -> None:
        self.session = session
        self.batch_id = batch_id
        self.cache = ProductCache(session)
        self.suppliers: dict[str, int] = {}  # a reseller's few suppliers, by _supplier_key
        for name, ident in session.execute(select(Supplier.name, Supplier.id).order_by(Supplier.id)):
            self.suppliers.setdefault(_supplier_key(name), ident)
        self.bought: dict[int, date] = {}  # per size: the first purchase day of its new or changed pairs
        self.inserted = self.updated = self.unchanged = 0
        self.warnings: list[str] = []
        self.keys: set[str] = set()  # the row keys read from the file
        self.days: tuple[date, date] | None = None  # its first and last purchase day
        self.new_sizes: set[int] = set()  # variants of the rows this import inserted

    def write(self, records: Sequence[Record]) -> None:
        """Insert new rows' pairs, update changed rows' pairs, leave identical rows alone."""
        chunk = [r for r in records if isinstance(r, PurchaseRecord)]
        if not chunk:
            return
        self.keys.update(r.key for r in chunk)
        days = [r.purchase_date for r in chunk] + list(self.days or ())
        self.days = min(days), max(days)
        specs = [(ProductSpec(sku=r.sku, name=r.name), r.size) for r in chunk]
        self.cache.prepare(specs)
        self._ensure_suppliers([r.supplier for r in chunk if r.supplier])
        existing = self._existing([f"{r.key}#1" for r in chunk])
        hashes = [r.content_hash() for r in chunk]
        held = self._pairs_of(
            [r.key for r, h in zip(chunk, hashes, strict=True) if existing.get(f"{r.key}#1") not in (None, h)]
        )
        new_pairs: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []  # the changed rows' pairs, in one executemany
        for record, (spec, size), content_hash in zip(chunk, specs, hashes, strict=True):
            product_id, variant_id = self.cache.resolve(spec, size)
            assert variant_id is not None  # the importer rejects sizes it cannot read
            values = self._values(record, product_id, variant_id, content_hash)
            old_hash = existing.get(f"{record.key}#1")
            if old_hash != content_hash:  # pairs new or changed: sales may take them
                earliest(self.bought, variant_id, record.purchase_date)
            if old_hash is None:
                self.new_sizes.add(variant_id)
                new_pairs.extend(_pairs(record, values, range(1, record.quantity + 1)))
                self.inserted += 1
            elif old_hash == content_hash:
                self.unchanged += 1
            else:
                kept, added = self._update(record, values, held.get(record.key, []))
                updates.extend(kept)
                new_pairs.extend(added)
                self.updated += 1
        if updates:
            self.session.execute(update(InventoryItem), updates)
        if new_pairs:
            self.session.execute(insert(InventoryItem).execution_options(render_nulls=True), new_pairs)

    def _values(
        self, record: PurchaseRecord, product_id: int, variant_id: int, content_hash: str
    ) -> dict[str, Any]:
        return {
            "product_id": product_id,
            "variant_id": variant_id,
            "purchase_price": record.cost,
            "purchase_currency": record.currency,
            "purchase_date": record.purchase_date,
            "supplier_id": self.suppliers.get(_supplier_key(record.supplier)) if record.supplier else None,
            "location": record.location,
            "condition": record.condition,
            "box_condition": record.box_condition,
            "notes": record.notes,
            "content_hash": content_hash,
            "import_batch_id": self.batch_id,
            "updated_at": utcnow(),
        }

    def _existing(self, keys: list[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        with planned_for_values(self.session):
            for start in range(0, len(keys), IN_CHUNK):
                query = select(InventoryItem.source_key, InventoryItem.content_hash).where(
                    InventoryItem.source_key.in_(keys[start : start + IN_CHUNK])
                )
                found.update({key: digest for key, digest in self.session.execute(query) if key})
        return found

    def _pairs_of(self, keys: list[str]) -> dict[str, list[_Pair]]:
        """The pairs (`<row key>#<n>`) of these rows, by row key: one scan per IN list, not one per row."""
        found: dict[str, list[_Pair]] = {}
        row_key = func.rtrim(InventoryItem.source_key, "0123456789")  # `<row key>#`
        with planned_for_values(self.session):
            for start in range(0, len(keys), IN_CHUNK):
                wanted = [f"{key}#" for key in keys[start : start + IN_CHUNK]]
                query = select(
                    InventoryItem.id,
                    InventoryItem.source_key,
                    InventoryItem.status,
                    InventoryItem.content_hash,
                ).where(row_key.in_(wanted))
                for pair in self.session.execute(query):
                    found.setdefault(str(pair.source_key).rsplit("#", 1)[0], []).append(pair)
        return found

    def _update(
        self, record: PurchaseRecord, values: dict[str, Any], pairs: list[_Pair]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """A changed row's pairs to its quantity: updates of those it keeps or brings back, and new pairs.

        Unsold pairs beyond the quantity are retired here.
        """
        numbers = {int(str(p.source_key).rsplit("#", 1)[1]): p for p in pairs}
        kept = [p for n, p in numbers.items() if n <= record.quantity]
        fields = {k: v for k, v in values.items() if k not in ("product_id", "variant_id")}
        statuses = [_status(p.status, p.content_hash) for p in kept]
        updates = [{"id": p.id, **fields, "status": status} for p, status in zip(kept, statuses, strict=True)]
        extra = [p for n, p in numbers.items() if n > record.quantity and p.status != "removed"]
        surplus = [p.id for p in extra if p.status in SURPLUS_STATUSES]
        if surplus:
            self.session.execute(
                update(InventoryItem)
                .where(InventoryItem.id.in_(surplus))
                .values(status="removed", content_hash=RETIRED)
            )
        if stay := [p for p in extra if p.status not in SURPLUS_STATUSES]:
            self.warnings.append(_kept_warning(record, [(p.id, p.status) for p in stay]))
        missing = [n for n in range(1, record.quantity + 1) if n not in numbers]
        return updates, _pairs(record, values, missing)

    def _ensure_suppliers(self, names: list[str]) -> None:
        """Suppliers by name in any case (`Zalando`, `ZALANDO`: one); a new one is created as first spelt."""
        firsts: dict[str, str] = {}
        for name in names:  # in the file's order
            if (key := _supplier_key(name)) not in self.suppliers:
                firsts.setdefault(key, name)
        if firsts:
            spelt = sorted(firsts.values())
            self.session.execute(
                insert(Supplier), [{"name": n, "created_at": utcnow(), "updated_at": utcnow()} for n in spelt]
            )
            rows = self.session.execute(select(Supplier.name, Supplier.id).where(Supplier.name.in_(spelt)))
            self.suppliers.update((_supplier_key(name), ident) for name, ident in rows)

    def finish(self) -> Counts:
        """Let sales consume the new stock as FIFO would have in date order, then report the counts."""
        matched = rematch(self.session, self.bought)
        if self.days:
            if stale := stale_pairs(self.session, self.batch_id, self.keys, self.days, self.new_sizes):
                self.warnings.append(stale)
        return Counts(self.inserted, self.updated, self.unchanged, matched, warnings=tuple(self.warnings))


def _pairs(
    record: PurchaseRecord, values: dict[str, Any], numbers: Sequence[int] | range
) -> list[dict[str, Any]]:
    return [
        {**values, "source_key": f"{record.key}#{n}", "status": "in_stock", "created_at": utcnow()}
        for n in numbers
    ]


def _status(status: str, content_hash: str | None) -> str:
    """A pair this import retired comes back in stock when its row's quantity covers it again."""
    return "in_stock" if status == "removed" and content_hash == RETIRED else status


def _kept_warning(record: PurchaseRecord, pairs: Sequence[tuple[int, str]]) -> str:
    """Why pairs beyond a lowered quantity (id, status) were not removed."""
    shown = ", ".join(f"{ident} ({status})" for ident, status in pairs)
    return (
        f"line {record.line}: quantity {record.quantity}, but {len(pairs)} more pair(s) of this row "
        f"stay: {shown}; sold, returned, consigned and personal pairs are never removed by an import"
    )


def _supplier_key(name: str) -> str:
    """A supplier's name as compared: case and surrounding blanks do not count."""
    return " ".join(name.casefold().split())
