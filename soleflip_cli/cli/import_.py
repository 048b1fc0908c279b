"""`soleflip import`: marketplace exports and purchases from CSV files, and the import history."""

from __future__ import annotations

import stat
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from soleflip_cli import render
from soleflip_cli.cli._common import (
    FormatOption,
    JsonOption,
    WaitOption,
    output_format,
    session,
    state,
    writer_lock,
)
from soleflip_cli.errors import (
    ExitCode,
    FileReadError,
    FindingsError,
    InterruptedRunError,
    UsageError,
    interruption,
)
from soleflip_cli.paths import shown
from soleflip_cli.render import Column, OutputFormat

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from soleflip_cli.services.import_ import ImportResult

app = typer.Typer(help="Import marketplace exports and purchases from CSV files.", no_args_is_help=True)

INPUT_FORMATS = (
    "auto",
    "stockx",
    "alias",
    "ebay-orders",
    "ebay-transactions",
    "contest",
    "purchases",
    "generic",
)
RESULT_COLUMNS = [
    Column("file"),
    Column("format"),
    Column("rows", numeric=True),
    Column("inserted", numeric=True),
    Column("updated", numeric=True),
    Column("unchanged", numeric=True),
    Column("rejected", numeric=True),
    Column("batch_id", "batch", numeric=True),
]
ERROR_COLUMNS = [Column("line", numeric=True), Column("column"), Column("value"), Column("reason")]
HISTORY_COLUMNS = [
    Column("batch_id", "batch", numeric=True),
    Column("started_at", "started"),
    Column("file"),
    Column("format"),
    Column("rows", numeric=True),
    Column("inserted", numeric=True),
    Column("updated", numeric=True),
    Column("unchanged", numeric=True),
    Column("rejected", numeric=True),
]
_OUTPUTS = {f.value for f in OutputFormat}
# `--format` names the input format here (as documented), so the output format moves to --output.
OutputOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--output",
        "-o",
        envvar="SOLEFLIP_FORMAT",
        help="Output format: table, json, ndjson or csv.",
        case_sensitive=False,
        show_default=False,
    ),
]


@app.command("csv")
def import_csv(
    ctx: typer.Context,
    files: Annotated[
        list[str],
        typer.Argument(help="CSV files to import; - reads stdin.", show_default=False, metavar="FILE"),
    ],
    input_format: Annotated[
        str, typer.Option("--format", help=f"Input format: {', '.join(INPUT_FORMATS)}.")
    ] = "auto",
    mapping: Annotated[
        str | None, typer.Option("--mapping", help="Column mapping [import.mappings.NAME] for generic files.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and count; write nothing (not even a new database).")
    ] = False,
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="Import the good rows and report the bad (exit 3).")
    ] = False,
    wait: WaitOption = False,
    fmt: OutputOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Shorthand for --output json.")] = False,
) -> None:
    """Import sales (StockX, Alias, eBay), market sales (contest) or purchases from CSV files.

    The format is detected from the header unless --format says it. Each file is one batch,
    all or nothing: a bad row rejects the file (exit 3) unless --skip-bad-rows. A file that
    cannot be read (exit 1) or whose format is unknown (exit 2) is reported and the others are
    still imported; the exit code is then the most severe (1, then 2, then 3). - reads stdin,
    and a pipe such as <(grep ... file) is read like it. Re-importing updates changed rows and
    leaves identical ones alone.

    A sale consumes a pair in stock of the same SKU and size bought on or before its day, oldest
    first; without one it stays visible as "no cost basis" until a pair of its size is bought or
    given back (its sale corrected, cancelled or refunded). An order line of several pairs is
    stored as one sale per pair (ID, "ID (pair 2)", ...), its money shared to the cent; a lower
    quantity in a later export cancels the pairs it no longer covers. Alias exports carry
    no fees: their fee lines are estimated from the fee schedule ([fees.alias] in the config).

    --json prints for each file {file, format, rows, inserted, updated, unchanged, rejected, errors
    (the first 20: line, column, message), error_count (all of them), batch_id}; an array for several.
    rows and rejected count the file's data rows; inserted, updated and unchanged count sales (one
    per pair: a line of 2 pairs is 2), purchase rows (each with its quantity of pairs), payment
    lines or market sales.

    Example: soleflip import csv stockx_historical_seller_sales_report.csv
    """
    from soleflip_cli.db import unused
    from soleflip_cli.importers import ImportOptions, check_choice

    if input_format not in INPUT_FORMATS:
        output = " (the output format is -o/--output here)" if input_format in _OUTPUTS else ""
        raise UsageError(
            f"unknown --format {input_format!r}{output}; choose one of {', '.join(INPUT_FORMATS)}"
        )
    inputs = _inputs(files)
    app_state = state(ctx)
    settings = app_state.loaded.settings
    options = ImportOptions(
        base_currency=settings.base_currency, mappings=settings.import_.mappings, fees=settings.fees
    )
    check_choice(input_format, mapping, options)
    kwargs: dict[str, Any] = {
        "fmt": input_format,
        "mapping": mapping,
        "options": options,
        "dry_run": dry_run,
        "skip_bad_rows": skip_bad_rows,
    }
    results: list[ImportResult] = []
    current, pending = "", None  # the file being imported; its result until it is committed
    # A dry run on a database without a schema yet runs on a throwaway one: it leaves nothing behind.
    fresh = dry_run and unused(app_state.database_url())
    try:
        with app_state.scratch() if fresh else nullcontext(), writer_lock(app_state.engine(), "import", wait):
            for item in inputs:
                current = item.label
                with render.progress(f"Importing {item.label}", None) as bar, session(ctx) as db:
                    kwargs["progress"] = _advance(bar)
                    pending = _import_one(db, item, kwargs)
                results.append(pending)
                current, pending = "", None
                _tell(results[-1])
        _render(results, output_format(fmt, as_json), files=len(inputs))
    except KeyboardInterrupt as stop:
        done = _committed([*results, pending] if pending else results, pending, app_state.engine)
        if done:  # a script reading --json still learns what was kept
            _render(done, output_format(fmt, as_json), files=len(inputs))
        raise _interrupted(current, pending, done, stop) from None
    _finish(results, skip_bad_rows)


