"""Write the user's sales in bulk: insert new, update changed, leave identical; fee lines beside."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session, aliased

from soleflip_cli.importers.base import KEPT_WHEN_ABSENT, Record, SaleRecord
from soleflip_cli.models import ImportBatch, InventoryItem, PaymentTransaction, Sale, SaleFee, utcnow
from soleflip_cli.services.import_batches import ChunkWriter, Counts
from soleflip_cli.services.import_payments import attach_payments
from soleflip_cli.services.lookups import planned_for_values
from soleflip_cli.services.matching import earliest, release_pairs, rematch
from soleflip_cli.services.product_cache import IN_CHUNK, ProductCache, ProductSpec
from soleflip_cli.services.sale_units import line_of, units
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES
from soleflip_cli.wording import first_few

# Platforms whose fees and payouts come from a separate payments report.
PAYMENT_PLATFORMS = {"ebay"}


@dataclass(frozen=True)
class _Existing:
    id: int
    content_hash: str | None
    variant_id: int | None
    inventory_item_id: int | None
    exported_at: datetime | None  # of the file that wrote the stored values, when known
    file_name: str | None
    bought: date | None  # the purchase day of the pair the sale holds
    batch_id: int | None  # the batch that wrote the stored values
    sold_at: datetime


# Ids for new sales, drawn from the table's own sequence (PostgreSQL).
NEXT_SALE_IDS = "SELECT nextval(pg_get_serial_sequence('sales', 'id')) FROM generate_series(1, :count)"
ANALYZE_ROWS = 5_000  # sales inserted from which PostgreSQL's statistics are refreshed
DROPPED = "dropped"  # the content hash of a pair a lower quantity cancelled
SHOWN_SIZES = 5  # unreadable sizes a warning quotes


class SalesWriter(ChunkWriter):
    """Sales of one file, keyed by (platform, external id); identical rows are not touched.

    A changed row is updated unless its stored values come from a file exported after this one
    (both times known: see ImportBatch.exported_at): an older export never reverts a newer one.
    """

    def __init__(self, session: Session, batch_id: int, exported_at: datetime | None = None) -> None:
        self.session = session
        self.batch_id = batch_id
        self.exported_at = exported_at
        self.cache = ProductCache(session)
        self.inserted = self.updated = self.unchanged = 0
        self.kept: dict[str, int] = {}  # newer file -> its rows this older file differs from
        self.first: dict[int, date] = {}  # sizes whose sales or freed pairs changed, from these days
        self.platforms: set[str] = set()
        self.unread_sizes: dict[str, int] = {}  # sizes as printed that no size format reads -> sales

    def write(self, records: Sequence[Record]) -> None:
        """Classify a chunk against the database and write what is new or changed."""
        lines = self._kept([r for r in records if isinstance(r, SaleRecord)])
        hashed = [unit for r in lines for unit in units(r)]
        if not hashed:
            return
        chunk = [r for r, _ in hashed]
        self.platforms.update(r.platform for r in chunk)
        specs = [(ProductSpec(sku=r.sku, name=r.item_name), r.size) for r in chunk]
        self.cache.prepare(specs)
        existing = self._existing(chunk)
        new: list[tuple[SaleRecord, dict[str, Any]]] = []
        changed: list[tuple[SaleRecord, dict[str, Any]]] = []
        released: list[int] = []
        for (record, content_hash), (spec, size) in zip(hashed, specs, strict=True):
            product_id, variant_id = self.cache.resolve(spec, size)
            if size and variant_id is None:  # a size no size format reads
                self.unread_sizes[size] = self.unread_sizes.get(size, 0) + 1
            values = _values(record, product_id, variant_id, self.batch_id, content_hash)
            old = existing.get((record.platform, record.external_id))
            if old is None and (first := self._newer_line(record, existing)) is not None:
                # A pair a newer export's lower quantity no longer covers: stored as it would have been
                # had the files come in date order (cancelled, and written by that newer export).
                values.update(status="cancelled", content_hash=DROPPED, import_batch_id=first.batch_id)
                new.append((record, values))
            elif old is None:
                new.append((record, values))
            elif old.content_hash == values["content_hash"]:
                self.unchanged += 1
            elif self._newer(old):
                self.unchanged += 1
                self.kept[old.file_name or ""] = self.kept.get(old.file_name or "", 0) + 1
            else:
                values["id"] = old.id
                earliest(self.first, old.variant_id, old.sold_at.date())  # where it was
                if old.inventory_item_id and _gives_back(old, record, variant_id):
                    values["inventory_item_id"] = None
                    released.append(old.inventory_item_id)
                changed.append((record, values))
        self._insert(new)
        self._update(changed, released)
        # A line's quantity can only have gone down when its first pair changed (its hash covers the line).
        redone = {(r.platform, r.external_id) for r, _ in changed}
        self._cancel_dropped_pairs([r for r in lines if (r.platform, r.external_id) in redone])

    def _kept(self, lines: list[SaleRecord]) -> list[SaleRecord]:
        """The lines, with the stored values of the fields their file has no column for (see absent)."""
        wanted: dict[str, set[str]] = {}
        for r in lines:
            if r.absent:
                wanted.setdefault(r.platform, set()).add(r.external_id)
        if not wanted:
            return lines
        stored: dict[tuple[str, str], dict[str, Any]] = {}
        with planned_for_values(self.session):
            for platform, ids in wanted.items():
                keys = sorted(ids)
                for start in range(0, len(keys), IN_CHUNK):
                    query = select(Sale.external_id, *(getattr(Sale, f) for f in KEPT_WHEN_ABSENT)).where(
                        Sale.platform == platform, Sale.external_id.in_(keys[start : start + IN_CHUNK])
                    )
                    for row in self.session.execute(query):
                        stored[(platform, row.external_id)] = row._asdict()
        return [
            replace(r, **{f: values[f] for f in r.absent})
            if r.absent and (values := stored.get((r.platform, r.external_id))) is not None
            else r
            for r in lines
        ]

    def _newer_line(self, unit: SaleRecord, existing: dict[tuple[str, str], _Existing]) -> _Existing | None:
        """The stored first pair of a further pair's line, when a newer export wrote it (else None)."""
        line, number = line_of(unit.external_id)
        first = existing.get((unit.platform, line)) if number > 1 else None
        return first if first is not None and self._newer(first) else None

    def _newer(self, old: _Existing) -> bool:
        """Whether the stored values come from a file exported after this one."""
        ours, theirs = self.exported_at, old.exported_at
        return ours is not None and theirs is not None and theirs > ours

    def _cancel_dropped_pairs(self, lines: Sequence[SaleRecord]) -> None:
        """Pairs of a line stored before that its quantity no longer covers: cancelled, their pairs freed."""
        for platform in {r.platform for r in lines}:
            quantity = {r.external_id: r.quantity for r in lines if r.platform == platform}
            stored = self.session.execute(
                select(Sale.id, Sale.external_id, Sale.inventory_item_id).where(
                    Sale.platform == platform,
                    Sale.external_id.like("% (pair %)"),
                    Sale.status.not_in(NON_SALES),
                )
            )
            dropped = [
                (sale_id, item_id)
                for sale_id, external_id, item_id in stored
                if (line := line_of(external_id))[0] in quantity and line[1] > quantity[line[0]]
            ]
            if not dropped:
                continue
            # Their hash no longer matches any line's: a later file covering them again restores them.
            # This batch wrote them: an older export imported later does not restore them (see _newer).
            cancelled = {"status": "cancelled", "content_hash": DROPPED, "import_batch_id": self.batch_id}
            self.session.execute(
                update(Sale), [{"id": i, **cancelled, "updated_at": utcnow()} for i, _ in dropped]
            )
            release_pairs(
                self.session, [item_id for _, item_id in dropped if item_id is not None], self.first
            )
            self.updated += len(dropped)

    def _existing(self, chunk: Sequence[SaleRecord]) -> dict[tuple[str, str], _Existing]:
        by_platform: dict[str, set[str]] = {}
        for record in chunk:
            by_platform.setdefault(record.platform, set()).add(record.external_id)
        found: dict[tuple[str, str], _Existing] = {}
        with planned_for_values(self.session):
            for platform, ids in by_platform.items():
                keys = sorted(ids)
                for start in range(0, len(keys), IN_CHUNK):
                    query = (
                        select(
                            Sale.external_id,
                            Sale.id,
                            Sale.content_hash,
                            Sale.variant_id,
                            Sale.inventory_item_id,
                            ImportBatch.exported_at,
                            ImportBatch.file_name,
                            InventoryItem.purchase_date,
                            Sale.import_batch_id,
                            Sale.sold_at,
                        )
                        .outerjoin(ImportBatch, ImportBatch.id == Sale.import_batch_id)
                        .outerjoin(InventoryItem, InventoryItem.id == Sale.inventory_item_id)
                        .where(
                            Sale.platform == platform, Sale.external_id.in_(keys[start : start + IN_CHUNK])
                        )
                    )
                    for row in self.session.execute(query):
                        found[(platform, row.external_id)] = _Existing(
                            row.id,
                            row.content_hash,
                            row.variant_id,
                            row.inventory_item_id,
                            row.exported_at,
                            row.file_name,
                            row.purchase_date,
                            row.import_batch_id,
                            row.sold_at,
                        )
        return found

    def _insert(self, new: list[tuple[SaleRecord, dict[str, Any]]]) -> None:
        if not new:
            return
        # NULLs rendered, not left out: rows with and without a payout date stay one batch.
        statement = insert(Sale).execution_options(render_nulls=True)
        if self.session.get_bind().dialect.name == "postgresql":
            # The ids drawn first, then a plain executemany: INSERT … RETURNING of many rows is sent as
            # multi-row VALUES whose thousands of placeholders psycopg converts anew each time (12 s
            # of a 40,000-sale import on the client; 1 s this way).
            drawn = self.session.scalars(text(NEXT_SALE_IDS), {"count": len(new)}).all()
            self.session.execute(statement, [dict(v, id=i) for i, (_, v) in zip(drawn, new, strict=True)])
            ids = list(drawn)
        else:  # unordered RETURNING: in parameter order SQLAlchemy inserts one row per statement
            rows = self.session.execute(
                statement.returning(Sale.id, Sale.platform, Sale.external_id), [v for _, v in new]
            )
            found = {(platform, external_id): ident for ident, platform, external_id in rows}
            ids = [found[(r.platform, r.external_id)] for r, _ in new]
        self._fees(zip(ids, (r for r, _ in new), strict=True))
        for r, values in new:
            earliest(self.first, values["variant_id"], r.sold_at.date())
        self.inserted += len(new)

    def _update(self, changed: list[tuple[SaleRecord, dict[str, Any]]], released: list[int]) -> None:
        if not changed:
            return
        with_link = [v for _, v in changed if "inventory_item_id" in v]
        without = [v for _, v in changed if "inventory_item_id" not in v]
        for group in (with_link, without):
            if group:
                self.session.execute(update(Sale), group)
        release_pairs(self.session, released, self.first)
        ids = [v["id"] for _, v in changed]
        self.session.execute(delete(SaleFee).where(SaleFee.sale_id.in_(ids)))
        # Payment lines already applied to these sales are applied again to the new values.
        self.session.execute(
            update(PaymentTransaction).where(PaymentTransaction.sale_id.in_(ids)).values(sale_id=None)
        )
        self._fees((v["id"], r) for r, v in changed)
        for r, values in changed:
            earliest(self.first, values["variant_id"], r.sold_at.date())
        self.updated += len(changed)

    def _fees(self, sales: Iterable[tuple[int, SaleRecord]]) -> None:
        rows = [
            {"sale_id": sale_id, "name": f.name, "kind": f.kind, "amount": f.amount, "currency": r.currency}
            for sale_id, r in sales
            for f in r.fees
        ]
        if rows:
            self.session.execute(insert(SaleFee), rows)

    def finish(self) -> Counts:
        """Let new and changed sales, and those waiting for a pair freed, consume pairs (FIFO); the counts."""
        if self.inserted >= ANALYZE_ROWS and self.session.get_bind().dialect.name == "postgresql":
            # Fresh statistics: until autovacuum's, the planner takes the new table for a small one and
            # a re-import's lookups by id took 10 s for 20,000 sales instead of 2.
            self.session.execute(text("ANALYZE sales"))
        matched = rematch(self.session, self.first)
        done = {p: attach_payments(self.session, p) for p in sorted(self.platforms & PAYMENT_PLATFORMS)}
        attached = sum(a.sales for a in done.values())
        warnings = tuple(
            f"{count} row(s) differ from {name}, exported after this file: kept its newer values"
            for name, count in sorted(self.kept.items())
        ) + tuple(w for platform, a in done.items() for w in a.warnings(platform))
        if self.unread_sizes:
            warnings += (_unread_sizes(self.unread_sizes),)
        return Counts(self.inserted, self.updated, self.unchanged, matched, attached, warnings)


