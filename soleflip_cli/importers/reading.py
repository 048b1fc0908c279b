"""Reading CSV exports as they come: BOM, cp1252 fallback, `,` or `;`, preamble lines, stdin."""

from __future__ import annotations

import codecs
import csv
import hashlib
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from soleflip_cli.errors import FileReadError
from soleflip_cli.importers.base import RowError, Rows
from soleflip_cli.terminate import terminable

CHUNK = 1 << 20
# Preamble lines (eBay, payments reports) come before the header; a header later than this is not one.
HEADER_SEARCH_LINES = 30
# csv's default field limit: a bigger field means a broken file (an unclosed quote would otherwise
# read the rest of the file into one field). Set while reading: the limit is process-global.
FIELD_LIMIT = 131_072


class UnreadableFileError(ValueError):
    """The file is not a CSV text file at all (empty, binary); the message says why."""


@dataclass(frozen=True)
class Source:
    """A file ready to read twice: where it is, what to call it, its hash, encoding and size."""

    path: Path
    name: str
    sha256: str
    encoding: str
    size: int
    lines: int


def prepare(path: Path, name: str) -> Source:
    """Hash the file and choose its encoding (UTF-8 with or without BOM, else cp1252).

    Raises UnreadableFileError when it is no CSV text, FileReadError when the system cannot read it.
    """
    try:
        return _prepare(path, name)
    except OSError as exc:
        raise FileReadError(f"cannot read the file: {_os_reason(exc)}") from exc


def _os_reason(exc: OSError) -> str:
    """What the operating system said, as a lower-case phrase ("permission denied")."""
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def _prepare(path: Path, name: str) -> Source:
    sha = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    size = lines = 0
    printable = False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            check_text(chunk, size)
            sha.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
            printable = printable or bool(chunk.strip(b" \t\r\n,;\xef\xbb\xbf"))
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if not printable:
        raise UnreadableFileError("the file is empty" if size == 0 else "the file has no data, only blanks")
    encoding = "utf-8-sig" if utf8 else "cp1252"
    if not utf8:
        _check_cp1252(path)
    return Source(path, name, sha.hexdigest(), encoding, size, lines + 1)


UTF16 = 'UTF-16 text (Excel\'s "Unicode Text"), not UTF-8 or Windows-1252: save it as "CSV UTF-8"'


def check_text(chunk: bytes, offset: int) -> None:
    """Refuse binary data: a NUL byte never occurs in a CSV export (`offset`: where `chunk` starts)."""
    if offset == 0 and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnreadableFileError(UTF16)
    if (nul := chunk.find(b"\x00")) >= 0:
        raise UnreadableFileError(f"binary data (a NUL byte at byte {offset + nul}), not a CSV text file")


def _check_cp1252(path: Path) -> None:
    with path.open("r", encoding="cp1252", newline="") as handle:
        try:
            while handle.read(CHUNK):
                pass
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(
                "neither UTF-8 nor Windows-1252 text (binary data?); save the export as UTF-8 CSV"
            ) from exc
    _check_one_encoding(path)


def _check_one_encoding(path: Path) -> None:
    """Refuse UTF-8 lines beside others (a row added in another editor): read as Windows-1252, they garble."""
    utf8 = other = 0  # the first line of each kind (lines of ASCII alone are both)
    marked = False  # line 1 is UTF-8 by its byte-order mark alone
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                other = other or number
            else:
                utf8 = utf8 or number
                marked = marked or (number == 1 and line.removeprefix(codecs.BOM_UTF8).isascii())
            if utf8 and other:
                how = "starts with a UTF-8 byte-order mark" if marked else "is UTF-8 text"
                raise UnreadableFileError(
                    f"mixed encodings: line {utf8} {how} and line {other} is not (Windows-1252?); "
                    "save the file as UTF-8 CSV"
                )


@contextmanager
def spooled(stream: IO[bytes] | Path, directory: Path | None = None) -> Iterator[Path]:
    """A stream (stdin, or a pipe or device by path) copied to a temporary file, to read it twice.

    Copying stops at the first NUL byte (UnreadableFileError: binary data, maybe endless, as from
    /dev/zero); the file is removed however the block ends: an error, Ctrl-C, or SIGTERM (see
    terminate.terminable), also while copying.
    """
    with terminable():
        handle = tempfile.NamedTemporaryFile(
            prefix="soleflip-stdin-", suffix=".csv", dir=directory, delete=False
        )
        path = Path(handle.name)
        try:
            with handle:
                _copy_text(stream, handle)
            yield path
        finally:
            path.unlink(missing_ok=True)


def _copy_text(stream: IO[bytes] | Path, target: IO[bytes]) -> None:
    """Copy `stream` (opened here when a path) to `target`, refusing binary data as prepare does."""
    if isinstance(stream, Path):
        try:
            opened = stream.open("rb")
        except OSError as exc:
            raise FileReadError(f"cannot read the file: {_os_reason(exc)}") from exc
        with opened:
            _copy_text(opened, target)
        return
    size = 0
    while chunk := stream.read(CHUNK):
        check_text(chunk, size)
        target.write(chunk)
        size += len(chunk)


