"""The portable backup format: manifest.json plus one UTF-8 CSV per table, as a zip or a directory."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Boolean, Column, Connection, Date, DateTime, Integer, Numeric, Table, TypeDecorator

from soleflip_cli import __version__
from soleflip_cli.errors import BackupError
from soleflip_cli.render import csv_safe
from soleflip_cli.services.transfer import Progress, TableCount, Values, insert_batches, stream_rows

FORMAT = "soleflip-portable"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ENCODING_NOTE = (
    "UTF-8 CSV (RFC 4180, CRLF) with a header row. An empty cell is NULL. In text columns a "
    "leading ' is an escape that restore removes: it is added before text starting with = + - @ "
    "tab or CR (spreadsheet formulas) unless the text is a negative number such as -12.50, before "
    "text starting with ', and alone for the empty string. Numbers are plain decimals, timestamps "
    "ISO 8601 in UTC (Z), dates ISO 8601, booleans true/false."
)
# What a damaged or foreign archive raises while it is read; each becomes a BackupError.
_DAMAGED = (OSError, ValueError, KeyError, TypeError, EOFError, csv.Error, zipfile.BadZipFile, zlib.error)
# Notes and sync cursors may exceed csv's 128 KiB field default; raised only while reading an archive.
_ARCHIVE_FIELD_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class TableEntry:
    """One table's file in the archive, with what restore checks it against."""

    name: str
    file: str
    rows: int
    bytes: int
    sha256: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    """What the archive holds and at which schema revision."""

    schema_revision: str
    source_dialect: str
    created_at: datetime
    tables: tuple[TableEntry, ...]
    soleflip_version: str = __version__

    def to_json(self) -> str:
        """The manifest document."""
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "soleflip_version": self.soleflip_version,
            "schema_revision": self.schema_revision,
            "source_dialect": self.source_dialect,
            "created_at": encode(self.created_at),
            "encoding": ENCODING_NOTE,
            "tables": [{**vars(t), "columns": list(t.columns)} for t in self.tables],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse and check a manifest document (ValueError/KeyError/TypeError when malformed)."""
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError("manifest.json is not a soleflip portable manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"portable format version {data.get('format_version')} is not supported")
        tables = tuple(
            TableEntry(
                name=str(t["name"]),
                file=str(t["file"]),
                rows=int(t["rows"]),
                bytes=int(t["bytes"]),
                sha256=str(t["sha256"]),
                columns=tuple(str(c) for c in t["columns"]),
            )
            for t in data["tables"]
        )
        return cls(
            schema_revision=str(data["schema_revision"]),
            source_dialect=str(data["source_dialect"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            tables=tables,
            soleflip_version=str(data["soleflip_version"]),
        )

    @property
    def counts(self) -> tuple[TableCount, ...]:
        """Rows per table as recorded."""
        return tuple(TableCount(t.name, t.rows) for t in self.tables)


def encode(value: Any) -> str:
    """One cell: exact decimals, UTC timestamps, escaped text (see ENCODING_NOTE)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value == "" or value.startswith("'") else csv_safe(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    raise BackupError(f"cannot store a {type(value).__name__} value in a portable backup")


def _text(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def _timestamp(cell: str) -> datetime:
    value = datetime.fromisoformat(cell)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _boolean(cell: str) -> bool:
    if cell not in ("true", "false"):
        raise ValueError(f"not a boolean: {cell!r}")
    return cell == "true"


def decoder(column: Column[Any]) -> Callable[[str], Any]:
    """How to read a non-empty cell back into the column's Python type."""
    kind = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, Boolean):
        return _boolean
    if isinstance(kind, Integer):
        return int
    if isinstance(kind, Numeric):
        return Decimal
    if isinstance(kind, DateTime):
        return _timestamp
    if isinstance(kind, Date):
        return date.fromisoformat
    return _text


class _DigestWriter:
    """A text sink that writes UTF-8 and keeps the sha256 and size of what it wrote."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.sha.update(data)
        self.size += len(data)
        self.out.write(data)
        return len(text)


def _write_table(conn: Connection, table: Table, out: IO[bytes], batch_size: int) -> TableEntry:
    sink = _DigestWriter(out)
    writer = csv.writer(sink)  # RFC 4180 CRLF: fields holding \r or \n get quoted
    columns = [c.name for c in table.columns]
    writer.writerow(columns)
    rows = 0
    for batch in stream_rows(conn, table, batch_size):
        writer.writerows([encode(value) for value in row] for row in batch)
        rows += len(batch)
    return TableEntry(table.name, f"{table.name}.csv", rows, sink.size, sink.sha.hexdigest(), tuple(columns))


def write_portable(
    conn: Connection,
    tables: list[Table],
    revision: str,
    dest: Path,
    *,
    as_zip: bool,
    batch_size: int,
    progress: Progress,
) -> Manifest:
    """Write every table and the manifest to `dest` (a new zip file or a new directory)."""
    entries = []
    with _Writer(dest, as_zip) as archive:
        for table in tables:
            with archive.open(f"{table.name}.csv") as out:
                entries.append(_write_table(conn, table, out, batch_size))
            progress(f"  {table.name}: {entries[-1].rows} rows")
        manifest = Manifest(revision, conn.dialect.name, datetime.now(UTC), tuple(entries))
        with archive.open(MANIFEST) as out:
            out.write(manifest.to_json().encode("utf-8"))
    return manifest


class _Writer:
    """Members written into a zip file (deflated, zip64) or files in a directory, each fsynced."""

    def __init__(self, dest: Path, as_zip: bool) -> None:
        self.dest = dest
        self.zip = zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, allowZip64=True) if as_zip else None
        if self.zip is None:
            dest.mkdir()

    def open(self, name: str) -> AbstractContextManager[IO[bytes]]:
        if self.zip is not None:
            return self.zip.open(name, "w", force_zip64=True)
        return (self.dest / name).open("wb")

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.zip is not None:
            self.zip.close()


class PortableArchive:
    """A portable backup opened for reading: manifest parsed, every file's checksum verified."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.is_file() else None
        self.manifest = Manifest.from_json(self._read(MANIFEST).decode("utf-8"))
        for entry in self.manifest.tables:
            self._verify(entry)

    def _open(self, name: str) -> IO[bytes]:
        if self.zip is not None:
            return self.zip.open(name)
        return (self.path / name).open("rb")

    def _read(self, name: str) -> bytes:
        with self._open(name) as member:
            return member.read()

    def _verify(self, entry: TableEntry) -> None:
        sha, size = hashlib.sha256(), 0
        with self._open(entry.file) as member:
            while chunk := member.read(1 << 20):
                sha.update(chunk)
                size += len(chunk)
        if sha.hexdigest() != entry.sha256 or size != entry.bytes:
            raise ValueError(f"{entry.file} does not match its checksum in the manifest")

    def load(self, conn: Connection, tables: list[Table], *, batch_size: int, progress: Progress) -> None:
        """Insert every table's rows into `conn` (tables at the archive's revision), FK order."""
        entries = {e.name: e for e in self.manifest.tables}
        try:
            missing = {t.name for t in tables} ^ set(entries)
            if missing:
                raise ValueError(f"the tables do not match the schema revision: {sorted(missing)}")
            for table in tables:
                entry = entries[table.name]
                loaded = insert_batches(conn, table, self._rows(entry, table, batch_size))
                if loaded != entry.rows:
                    raise ValueError(f"{entry.file} holds {loaded} rows, the manifest says {entry.rows}")
                progress(f"  {table.name}: {loaded} rows")
        except _DAMAGED as exc:
            raise _damaged(self.path, exc) from None

    def _rows(self, entry: TableEntry, table: Table, batch_size: int) -> Iterator[list[Values]]:
        previous = csv.field_size_limit(_ARCHIVE_FIELD_LIMIT)
        try:
            yield from self._read_rows(entry, table, batch_size)
        finally:
            csv.field_size_limit(previous)

    def _read_rows(self, entry: TableEntry, table: Table, batch_size: int) -> Iterator[list[Values]]:
        with self._open(entry.file) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            header = next(reader, [])
            if sorted(header) != sorted(c.name for c in table.columns):
                raise ValueError(f"{entry.file}: the columns do not match table {table.name}")
            # Cells are read back into the table's own column order, whatever the file's order.
            plan = [(header.index(c.name), decoder(c)) for c in table.columns]
            batch: list[Values] = []
            for cells in reader:
                if len(cells) != len(header):
                    raise ValueError(f"{entry.file} line {reader.line_num}: {len(cells)} cells")
                try:
                    batch.append(tuple(None if cells[i] == "" else decode(cells[i]) for i, decode in plan))
                except (ValueError, ArithmeticError) as exc:
                    raise ValueError(f"{entry.file} line {reader.line_num}: {exc}") from None
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
            yield batch

    def close(self) -> None:
        """Release the zip file."""
        if self.zip is not None:
            self.zip.close()


@contextmanager
def open_portable(path: Path) -> Iterator[PortableArchive]:
    """Open and verify a portable archive (zip or directory); damage raises BackupError."""
    try:
        archive = PortableArchive(path)
    except _DAMAGED as exc:
        raise _damaged(path, exc) from None
    try:
        yield archive
    finally:
        archive.close()


def _damaged(path: Path, exc: BaseException) -> BackupError:
    return BackupError(
        f"{path} is damaged or not a soleflip portable backup: {exc}",
        hint="nothing was restored; use another backup",
    )
