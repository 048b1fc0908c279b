"""Write market sales in bulk: COPY + INSERT … ON CONFLICT on PostgreSQL, INSERT OR IGNORE on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from soleflip_cli.importers.base import MarketSaleRecord, Record
from soleflip_cli.services.import_batches import Counts
from soleflip_cli.services.product_cache import ProductCache, ProductSpec

COLUMNS = ("source", "row_key", "product_id", "variant_id", "sale_date", "sale_price", "currency", "region")
STAGE = "soleflip_market_stage"
SQLITE_CACHE_KIB = -65536
_NAMES = ", ".join(COLUMNS)
# Built from the constants above only (no user input).
SQLITE_INSERT = (
    f"INSERT OR IGNORE INTO market_sales ({_NAMES}, import_batch_id) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})"
)
PG_STAGE = (
    f"CREATE TEMP TABLE {STAGE} (source text, row_key text, product_id integer, variant_id integer, "
    "sale_date date, sale_price numeric(14, 2), currency text, region text)"
)
PG_COPY = f"COPY {STAGE} ({_NAMES}) FROM STDIN"
PG_MERGE = (
    f"INSERT INTO market_sales ({_NAMES}, import_batch_id) "  # noqa: S608
    f"SELECT {_NAMES}, :batch FROM {STAGE} ON CONFLICT (source, row_key) DO NOTHING"
)


class MarketSalesWriter:
    """Market sales of one file; rows already present (same source and row key) are left alone."""

    def __init__(self, session: Session, batch_id: int, source: str) -> None:
        self.session = session
        self.batch_id = batch_id
        self.source = source
        self.cache = ProductCache(session)
        self.specs: dict[str, ProductSpec] = {}
        self.ids: dict[tuple[str, str], tuple[int, int | None]] = {}
        self.days: dict[date, str] = {}
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.staged = False
        self.rows = self.inserted = 0
        self.cache_size: int | None = None

    def _spec(self, record: MarketSaleRecord) -> ProductSpec:
        spec = self.specs.get(record.name)
        if spec is None:
            spec = self.specs[record.name] = ProductSpec(
                sku=None,
                name=record.name,
                retail_price=record.retail_price,
                retail_currency=record.currency if record.retail_price is not None else None,
                release_date=record.release_date,
            )
        return spec

    def write(self, records: Sequence[Record]) -> None:
        """Resolve the chunk's products and sizes, then stage (PostgreSQL) or insert (SQLite) it."""
        chunk = [r for r in records if isinstance(r, MarketSaleRecord)]
        ids = self.ids
        new = {(r.name, r.size): r for r in chunk if (r.name, r.size) not in ids}
        if new:
            pairs = [(self._spec(r), r.size) for r in new.values()]
            self.cache.prepare(pairs)
            for key, (spec, size) in zip(new, pairs, strict=True):
                ids[key] = self.cache.resolve(spec, size)
        self.rows += len(chunk)
        if self.postgres:
            self._copy(chunk)
        elif chunk:
            self._insert_sqlite(chunk)

    def _insert_sqlite(self, chunk: list[MarketSaleRecord]) -> None:
        # The driver's executemany straight away: SQLAlchemy's per-row parameter handling would
        # cost more than SQLite's insert. Values are bound as SQLite stores them (ISO dates, text
        # numbers that NUMERIC affinity turns into numbers), as SQLAlchemy itself would.
        source, batch, ids, days = self.source, self.batch_id, self.ids, self.days
        rows = []
        for r in chunk:
            day = days.get(r.sale_date) or days.setdefault(r.sale_date, r.sale_date.isoformat())
            product_id, variant_id = ids[(r.name, r.size)]
            rows.append(
                (
                    source,
                    r.row_key,
                    product_id,
                    variant_id,
                    day,
                    str(r.sale_price),
                    r.currency,
                    r.region,
                    batch,
                )
            )
        connection = self.session.connection()
        if self.cache_size is None:
            # The (source, row_key) index takes random keys: a 64 MiB page cache for this import
            # instead of SQLite's 2 MiB keeps the inserts off the disk (restored in finish).
            self.cache_size = int(connection.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
            connection.exec_driver_sql(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
        self.inserted += max(connection.exec_driver_sql(SQLITE_INSERT, rows).rowcount, 0)

    def _copy(self, chunk: list[MarketSaleRecord]) -> None:
        connection = self.session.connection()
        if not self.staged:
            connection.execute(text(f"DROP TABLE IF EXISTS {STAGE}"))
            connection.execute(text(PG_STAGE))
            self.staged = True
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(PG_COPY) as copy:
            source, ids = self.source, self.ids
            for r in chunk:
                product_id, variant_id = ids[(r.name, r.size)]
                copy.write_row(
                    (
                        source,
                        r.row_key,
                        product_id,
                        variant_id,
                        r.sale_date,
                        r.sale_price,
                        r.currency,
                        r.region,
                    )
                )

    def finish(self) -> Counts:
        """Move staged rows in (PostgreSQL) and count the rows this batch added."""
        connection = self.session.connection()
        if self.postgres and self.staged:
            self.inserted = max(connection.execute(text(PG_MERGE), {"batch": self.batch_id}).rowcount, 0)
            connection.execute(text(f"DROP TABLE {STAGE}"))
            self.staged = False
        if self.cache_size is not None:
            connection.exec_driver_sql(f"PRAGMA cache_size={self.cache_size}")
        return Counts(inserted=self.inserted, unchanged=self.rows - self.inserted)
