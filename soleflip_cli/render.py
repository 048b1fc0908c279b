"""Output: tables for people, JSON/NDJSON/CSV for scripts, messages on stderr (the only Rich user)."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from functools import cache
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


class OutputFormat(StrEnum):
    """How a command prints its data on stdout."""

    table = "table"
    json = "json"
    ndjson = "ndjson"
    csv = "csv"


@dataclasses.dataclass(frozen=True)
class Column:
    """A table/CSV column: the record key, its header and alignment."""

    key: str
    header: str | None = None
    numeric: bool = False

    @property
    def title(self) -> str:
        """Header text for tables."""
        return self.header or self.key.replace("_", " ")


_QUIET = {"on": False}


def set_quiet(quiet: bool) -> None:
    """Silence informational messages (errors still print)."""
    _QUIET["on"] = quiet


def quiet() -> bool:
    """True under --quiet: only errors and the data asked for print."""
    return _QUIET["on"]


def plain_output(stream: IO[str] | None = None) -> bool:
    """True when output must be plain: NO_COLOR is set or the stream is not a terminal."""
    target = stream or sys.stdout
    return "NO_COLOR" in os.environ or not (hasattr(target, "isatty") and target.isatty())


@cache
def _stderr_console() -> Console:
    from rich.console import Console

    class Messages(Console):
        """Messages stop when their reader does (`2>&1 | head`), not the run (Rich would exit 1)."""

        def on_broken_pipe(self) -> None:
            self.quiet = True
            _reader_gone(sys.stderr)

    return Messages(stderr=True, highlight=False, no_color="NO_COLOR" in os.environ or None)


def _reader_gone(stream: IO[str]) -> None:
    """The reader of stdout or stderr went away (`| head`): what is left goes nowhere, the run goes on."""
    devnull = os.open(os.devnull, os.O_WRONLY)  # the exit's flush of the stream goes nowhere too
    os.dup2(devnull, stream.fileno())
    os.close(devnull)


@contextmanager
def _for_reader(out: IO[str]) -> Iterator[None]:
    """Write data for a reader that may stop early: the command then finishes with its own exit code."""
    try:
        yield
    except BrokenPipeError:
        if out is not sys.stdout:
            raise
        _reader_gone(sys.stdout)


@cache
def _data_console() -> type[Console]:
    from rich.console import Console

    class Data(Console):
        """Rich's console for data on stdout: a reader that stops early does not end the run (exit 1)."""

        def on_broken_pipe(self) -> None:
            self.quiet = True
            if self.file is sys.stdout:
                _reader_gone(sys.stdout)
            else:
                raise BrokenPipeError

    return Data


def info(message: str) -> None:
    """A progress or status message on stderr (silenced by --quiet)."""
    if not _QUIET["on"]:
        _say(message)


def warn(message: str) -> None:
    """A warning on stderr (silenced by --quiet)."""
    if not _QUIET["on"]:
        _say(f"Warning: {message}", "yellow")


def error(message: str) -> None:
    """An error message on stderr (never silenced)."""
    _say(f"Error: {message}", "red")


def _say(message: str, style: str | None = None) -> None:
    """One line on stderr, not wrapped: logs keep it whole."""
    _stderr_console().print(message, markup=False, style=style, soft_wrap=True)


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal and not --quiet; else None."""
    if _QUIET["on"] or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(console=_stderr_console(), transient=True) as bar:
        bar.add_task(description, total=total)
        yield bar


_PLAIN = frozenset({str, int, float, bool})


def jsonable(value: Any) -> Any:
    """Convert a value for JSON: Decimal as string, dates ISO-8601 (UTC with Z), enums by value."""
    if value is None or type(value) in _PLAIN:  # fast path: most cells of a large listing
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump())
    if isinstance(value, Mapping):
        return {str(k): v if v is None or type(v) in _PLAIN else jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


def _cell(value: Any) -> str:
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# A negative number as soleflip prints one (`-12.50`, `-1E+2`): a spreadsheet reads it as a number.
_NEGATIVE_NUMBER = re.compile(r"-\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in CSV output: a leading =, +, -, @, tab or CR gets a `'`.

    Negative numbers stay numbers; any other such text (`+1`, `-1+2`, `-Infinity`) is shown as text.
    """
    if text and text[0] in "=+-@\t\r" and not _NEGATIVE_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _UnixRecords:
    """A csv.writer target: the writer's own CRLF terminator makes it quote every field holding CR or
    LF (with a bare LF terminator a lone CR would go out unquoted), and records here end in LF."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def write(self, record: str) -> int:
        return self.out.write(record[:-2] + "\n")


def emit_json(data: Any, stream: IO[str] | None = None) -> None:
    """Write one JSON document to stdout."""
    out = stream or sys.stdout
    with _for_reader(out):
        json.dump(jsonable(data), out, ensure_ascii=False, indent=2)
        out.write("\n")


def _encode_other(value: Any) -> Any:
    convert = _CONVERTERS.get(type(value))
    if convert is not None:
        return convert(value)
    converted = jsonable(value)
    if converted is value:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return converted


# The non-plain types of nearly every cell, converted as `jsonable` would without its chain of checks.
_CONVERTERS: dict[type, Callable[[Any], Any]] = {Decimal: str, date: date.isoformat, datetime: jsonable}
# Plain values go straight to the C encoder; only the others (Decimal, dates, ...) reach _encode_other.
_RECORD_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_encode_other)
# JSONEncoder.encode builds a fresh C encoder for every call, which costs more than encoding one
# flat record; this is the same C encoder with the same settings (no circular-reference check:
# records are fresh mappings of cells), built once. Without the C accelerator, encode() is used.
_C_ENCODER = (
    c_make_encoder(None, _encode_other, encode_basestring, None, ": ", ", ", False, False, True)
    if c_make_encoder is not None
    else None
)


def _record_json(row: Mapping[str, Any]) -> str:
    """One record as compact JSON, exactly as `json.dumps(jsonable(row))` would write it, but faster."""
    record = row if type(row) is dict else jsonable(row)
    if _C_ENCODER is None:
        return _RECORD_ENCODER.encode(record)
    return "".join(_C_ENCODER(record, 0))


def render_rows(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    footer: Mapping[str, Any] | None = None,
    stream: IO[str] | None = None,
) -> None:
    """Print records: JSON array, NDJSON, CSV (streamed) or a table with an optional totals row.

    Rows from a generator are closed here even when printing stops early (a reader such as `head`
    closed the pipe): its database cursor is released while the caller's connection is still open.
    """
    out = stream or sys.stdout
    try:
        with _for_reader(out):
            _rows(rows, columns, fmt, out, title, footer)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def _rows(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: OutputFormat,
    out: IO[str],
    title: str | None,
    footer: Mapping[str, Any] | None,
) -> None:
    """render_rows's writing."""
    if fmt is OutputFormat.json:
        out.write("[")
        for index, row in enumerate(rows):
            out.write(",\n" if index else "\n")
            out.write(_record_json(row))
        out.write("\n]\n")
    elif fmt is OutputFormat.ndjson:
        for row in rows:
            out.write(_record_json(row) + "\n")
    elif fmt is OutputFormat.csv:
        writer = csv.writer(_UnixRecords(out))
        writer.writerow([c.key for c in columns])
        for row in rows:
            writer.writerow([csv_safe(_cell(row.get(c.key))) for c in columns])
    else:
        _table(rows, columns, title=title, footer=footer, stream=out)


