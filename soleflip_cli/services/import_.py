"""`soleflip import csv`: parse a file with its importer and write it in bulk — all or nothing, one batch."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, Self, cast

from sqlalchemy.orm import Session

from soleflip_cli.errors import FileFormatError, FileReadError, SoleflipError
from soleflip_cli.importers import ImportOptions, choose, reading
from soleflip_cli.importers.base import Importer, MarketSaleRecord, MarketValues, Record, RowError, Rows
from soleflip_cli.importers.generic import GenericImporter
from soleflip_cli.paths import shown
from soleflip_cli.services import import_worker
from soleflip_cli.services.import_batches import (
    Counts,
    earlier_formats,
    finish_batch,
    previous_import,
    start_batch,
)
from soleflip_cli.services.import_limits import market_fits, out_of_bounds
from soleflip_cli.services.import_market import MarketSalesWriter
from soleflip_cli.services.import_market_rows import MarketChunk, MarketRows
from soleflip_cli.services.import_payments import PaymentsWriter
from soleflip_cli.services.import_purchases import PurchasesWriter
from soleflip_cli.services.import_sales import SalesWriter, adopt_platform

MAX_ERRORS = 20  # errors kept for display; all are counted
CHUNK = 2000  # records per bulk write: memory is bounded by this, not by the file
MARK_ROWS = 250  # rows an importer's encode_part adds between two looks at the chunk's size
# Market sales files from this many lines are parsed in a forked process while this one writes.
FORK_LINES = 10_000
MAX_PARTS = 4  # processes sharing the parsing of one file (see _parts)
# Objects allocated, net of those freed, between two young-generation collections during an import.
GC_THRESHOLD = 50_000


# An importer's `encode_part(rows, part, parts, add, fits, every)` (see ContestImporter): its rows go
# to `add`, not a record each.
EncodePart = Callable[
    [Rows, int, int, Callable[[MarketValues], None], Callable[[MarketSaleRecord], bool], int],
    Iterator[Record | RowError | int],
]


class Writer(Protocol):
    """Writes one file's records of one target, chunk by chunk, entered around the file's scan."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """End what the writer held open between chunks (failing it when `error` stopped the scan)."""

    def write(self, records: list[Record]) -> None:
        """Write a chunk."""
        ...

    def finish(self) -> Counts:
        """Complete the file (staged rows, matching) and return the counts."""
        ...


@dataclass(frozen=True)
class ImportResult:
    """What importing one file did (or, for a dry run or a rejected file, would have done)."""

    file: str
    format: str
    target: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    errors: tuple[RowError, ...]
    error_count: int
    batch_id: int | None
    dry_run: bool = False
    written: bool = False
    encoding: str | None = None
    matched: int = 0
    attached: int = 0
    previous_batch: int | None = None
    warnings: tuple[str, ...] = ()
    # What refused the whole file before a row was read: it could not be read (FileReadError) or
    # its format told (FileFormatError); its message is the one error. None for the other results.
    failure: SoleflipError | None = None

    def to_json(self) -> dict[str, Any]:
        """The documented JSON object of one file."""
        return {
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [{"line": e.line, "column": e.column, "message": e.message} for e in self.errors],
            "error_count": self.error_count,  # all of them; `errors` holds the first MAX_ERRORS
            "batch_id": self.batch_id,
        }


def import_stream(session: Session, stream: IO[bytes] | Path, **kwargs: Any) -> ImportResult:
    """import_file for what can be read only once: stdin, or a pipe or device by path (`<(…)`).

    It is copied to a temporary file first (removed afterwards); binary data stops the copy.
    """
    name = kwargs.pop("name", None) or (str(stream) if isinstance(stream, Path) else "<stdin>")
    try:
        with reading.spooled(stream) as path:
            return import_file(session, path, name=name, **kwargs)
    except (reading.UnreadableFileError, FileReadError) as exc:  # import_file returns its own: the copy's
        return refused(name, kwargs.get("fmt", "auto"), exc, dry_run=kwargs.get("dry_run", False))


def import_file(
    session: Session,
    path: Path,
    *,
    name: str | None = None,
    fmt: str = "auto",
    mapping: str | None = None,
    options: ImportOptions | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import one CSV file as one batch: any bad row rejects the whole file unless `skip_bad_rows`.

    A rejected file or a dry run is rolled back here, so the session must hold nothing else of
    value; otherwise the caller commits. Money keeps the file's currency; naive times are UTC.
    `progress(line, total_lines)` is called after each chunk. A file that cannot be read, holds no
    CSV text or fits no format (or several) is refused as a whole, its result holding that one
    error; a wrong `fmt` / `mapping` raises UsageError (exit 2).
    """
    display = name or shown(path)
    try:
        source = reading.prepare(path, display)
        earlier = lambda: earlier_formats(session, source.sha256, display)  # noqa: E731 - asked if needed
        importer, rows = choose(source, fmt, mapping, options or ImportOptions(), earlier)
    except (reading.UnreadableFileError, FileReadError, FileFormatError) as exc:
        return refused(display, fmt, exc, dry_run=dry_run)
    column_for: Callable[[str, list[str]], str | None] | None = getattr(importer, "column_for", None)
    unread: Callable[[list[str]], list[str]] | None = getattr(importer, "unread", None)
    ignored = unread(rows.header) if unread else []
    notes = (f"column(s) not read, left out: {', '.join(map(repr, ignored))}",) if ignored else ()
    scan = _Scan(skip_bad_rows, rows.header_line, _columns(column_for, rows.header))
    advance = (lambda line: progress(line, source.lines)) if progress else (lambda line: None)
    encode_part: EncodePart | None = getattr(importer, "encode_part", None)
    postgres = session.get_bind().dialect.name == "postgresql"
    with _rare_collections():
        children = (
            scan.forked(encode_part, rows, postgres)
            if encode_part is not None and importer.target == "market_sales" and _fork(source.lines)
            else nullcontext()
        )
        # Children parse from here on, while this process records the batch and readies the table.
        with children as collect:
            previous = previous_import(session, source.sha256)
            exported = getattr(importer, "exported_at", None)
            exported_at: datetime | None = exported(Path(display).name) if exported else None
            batch_id = start_batch(
                session,
                file=display,
                sha256=source.sha256,
                format=importer.name,
                target=importer.target,
                exported_at=exported_at,
            )
            writer = _writer(importer, session, batch_id, source.lines, exported_at)
            with writer:
                if collect is not None:  # forked only for market sales
                    scan.drain(collect, cast(MarketSalesWriter, writer), advance)
                elif not isinstance(writer, MarketSalesWriter) or encode_part is None:
                    scan.run(importer.parse(rows), writer.write, advance)
                else:
                    items = encode_part(rows, 0, 1, writer.encoder.add, market_fits, MARK_ROWS)
                    scan.run_encoded(items, writer.encoder, writer.write_rows, advance)
        failed = scan.error_count > 0 and not skip_bad_rows
        counts = Counts() if failed else writer.finish()
    if failed or dry_run:
        session.rollback()
        batch: int | None = None
    else:
        finish_batch(
            session, batch_id, rows=scan.records + scan.rejected, rejected=scan.rejected, counts=counts
        )
        batch = batch_id
    return ImportResult(
        file=display,
        format=importer.name,
        target=importer.target,
        rows=scan.records + scan.rejected,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejected=scan.rejected,
        errors=tuple(scan.errors),
        error_count=scan.error_count,
        batch_id=batch,
        dry_run=dry_run,
        written=batch is not None,
        encoding=source.encoding,
        matched=counts.matched,
        attached=counts.attached,
        previous_batch=previous,
        warnings=(*notes, *counts.warnings),
    )