def read_records(
    source: Source, delimiter: str, *, after: int = 0
) -> Iterator[tuple[int, list[str]] | RowError]:
    """Every CSV record starting after line `after`, with the physical line it starts on.

    Unreadable records (bad quoting, an oversized field) become RowErrors and reading goes on. A
    field over FIELD_LIMIT stops csv mid-record, where it cannot find the next record again (a quoted
    line break later in that record would read as a row of its own): the file is read again from
    that record on with no practical limit, and the record with the long field is the error.
    """
    start = yield from _read(source, delimiter, after, FIELD_LIMIT)
    if start is not None:
        yield from _reread(source, delimiter, start)


def _read(
    source: Source, delimiter: str, after: int, limit: int
) -> Generator[tuple[int, list[str]] | RowError, None, int | None]:
    """read_records with this field limit; returns the line of a record with a longer field (None: read)."""
    previous = csv.field_size_limit(limit)
    try:
        with source.path.open("r", encoding=source.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            end = 0
            while True:
                try:
                    for cells in reader:  # the hot loop: 100k-row files pass here
                        start, end = end + 1, reader.line_num
                        if start > after:
                            yield start, cells
                    return None
                except csv.Error as exc:
                    start, end = end + 1, reader.line_num
                    if "field larger than field limit" in str(exc):
                        return start
                    if start > after:
                        yield RowError(start, None, "", _csv_reason(exc))
    finally:
        csv.field_size_limit(previous)


def _reread(source: Source, delimiter: str, first: int) -> Iterator[tuple[int, list[str]] | RowError]:
    """The records from line `first` on, read with a limit above the file's size; long fields are errors."""
    for item in _read(source, delimiter, first - 1, source.size + 1):
        if isinstance(item, RowError):
            yield item
            continue
        start, cells = item
        if any(len(cell) > FIELD_LIMIT for cell in cells):
            end = start + sum(cell.count("\n") for cell in cells)
            yield RowError(start, None, "", _long_field(start, end))
        else:
            yield item


def _long_field(start: int, end: int) -> str:
    """Why a record with a field over FIELD_LIMIT is refused (lines `start` to `end`)."""
    where = f": lines {start}-{end} read as one record" if end > start else ""
    return f"a field is longer than {FIELD_LIMIT:,} characters (not a CSV export? an unclosed quote?){where}"


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "the file ends inside a quoted field (truncated file?)"
    return f"malformed CSV ({text})"


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header is and which delimiter reads it."""

    delimiter: str
    line: int
    cells: list[str]


def find_header(
    source: Source,
    accepts: Callable[[Sequence[str]], bool],
    *,
    delimiters: Sequence[str] = (",", ";"),
    skip_lines: int = 0,
) -> HeaderMatch | None:
    """The first record in the first lines that `accepts` takes as a header, trying each delimiter."""
    for delimiter in delimiters:
        for index, item in enumerate(read_records(source, delimiter)):
            if index >= HEADER_SEARCH_LINES:
                break
            if isinstance(item, RowError):
                continue
            line, cells = item
            if line <= skip_lines:
                continue
            cells = clean_header(cells)
            if accepts(cells):
                return HeaderMatch(delimiter, line, cells)
    return None


def first_record(source: Source, delimiter: str = ",", skip_lines: int = 0) -> HeaderMatch | None:
    """The first non-blank record (what the file's header seems to be), for messages and fallbacks."""
    for index, item in enumerate(read_records(source, delimiter)):
        if index >= HEADER_SEARCH_LINES:
            break
        if isinstance(item, RowError):
            continue
        line, cells = item
        if line > skip_lines and any(c.strip() for c in cells):
            return HeaderMatch(delimiter, line, clean_header(cells))
    return None


def first_line(source: Source) -> tuple[int, str] | None:
    """The first non-blank line of the file as it is written (number, text), for messages."""
    with source.path.open(encoding=source.encoding, errors="replace", newline="") as handle:
        for number, line in enumerate(handle, 1):
            if number > HEADER_SEARCH_LINES:
                break
            if line.strip(' \t\r\n,;"\ufeff'):  # `"",""` is a blank record too
                return number, line.rstrip("\r\n").lstrip("\ufeff")
    return None


def clean_header(cells: Sequence[str]) -> list[str]:
    """Header cells without a BOM, surrounding blanks and trailing empty cells."""
    cleaned = [c.replace("\ufeff", "").strip() for c in cells]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return cleaned


def table(source: Source, header: HeaderMatch) -> Rows:
    """The data rows after `header`, with line numbers."""
    return Rows(header.cells, header.line, read_records(source, header.delimiter, after=header.line))