def render_summary(data: Mapping[str, Any], fmt: OutputFormat, *, title: str) -> None:
    """What an action did (sync, backup): a table that --quiet leaves out (cron stays silent), else data."""
    if _QUIET["on"] and fmt is OutputFormat.table:
        return
    render_object(data, fmt, title=title)


def render_object(
    data: Mapping[str, Any],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    stream: IO[str] | None = None,
) -> None:
    """Print one record: JSON object, one NDJSON line, a two-row CSV or a key/value table."""
    out = stream or sys.stdout
    if fmt is OutputFormat.json:
        emit_json(data, out)
    elif fmt is OutputFormat.ndjson:
        with _for_reader(out):
            out.write(json.dumps(jsonable(data), ensure_ascii=False) + "\n")
    elif fmt is OutputFormat.csv:
        render_rows([data], [Column(k) for k in data], fmt, stream=out)
    else:
        pairs = [{"field": k.replace("_", " "), "value": _cell(v)} for k, v in data.items()]
        _table(pairs, [Column("field"), Column("value")], title=title, stream=out, header=False)


def _table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None,
    stream: IO[str],
    footer: Mapping[str, Any] | None = None,
    header: bool = True,
) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    plain = plain_output(stream)
    table = Table(
        title=title,
        box=None if plain else box.SIMPLE_HEAD,
        show_header=header,
        show_footer=footer is not None,
        header_style="" if plain else "bold",
        pad_edge=False,
    )
    for column in columns:
        table.add_column(
            column.title,
            justify="right" if column.numeric else "left",
            footer=escape(_cell(footer.get(column.key))) if footer else "",
            overflow="fold",
        )
    for row in rows:  # cells are text, never Rich markup: `[database] url`, `Dunk Low [Panda]` as written
        table.add_row(*(escape(_cell(row.get(c.key))) for c in columns))
    if _QUIET["on"] and not table.row_count:
        return  # an empty table is no data: --quiet (cron) prints nothing rather than a bare header
    console = _data_console()(
        file=stream,
        no_color=plain,
        highlight=False,
        width=None if not plain else 200,
        color_system=None if plain else "auto",
    )
    console.print(table)


def bar_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[Decimal]],
    *,
    unit: str,
    stream: IO[str] | None = None,
    width: int = 30,
) -> None:
    """A terminal bar chart: one line per label, a bar per series scaled to the largest value.

    Negative values (a loss) are drawn in red from the same zero.
    """
    from rich.bar import Bar
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = stream or sys.stdout
    peak = float(max((abs(v) for values in series.values() for v in values), default=0)) or 1.0
    colours = ["cyan", "green", "magenta", "yellow"]
    table = Table(box=None, pad_edge=False, title=f"Chart ({unit})")
    table.add_column("")
    for name in series:
        table.add_column(name, justify="right")
        table.add_column("", width=width, no_wrap=True)
    for index, label in enumerate(labels):
        cells: list[Any] = [escape(label)]
        for number, values in enumerate(series.values()):
            value = values[index]
            colour = "red" if value < 0 else colours[number % len(colours)]
            cells += [str(value), Bar(size=peak, begin=0, end=abs(float(value)), width=width, color=colour)]
        table.add_row(*cells)
    Console(
        file=out, highlight=False, no_color=plain_output(out), width=200 if plain_output(out) else None
    ).print(table)
