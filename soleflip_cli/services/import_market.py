"""Write market sales in bulk: COPY + INSERT … ON CONFLICT on PostgreSQL, INSERT OR IGNORE on SQLite.

A big first load of a source (a file longer than the table, none of its rows there yet) goes straight
into the table with its unique key and index off (and its foreign keys, on PostgreSQL), rebuilt at the
end: building an index once from all rows beats growing it row by row.
On PostgreSQL one COPY stays open across chunks, so the server stores rows while the next chunk is
parsed. Rows of a product or size not yet known wait (at most PENDING_ROWS; the COPY is ended first on
PostgreSQL), so that those are created a few at a time rather than in a round of queries per chunk.
Rows come as MarketChunks (import_market_rows), encoded here or by forked parsing processes
(import_worker), naming their product and size by number: their ids are appended here.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from types import TracebackType
from typing import TYPE_CHECKING, cast

from sqlalchemy import text
from sqlalchemy.orm import Session

from soleflip_cli.importers.base import Record
from soleflip_cli.models import Base
from soleflip_cli.services.bulk_ddl import Loosened
from soleflip_cli.services.import_batches import ChunkWriter, Counts
from soleflip_cli.services.import_market_rows import (
    NULL,
    ROW_COLUMNS,
    MarketChunk,
    MarketRows,
    NewPair,
    copy_text,
)
from soleflip_cli.services.product_cache import ProductCache, ProductSpec

if TYPE_CHECKING:
    from psycopg import Copy

# Each row's own columns, then those of its product, size and source (see MarketChunk).
COLUMNS = (*ROW_COLUMNS, "source", "product_id", "variant_id")
STAGE = "soleflip_market_stage"
SQLITE_CACHE_KIB = -65536
BULK_ROWS = 10_000  # a load from this many rows (and more than the table has) loosens the table
PENDING_ROWS = 2_000  # rows waiting for new products or sizes before those are created
_NAMES = ", ".join(COLUMNS)
# Built from the constants above only (no user input).
SQLITE_INSERT = (
    f"INSERT OR IGNORE INTO market_sales ({_NAMES}, import_batch_id) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})"
)
PG_STAGE = (
    f"CREATE TEMP TABLE {STAGE} (row_key text, sale_date date, sale_price numeric(14, 2), currency text, "
    "region text, source text, product_id integer, variant_id integer)"
)
PG_COPY = f"COPY {STAGE} ({_NAMES}) FROM STDIN"
PG_COPY_DIRECT = f"COPY market_sales ({_NAMES}, import_batch_id) FROM STDIN"
# How many rows the table has, counting no further than :most.
TABLE_ROWS = "SELECT count(*) FROM (SELECT 1 FROM market_sales LIMIT :most) AS head"
HAS_SOURCE = "SELECT EXISTS (SELECT 1 FROM market_sales WHERE source = :source)"
PG_MERGE = (
    f"INSERT INTO market_sales ({_NAMES}, import_batch_id) "  # noqa: S608
    f"SELECT {_NAMES}, :batch FROM {STAGE} AS s WHERE NOT EXISTS (SELECT 1 FROM market_sales AS m "
    "WHERE m.source = s.source AND m.row_key = s.row_key) ON CONFLICT (source, row_key) DO NOTHING"
)
# A stage as big as the table is best matched by one hash of the table's keys; without statistics
# on the new stage the planner sorts both sides or probes the index row by row, 3-6x slower.
PG_HASH_MERGE = ("work_mem = '64MB'", "enable_mergejoin = off", "enable_nestloop = off")


Row = str | tuple[str | None, ...]  # a MarketChunk row: COPY text (PostgreSQL) or a tuple (SQLite)


class MarketSalesWriter(ChunkWriter):
    """Market sales of one file; rows already present (same source and row key) are left alone."""

    def __init__(self, session: Session, batch_id: int, source: str, expected_rows: int = 0) -> None:
        self.session = session
        self.expected_rows = expected_rows
        self.loosened: Loosened | None = None
        self.direct = False  # rows go into market_sales itself (keys off, no conflicts possible)
        self.batch_id = batch_id
        self.source = source
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.encoder = MarketRows(copy=self.postgres)
        self.cache = ProductCache(session)
        self.specs: dict[str, ProductSpec] = {}  # by product name: its first row describes it
        self.wanted: dict[int, tuple[ProductSpec, str]] = {}  # pairs (see MarketChunk) not created yet
        self.ends: dict[int, Row] = {}  # a pair's source and ids as its rows end
        self.started = False  # _start ran (the first write)
        self.copying: tuple[ExitStack, Copy] | None = None  # the open COPY and what ends it
        self.pending: list[tuple[Row, int]] = []  # rows (and pairs) whose product or size is not created yet
        self.rows = self.inserted = 0
        self.cache_size: int | None = None

    def _spec(self, pair: NewPair) -> ProductSpec:
        spec = self.specs.get(pair.name)
        if spec is None:
            spec = self.specs[pair.name] = ProductSpec(
                sku=None,
                name=pair.name,
                retail_price=pair.retail_price,
                retail_currency=pair.currency if pair.retail_price is not None else None,
                release_date=pair.release_date,
            )
        return spec

    def write(self, records: Sequence[Record]) -> None:
        """Write a chunk of records (see write_rows)."""
        self.write_rows(self.encoder.encode(records))

    def write_rows(self, chunk: MarketChunk) -> None:
        """Stream the chunk into the open COPY (PostgreSQL) or insert it (SQLite), new products waiting."""
        self.rows += len(chunk.pairs)
        for pair in chunk.new:
            self.wanted[pair.index] = (self._spec(pair), pair.size)
        if not self.started:  # the first write decides between the table itself and a stage
            self._start()
        self._send(chunk.rows, chunk.pairs)
        if len(self.pending) >= PENDING_ROWS:
            self._send_pending()

    def _send(self, rows: Sequence[Row], pairs: Sequence[int]) -> None:
        """Write the rows whose product and size are known; the others join `pending`."""
        ends, pending = self.ends, self.pending
        ready = []
        for row, pair in zip(rows, pairs, strict=True):
            end = ends.get(pair)
            if end is None:
                pending.append((row, pair))
            else:
                ready.append(row + end)  # type: ignore[operator]  # both str or both tuples
        if not ready:
            return
        if self.postgres:
            self._open_copy().write("".join(cast(list[str], ready)))
        else:
            self._insert_sqlite(cast(list[tuple[str | None, ...]], ready))

    def _resolve(self, pairs: Sequence[int]) -> None:
        """Find or create the products and sizes of `pairs`."""
        wanted = [self.wanted.pop(pair) for pair in pairs]
        self.cache.prepare(wanted)
        for pair, (spec, size) in zip(pairs, wanted, strict=True):
            product_id, variant_id = self.cache.resolve(spec, size)
            if self.postgres:
                variant = NULL if variant_id is None else str(variant_id)
                batch = f"\t{self.batch_id}" if self.direct else ""
                self.ends[pair] = f"\t{copy_text(self.source)}\t{product_id}\t{variant}{batch}\n"
            else:
                self.ends[pair] = (self.source, product_id, variant_id, self.batch_id)  # type: ignore[assignment]

    def _insert_sqlite(self, rows: list[tuple[str | None, ...]]) -> None:
        # The driver's executemany straight away: SQLAlchemy's per-row parameter handling would
        # cost more than SQLite's insert. Values are bound as SQLite stores them (ISO dates, text
        # numbers that NUMERIC affinity turns into numbers), as SQLAlchemy itself would.
        connection = self.session.connection()
        if self.cache_size is None:
            # The (row_key, source) index takes random keys: a 64 MiB page cache for this import
            # instead of SQLite's 2 MiB keeps the inserts off the disk (restored in finish).
            self.cache_size = int(connection.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
            connection.exec_driver_sql(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
        self.inserted += max(connection.exec_driver_sql(SQLITE_INSERT, rows).rowcount, 0)

    def _open_copy(self) -> Copy:
        """The COPY kept open across chunks, started when none is."""
        if self.copying is None:
            raw = self.session.connection().connection.driver_connection
            assert raw is not None
            with ExitStack() as stack:
                cursor = stack.enter_context(raw.cursor())
                copy = stack.enter_context(cursor.copy(PG_COPY_DIRECT if self.direct else PG_COPY))
                self.copying = stack.pop_all(), copy
        return self.copying[1]

    def _end_copy(self, error: BaseException | None = None) -> None:
        """End the open COPY: the server has stored every row sent, or `error` fails it."""
        copying, self.copying = self.copying, None
        if copying is not None:
            trace = error.__traceback__ if error else None
            copying[0].__exit__(type(error) if error else None, error, trace)

    def _send_pending(self) -> None:
        """Create the waiting rows' products and sizes (the COPY ended first), then send those rows."""
        self._end_copy()
        waiting, self.pending = self.pending, []
        self._resolve(list(dict.fromkeys(pair for _, pair in waiting)))
        self._send([row for row, _ in waiting], [pair for _, pair in waiting])

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """End the open COPY after the scan, failing it when an error stopped the scan."""
        self._end_copy(error)

    def _start(self) -> None:
        """Loosen the table for a big load (see the module's docstring); on PostgreSQL else make the stage."""
        self.started = True
        connection = self.session.connection()
        big = self.expected_rows >= BULK_ROWS
        if (
            big
            and connection.execute(text(TABLE_ROWS), {"most": self.expected_rows}).scalar_one()
            < self.expected_rows
        ):
            self.loosened = Loosened(connection, Base.metadata.tables["market_sales"])
            if self.postgres:  # SQLite cannot drop a foreign key
                self.loosened.drop_foreign_keys()
            if not connection.execute(text(HAS_SOURCE), {"source": self.source}).scalar_one():
                # Row keys are unique within a file and none of this source's are stored: nothing to merge.
                self.loosened.drop_keys_and_indexes()
                self.direct = True
                return
        if self.postgres:
            connection.execute(text(f"DROP TABLE IF EXISTS {STAGE}"))
            connection.execute(text(PG_STAGE))

    def _merge(self) -> int:
        """Insert the staged rows whose keys are new; a loosened (big) load hashes the table's keys."""
        connection = self.session.connection()
        hints = PG_HASH_MERGE if self.loosened is not None else ()
        for setting in hints:
            connection.exec_driver_sql(f"SET LOCAL {setting}")
        inserted = max(connection.execute(text(PG_MERGE), {"batch": self.batch_id}).rowcount, 0)
        for setting in hints:
            connection.exec_driver_sql(f"SET LOCAL {setting.split(' = ')[0]} TO DEFAULT")
        return inserted

    def finish(self) -> Counts:
        """Move staged rows in (PostgreSQL) and count the rows this batch added."""
        if self.pending:
            self._send_pending()
        self._end_copy()
        connection = self.session.connection()
        if self.postgres and self.started:
            if self.direct:
                self.inserted = self.rows
            else:
                self.inserted = self._merge()
                connection.execute(text(f"DROP TABLE {STAGE}"))
        if self.loosened is not None:
            self.loosened.restore()
            self.loosened = None
        self.started = False
        if self.cache_size is not None:
            connection.exec_driver_sql(f"PRAGMA cache_size={self.cache_size}")
        return Counts(inserted=self.inserted, unchanged=self.rows - self.inserted)
