"""Write market sales in bulk: COPY + INSERT … ON CONFLICT on PostgreSQL, INSERT OR IGNORE on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from soleflip_cli.importers.base import MarketSaleRecord, Record
from soleflip_cli.models import MarketSale
from soleflip_cli.services.import_batches import Counts
from soleflip_cli.services.product_cache import ProductCache, ProductSpec

COLUMNS = ("source", "row_key", "product_id", "variant_id", "sale_date", "sale_price", "currency", "region")
STAGE = "soleflip_market_stage"
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
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.staged = False
        self.rows = 0

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
        pairs = [(self._spec(r), r.size) for r in chunk]
        self.cache.prepare(pairs)
        values = []
        for record, (spec, size) in zip(chunk, pairs, strict=True):
            product_id, variant_id = self.cache.resolve(spec, size)
            values.append(
                (
                    self.source,
                    record.row_key,
                    product_id,
                    variant_id,
                    record.sale_date,
                    record.sale_price,
                    record.currency,
                    record.region,
                )
            )
        self.rows += len(values)
        if self.postgres:
            self._copy(values)
        elif values:
            self._insert_sqlite(values)

    def _insert_sqlite(self, values: list[tuple[Any, ...]]) -> None:
        # The driver's executemany straight away: SQLAlchemy's per-row parameter handling would
        # cost more than SQLite's insert. Values are bound as SQLite stores them (ISO dates, text
        # numbers that NUMERIC affinity turns into numbers), as SQLAlchemy itself would.
        self.session.connection().exec_driver_sql(
            SQLITE_INSERT,
            [(*v[:4], v[4].isoformat(), str(v[5]), *v[6:], self.batch_id) for v in values],
        )

    def _copy(self, values: list[tuple[Any, ...]]) -> None:
        connection = self.session.connection()
        if not self.staged:
            connection.execute(text(f"DROP TABLE IF EXISTS {STAGE}"))
            connection.execute(text(PG_STAGE))
            self.staged = True
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(PG_COPY) as copy:
            for row in values:
                copy.write_row(row)

    def finish(self) -> Counts:
        """Move staged rows in (PostgreSQL) and count the rows this batch added."""
        if self.postgres and self.staged:
            connection = self.session.connection()
            connection.execute(text(PG_MERGE), {"batch": self.batch_id})
            connection.execute(text(f"DROP TABLE {STAGE}"))
            self.staged = False
        inserted = self.session.scalar(
            select(func.count()).select_from(MarketSale).where(MarketSale.import_batch_id == self.batch_id)
        )
        added = int(inserted or 0)
        return Counts(inserted=added, unchanged=self.rows - added)
