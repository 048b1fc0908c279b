"""Write market sales in bulk: COPY + INSERT … ON CONFLICT on PostgreSQL, INSERT OR IGNORE on SQLite.

A big first load of a source (a file longer than the table, none of its rows there yet) goes straight
into the table with its unique key and index off (and its foreign keys, on PostgreSQL), rebuilt at the
end: building an index once from all rows beats growing it row by row.
On PostgreSQL one COPY stays open across chunks, so the server stores rows while the next chunk is
parsed. Rows of a product or size not yet known wait (at most PENDING_ROWS; the COPY is ended first on
PostgreSQL), so that those are created a few at a time rather than in a round of queries per chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.orm import Session

from soleflip_cli.importers.base import MarketSaleRecord, Record
from soleflip_cli.models import Base
from soleflip_cli.services.bulk_ddl import Loosened
from soleflip_cli.services.import_batches import ChunkWriter, Counts
from soleflip_cli.services.product_cache import ProductCache, ProductSpec

if TYPE_CHECKING:
    from psycopg import Copy

COLUMNS = ("source", "row_key", "product_id", "variant_id", "sale_date", "sale_price", "currency", "region")
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
    f"CREATE TEMP TABLE {STAGE} (source text, row_key text, product_id integer, variant_id integer, "
    "sale_date date, sale_price numeric(14, 2), currency text, region text)"
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


class MarketSalesWriter(ChunkWriter):
    """Market sales of one file; rows already present (same source and row key) are left alone."""

    def __init__(self, session: Session, batch_id: int, source: str, expected_rows: int = 0) -> None:
        self.session = session
        self.expected_rows = expected_rows
        self.loosened: Loosened | None = None
        self.direct = False  # rows go into market_sales itself (keys off, no conflicts possible)
        self.batch_id = batch_id
        self.source = source
        self.cache = ProductCache(session)
        self.specs: dict[str, ProductSpec] = {}
        self.ids: dict[tuple[str, str], tuple[int, int | None]] = {}
        self.days: dict[date, str] = {}
        # Prices as text (equal amounts store the same number whichever way they are written).
        self.prices: dict[Decimal, str] = {}
        self.id_texts: dict[tuple[str, str], str] = {}  # ids as COPY writes them
        self.places: dict[tuple[str, str | None], str] = {}  # currency and region as COPY writes them
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.started = False  # _start ran (the first write)
        self.copying: tuple[ExitStack, Copy] | None = None  # the open COPY and what ends it
        self.pending: list[MarketSaleRecord] = []  # rows whose product or size is not created yet
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
        """Stream the chunk into the open COPY (PostgreSQL) or insert it (SQLite), new products waiting."""
        chunk = [r for r in records if isinstance(r, MarketSaleRecord)]
        self.rows += len(chunk)
        if not self.started:  # the first write decides between the table itself and a stage
            self._start()
        self._send(chunk)
        if len(self.pending) >= PENDING_ROWS:
            self._send_pending()

    def _send(self, chunk: Sequence[MarketSaleRecord]) -> None:
        """Write the rows whose product and size are known; the others join `pending`."""
        if self.postgres:
            self._copy(chunk)
        else:
            self._insert_sqlite(chunk)

    def _resolve(self, chunk: Sequence[MarketSaleRecord]) -> None:
        """Find or create the products and sizes of the chunk's rows not seen before."""
        ids = self.ids
        new = {(r.name, r.size): r for r in chunk if (r.name, r.size) not in ids}
        if new:
            pairs = [(self._spec(r), r.size) for r in new.values()]
            self.cache.prepare(pairs)
            for key, (spec, size) in zip(new, pairs, strict=True):
                ids[key] = self.cache.resolve(spec, size)

    def _insert_sqlite(self, chunk: Sequence[MarketSaleRecord]) -> None:
        # The driver's executemany straight away: SQLAlchemy's per-row parameter handling would
        # cost more than SQLite's insert. Values are bound as SQLite stores them (ISO dates, text
        # numbers that NUMERIC affinity turns into numbers), as SQLAlchemy itself would.
        source, batch, ids, days, pending = self.source, self.batch_id, self.ids, self.days, self.pending
        prices = self.prices
        rows = []
        for r in chunk:
            found = ids.get((r.name, r.size))
            if found is None:
                pending.append(r)
                continue
            product_id, variant_id = found
            day = days.get(r.sale_date) or days.setdefault(r.sale_date, r.sale_date.isoformat())
            price = prices.get(r.sale_price) or prices.setdefault(r.sale_price, str(r.sale_price))
            rows.append(
                (
                    source,
                    r.row_key,
                    product_id,
                    variant_id,
                    day,
                    price,
                    r.currency,
                    r.region,
                    batch,
                )
            )
        if not rows:
            return
        connection = self.session.connection()
        if self.cache_size is None:
            # The (row_key, source) index takes random keys: a 64 MiB page cache for this import
            # instead of SQLite's 2 MiB keeps the inserts off the disk (restored in finish).
            self.cache_size = int(connection.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
            connection.exec_driver_sql(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
        self.inserted += max(connection.exec_driver_sql(SQLITE_INSERT, rows).rowcount, 0)

    def _copy(self, chunk: Sequence[MarketSaleRecord]) -> None:
        # COPY's text format written by hand, one string per chunk: a third of the cost of
        # write_row's per-value adaptation. What repeats (ids, dates, prices, places) is formatted once.
        ids, id_texts, days, places, pending = self.ids, self.id_texts, self.days, self.places, self.pending
        prices = self.prices
        head = f"{_copy_text(self.source)}\t"
        tail = f"\t{self.batch_id}\n" if self.direct else "\n"
        lines = []
        for r in chunk:
            pair = id_texts.get((r.name, r.size))
            if pair is None:
                if (r.name, r.size) not in ids:
                    pending.append(r)
                    continue
                pair = self._id_text(r)
            key = r.row_key
            if "\\" in key or not key.isprintable():
                key = _copy_text(key)
            day = days.get(r.sale_date) or days.setdefault(r.sale_date, r.sale_date.isoformat())
            place = places.get((r.currency, r.region)) or self._place(r)
            price = prices.get(r.sale_price) or prices.setdefault(r.sale_price, str(r.sale_price))
            lines.append(f"{head}{key}\t{pair}\t{day}\t{price}\t{place}{tail}")
        if lines:
            self._open_copy().write("".join(lines))

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
        self._resolve(waiting)
        self._send(waiting)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """End the open COPY after the scan, failing it when an error stopped the scan."""
        self._end_copy(error)

    def _id_text(self, r: MarketSaleRecord) -> str:
        product_id, variant_id = self.ids[(r.name, r.size)]
        text = self.id_texts[(r.name, r.size)] = f"{product_id}\t{NULL if variant_id is None else variant_id}"
        return text

    def _place(self, r: MarketSaleRecord) -> str:
        text = self.places[(r.currency, r.region)] = f"{_copy_text(r.currency)}\t{_copy_text(r.region)}"
        return text

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


NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str | None) -> str:
    """A text value as COPY's text format writes it (backslash escapes; NULL is `\\N`)."""
    return NULL if value is None else value.translate(_ESCAPES)