def _columns(
    column_for: Callable[[str, list[str]], str | None] | None, header: list[str]
) -> Callable[[str], str | None]:
    """Record field -> the file's column it came from, as the importer tells (None when it cannot)."""
    if column_for is None:
        return lambda field: None
    return lambda field: column_for(field, header)


def refused(file: str, fmt: str, exc: Exception, *, dry_run: bool) -> ImportResult:
    """The result of a file refused as a whole before its rows were read: `exc` is its one error."""
    failure = exc if isinstance(exc, SoleflipError) else None
    errors = (RowError(1, None, "", failure.message if failure else str(exc)),)
    return ImportResult(
        file, fmt, "", 0, 0, 0, 0, 0, errors, error_count=1, batch_id=None, dry_run=dry_run, failure=failure
    )


def _fork(lines: int) -> bool:
    """Whether a file of `lines` lines is parsed in a forked process (big files, where forks are safe)."""
    return lines >= FORK_LINES and import_worker.available()


def _parts() -> int:
    """Children sharing a file: one per CPU but one, left to this process and the database server.

    Each child reads the whole file (typing only its part), so on 2 CPUs a second child costs more
    than it brings: measured on the contest file, 0.2-0.4 s more CPU for no shorter import.
    """
    return max(1, min(MAX_PARTS, import_worker.cores() - 1))


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Python's cycle collector runs rarely while a file is imported, as before afterwards.

    At its default (every 700 net allocations) it ran about 140 times on a 100k-row file, each time
    walking the chunk's records, which are freed by reference counting anyway: 0.15 s of a 2 s import.
    Garbage cycles still trigger a collection every GC_THRESHOLD allocations, so memory stays bounded.
    """
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


class _Scan:
    """Error bookkeeping while a file is read: first errors kept, bad rows counted."""

    def __init__(self, skip_bad_rows: bool, header_line: int, column: Callable[[str], str | None]) -> None:
        self.skip_bad_rows = skip_bad_rows
        self.header_line = header_line
        self.column = column
        self.errors: list[RowError] = []
        self.error_count = self.rejected = self.records = 0
        self._last_line = -1

    @property
    def writing(self) -> bool:
        """False once a bad row means the file will be rolled back (nothing more to write)."""
        return self.skip_bad_rows or self.error_count == 0

    def bounds(self, record: Record) -> list[RowError]:
        """out_of_bounds of a record, each error naming the file's column where the importer can tell."""
        return [
            replace(e, column=self.column(e.column) or e.column) if e.column else e
            for e in out_of_bounds(record)
        ]

    def run(
        self,
        items: Iterable[Record | RowError],
        write: Callable[[list[Record]], None],
        advance: Callable[[int], None],
    ) -> None:
        """Feed records to `write` chunk by chunk; after a fatal bad row, only read and count."""
        chunk: list[Record] = []
        writing = True
        for item in items:
            errors = [item] if isinstance(item, RowError) else self.bounds(item)
            if errors:
                for error in errors:
                    self.add_error(error)
                writing = self.writing
                if not writing:  # the file will be rolled back: count what was read, write no more
                    self.records += len(chunk)
                    chunk = []
                continue
            chunk.append(item)  # type: ignore[arg-type]  # a Record: RowErrors were handled above
            if len(chunk) >= CHUNK:
                self.records += len(chunk)
                if writing:
                    write(chunk)
                chunk = []
                advance(item.line)
        self.records += len(chunk)
        if writing and chunk:
            write(chunk)

    def run_encoded(
        self,
        items: Iterable[Record | RowError | int],
        encoder: MarketRows,
        send: Callable[[MarketChunk], None],
        advance: Callable[[int], None],
    ) -> None:
        """`run` for an importer's `encode_part`, whose rows come already added to `encoder`.

        A line number from `items` marks MARK_ROWS rows added (a chunk is sent when CHUNK are);
        records are checked as in `run` and added here.
        """
        writing = True
        for item in items:
            if isinstance(item, int):
                if len(encoder) >= CHUNK:
                    self._send(encoder, send, writing)
                    advance(item)
                continue
            errors = [item] if isinstance(item, RowError) else self.bounds(item)
            if errors:
                for error in errors:
                    self.add_error(error)
                writing = self.writing
                continue
            encoder.add_record(cast(MarketSaleRecord, item))  # encode_part's records are market sales
            if len(encoder) >= CHUNK:
                self._send(encoder, send, writing)
                advance(item.line)
        self._send(encoder, send, writing)

    def _send(self, encoder: MarketRows, send: Callable[[MarketChunk], None], writing: bool) -> None:
        """Send the rows added to `encoder` as a chunk (only counted once the file will be rolled back)."""
        self.records += len(encoder)
        chunk = encoder.take()
        if writing and chunk.pairs:
            send(chunk)

    @contextmanager
    def forked(self, encode_part: EncodePart, rows: Rows, postgres: bool) -> Iterator[import_worker.Collect]:
        """`run_encoded` in processes forked now, whose chunks `drain` writes (see import_worker.started).

        Parsing, typing and validating take most of an import's time in Python: children do them
        while this process and the database server store rows. Several children share a file when
        there are CPUs to spare (see _parts); each numbers its products and sizes apart (pair i of
        child k is k + i * parts). Leaving the block stops the children.
        """
        parts = _parts()

        def work(part: int) -> import_worker.Work:
            def scan(send: Callable[[object], None]) -> tuple[list[RowError], int, int, int]:
                encoder = MarketRows(postgres, first=part, step=parts)
                items = encode_part(rows, part, parts, encoder.add, market_fits, MARK_ROWS)
                self.run_encoded(items, encoder, send, send)
                return self.errors, self.error_count, self.rejected, self.records

            return scan

        with import_worker.started([work(p) for p in range(parts)]) as collect:
            yield collect

    def drain(
        self, collect: import_worker.Collect, writer: MarketSalesWriter, advance: Callable[[int], None]
    ) -> None:
        """Write the children's chunks as they come; then merge their counts and errors."""
        read = 0  # the furthest line a child has read (each reads every line)

        def receive(part: int, message: object) -> None:
            nonlocal read
            if isinstance(message, int):
                if message > read:
                    read = message
                    advance(read)
            else:
                writer.write_rows(message)  # type: ignore[arg-type]  # the children send only these

        errors: list[RowError] = []
        for found, count, rejected, records in collect(receive):
            errors.extend(found)
            self.error_count += count
            self.rejected += rejected
            self.records += records
        self.errors = sorted(errors, key=lambda e: e.line)[:MAX_ERRORS]  # the first ones, as in one process

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)
        if error.line != self._last_line and error.line > self.header_line:
            self.rejected += 1
        self._last_line = error.line


def _writer(
    importer: Importer, session: Session, batch_id: int, lines: int, exported_at: datetime | None
) -> Writer:
    if importer.target == "purchases":
        return PurchasesWriter(session, batch_id)
    if importer.target == "payments":
        return PaymentsWriter(session, batch_id)
    if importer.target == "market_sales":
        source = getattr(importer, "source", importer.name)
        return MarketSalesWriter(session, batch_id, source=source, expected_rows=lines)
    if isinstance(importer, GenericImporter) and importer.named_platform:
        adopt_platform(session, importer.platform, importer.name)
    return SalesWriter(session, batch_id, exported_at)