def _import_one(db: Session, item: _Input, kwargs: dict[str, Any]) -> ImportResult:
    """Import one input: a file, a stream named by path, or stdin (a closed stdin is refused as a file)."""
    from soleflip_cli.services import import_ as service

    if item.path is None:
        try:
            stdin = typer.get_binary_stream("stdin")
        except RuntimeError:  # sys.stdin is None: started with `<&-`
            closed = FileReadError("cannot read standard input: it is closed")
            return service.refused("<stdin>", kwargs["fmt"], closed, dry_run=kwargs["dry_run"])
        return service.import_stream(db, stdin, **kwargs)
    if item.once:
        return service.import_stream(db, item.path, **kwargs)
    return service.import_file(db, item.path, **kwargs)


@dataclass(frozen=True)
class _Input:
    """A file named on the command line: its path (None for stdin), and whether it can be read only once."""

    path: Path | None
    once: bool

    @property
    def label(self) -> str:
        """The name shown for it."""
        return "<stdin>" if self.path is None else shown(self.path)


def _inputs(files: list[str]) -> list[_Input]:
    """The files to import; one that does not exist or is a directory refuses them all (exit 2)."""
    if files.count("-") > 1:
        raise UsageError("stdin (-) can be read only once")
    return [_Input(None, True) if name == "-" else _input(Path(name)) for name in files]