def _unread_sizes(sizes: dict[str, int]) -> str:
    """The warning about sales whose size no size format reads: they can take no pair."""
    shown = first_few([repr(s) for s in sorted(sizes)], SHOWN_SIZES)
    return (
        f"{sum(sizes.values())} sale(s) have a size soleflip cannot read ({shown}): stored as printed, "
        "they take no pair in stock (no cost basis)"
    )


def _gives_back(old: _Existing, record: SaleRecord, variant_id: int | None) -> bool:
    """Whether a changed sale gives its pair back: other size, no longer a sale, sold before its purchase."""
    before = old.bought is not None and record.sold_at.date() < old.bought
    return old.variant_id != variant_id or record.status in NON_SALES or before


def _values(
    record: SaleRecord, product_id: int, variant_id: int | None, batch_id: int, content_hash: str
) -> dict[str, Any]:
    return {
        "platform": record.platform,
        "external_id": record.external_id,
        "product_id": product_id,
        "variant_id": variant_id,
        "item_name": record.item_name,
        "sku": record.sku,
        "size": record.size,
        "quantity": record.quantity,
        "sold_at": record.sold_at,
        "sale_price": record.sale_price,
        "fees_total": record.fees_total,
        "payout": record.payout,
        "vat_amount": record.vat_amount,
        "currency": record.currency,
        "status": record.status,
        "payout_date": record.payout_date,
        "buyer_country": record.buyer_country,
        "source": "csv",
        "import_batch_id": batch_id,
        "content_hash": content_hash,
        "updated_at": utcnow(),
    }


def adopt_platform(session: Session, platform: str, batch_format: str) -> None:
    """Sales a mapping's earlier batches stored on the shared platform `other` move to `platform`.

    A sales mapping without a `platform` setting once put its sales on `other`, which every such
    mapping shared; its platform is now its name. Moved here, when the mapping imports again, not
    by a migration: only the mapping knows it has no platform of its own. A sale whose ID is taken
    on `platform` already stays where it is.
    """
    taken = aliased(Sale)
    batches = select(ImportBatch.id).where(ImportBatch.format == batch_format)
    session.execute(
        update(Sale)
        .where(
            Sale.platform == "other",
            Sale.import_batch_id.in_(batches),
            ~select(taken.id)
            .where(taken.platform == platform, taken.external_id == Sale.external_id)
            .exists(),
        )
        .values(platform=platform)
        .execution_options(synchronize_session=False)
    )