def _input(path: Path) -> _Input:
    """A path to import: a pipe or a device (`<(…)`, a FIFO) is read once, like stdin."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(f"{path}: no such file") from None
    except OSError:  # reading it will say why (permission denied), as that file's failure
        return _Input(path, False)
    if stat.S_ISDIR(mode):
        raise UsageError(f"{path}: is a directory")
    return _Input(path, stat.S_ISFIFO(mode) or stat.S_ISCHR(mode))


def _interrupted(
    current: str, pending: ImportResult | None, done: list[ImportResult], stop: KeyboardInterrupt
) -> InterruptedRunError:
    """Ctrl-C or SIGTERM during an import: the files committed (see _committed) and the one rolled back."""
    word, error = interruption(stop)
    if current and all(r is not pending for r in done):
        stopped = f"{word} while importing {current}"
        if not done:
            return error(f"{stopped}; nothing half-written was kept")
        return error(f"{stopped}, which was rolled back; imported (committed) before it: {_batches(done)}")
    if not done:
        return error(f"{word}; nothing was imported")
    return error(f"{word} after importing (committed): {_batches(done)}")


def _committed(
    results: list[ImportResult], unsure: ImportResult | None, engine: Callable[[], Engine]
) -> list[ImportResult]:
    """The results whose batch the database holds (if it cannot be asked: the written ones but `unsure`)."""
    written = [r for r in results if r.written and r.batch_id is not None]
    if not written:
        return []
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from soleflip_cli.models import ImportBatch

    try:
        with engine().connect() as conn:
            query = select(ImportBatch.id).where(ImportBatch.id.in_([r.batch_id for r in written]))
            stored = set(conn.scalars(query))
    except SQLAlchemyError:
        return [r for r in written if r is not unsure]
    return [r for r in written if r.batch_id in stored]


def _batches(results: list[ImportResult]) -> str:
    return ", ".join(f"{r.file} (batch {r.batch_id})" for r in results)


def _advance(bar: Any) -> Any:
    if bar is None:
        return None

    def advance(line: int, total: int) -> None:
        bar.update(bar.task_ids[0], completed=line, total=total)

    return advance


def _tell(result: ImportResult) -> None:
    from soleflip_cli import render

    if result.encoding == "cp1252":
        render.warn(f"{result.file} is not UTF-8; read it as Windows-1252 (cp1252)")
    if result.rows == 0 and not result.error_count:
        render.warn(f"{result.file} has a header but no data rows; nothing to import")
    if result.previous_batch is not None and not result.error_count:
        render.info(f"{result.file}: the same file was imported in batch {result.previous_batch}")
    for warning in result.warnings:
        render.warn(f"{result.file}: {warning}")
    if result.matched:
        matched = "would be matched" if result.dry_run else "matched"
        render.info(f"{result.file}: {result.matched} sales {matched} to pairs in stock (oldest first)")
    if result.attached:
        render.info(
            f"{result.file}: fees and payouts applied to {result.attached} sales from the payments report"
        )
    if result.dry_run and not result.error_count:
        render.info(f"{result.file}: dry run, nothing was written")


def _render(results: list[ImportResult], fmt: OutputFormat, *, files: int) -> None:
    """The results of `files` files given (all, or those committed before an interrupt): data on stdout."""
    from soleflip_cli import render

    if fmt is OutputFormat.json:
        data = [r.to_json() for r in results]
        render.emit_json(data[0] if files == 1 else data)  # an array for several, however many are done
        return
    if fmt is not OutputFormat.table:
        columns = [*RESULT_COLUMNS, Column("errors"), Column("error_count", numeric=True)]
        render.render_rows([r.to_json() for r in results], columns, fmt)
        return
    if not render.quiet():  # --quiet leaves the summary out; the errors below still print
        render.render_rows([r.to_json() for r in results], RESULT_COLUMNS, fmt, title="Import")
    for result in (r for r in results if r.errors):
        rows = [
            {"line": e.line, "column": e.column, "value": e.value, "reason": e.reason} for e in result.errors
        ]
        render.render_rows(rows, ERROR_COLUMNS, fmt, title=f"Errors in {Path(result.file).name}")
        if result.error_count > len(result.errors):
            render.info(
                f"{result.file}: showing the first {len(result.errors)} of {result.error_count} errors"
            )


# The exit code of several files is the most severe of theirs, in this order.
SEVERITY = (ExitCode.ERROR, ExitCode.USAGE, ExitCode.FINDINGS)


def _finish(results: list[ImportResult], skip_bad_rows: bool) -> None:
    """Warn of files whose bad rows were skipped as asked (exit 3); fail with the files refused."""
    bad = [r for r in results if r.error_count]
    if not bad:
        return
    for result in bad:
        if _skipped(result, skip_bad_rows):
            render.warn(_problem(result, skip_bad_rows))
    refused = [r for r in bad if not _skipped(r, skip_bad_rows)]
    if not refused:  # --skip-bad-rows as asked: a finding (exit 3)
        raise typer.Exit(int(ExitCode.FINDINGS))
    hints = [r.failure.hint for r in refused if r.failure is not None and r.failure.hint]
    if not skip_bad_rows and any(r.rejected for r in refused):
        hints.append("fix the rows listed above, or pass --skip-bad-rows to import the good ones")
    worst = min(refused, key=lambda r: SEVERITY.index(_exit_code(r)))
    kind = type(worst.failure) if worst.failure is not None else FindingsError
    message = "\n".join(_problem(r, skip_bad_rows) for r in refused)
    raise kind(message, hint="; ".join(dict.fromkeys(hints)) or None)


def _exit_code(result: ImportResult) -> ExitCode:
    """A file's own exit code: 1 unreadable, 2 format unknown, 3 bad rows or no CSV text."""
    return result.failure.exit_code if result.failure is not None else ExitCode.FINDINGS


def _skipped(result: ImportResult, skip_bad_rows: bool) -> bool:
    """Whether only bad rows were left out of the file, as --skip-bad-rows asks (or, dry, would)."""
    good_rows = result.failure is None and 0 < result.rejected < result.rows
    return skip_bad_rows and good_rows and (result.written or result.dry_run)


def _problem(result: ImportResult, skip_bad_rows: bool) -> str:
    if _skipped(result, skip_bad_rows):
        good, bad, name = result.rows - result.rejected, result.rejected, result.file
        if result.dry_run:
            return f"{name}: dry run: {good} rows would be imported, {bad} bad rows skipped"
        return f"{name}: {bad} bad rows skipped, the {good} good rows were imported"
    if result.rejected and result.rejected == result.rows:
        return f"{result.file}: all {result.rows} rows are bad; nothing was imported from it"
    if result.rejected:
        return f"{result.file}: {result.rejected} bad rows; nothing was imported from it"
    if result.error_count == 1:  # the file itself (unreadable, empty, binary, its format, a missing column)
        error = result.errors[0]
        where = f"column {error.column!r}: " if error.column else ""
        return f"{result.file}: {where}{error.message}; nothing was imported from it"
    return f"{result.file}: {result.error_count} problems; nothing was imported from it"


@app.command("history")
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many batches to show.")] = 20,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """List import batches, newest first: file, format, counts.

    Example: soleflip import history --json
    """
    from dataclasses import asdict

    from soleflip_cli import render
    from soleflip_cli.services.import_batches import list_batches

    with session(ctx) as db:
        batches = list_batches(db, limit=limit)
    rows = [asdict(b) for b in batches]
    render.render_rows(rows, HISTORY_COLUMNS, output_format(fmt, as_json), title="Imports")
