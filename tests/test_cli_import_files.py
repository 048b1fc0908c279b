"""`soleflip import csv` with files refused as a whole, pipes, stdin spooling and Ctrl-C between files."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from soleflip_cli import db
from soleflip_cli.errors import ExitCode
from soleflip_cli.importers import reading
from soleflip_cli.services.import_ import import_file
from tests.conftest import Cli
from tests.importers.conftest import FIXTURES
from tests.reliability.procs import run, soleflip

STOCKX = str(FIXTURES / "stockx-2025.csv")
HEADER = "sku,size,cost,currency,purchase date\n"
ROWS = "DD1391-100,10,110,USD,2024-03-01\nM2002RFA,10,140,USD,2024-03-03\n"


def _flat(text: str) -> str:
    """Messages on one line, without the first-use schema notice."""
    return " ".join(text.replace("Creating the database schema", "").split())


def _batches(cli: Cli) -> list[tuple[str, int]]:
    """(file, inserted) of every import batch, oldest first."""
    return [
        (b["file"], b["inserted"]) for b in reversed(json.loads(cli("import", "history", "--json").stdout))
    ]


@pytest.fixture
def purchases(tmp_path: Path) -> str:
    """A small purchases export (2 rows)."""
    path = tmp_path / "purchases.csv"
    path.write_text(HEADER + ROWS)
    return str(path)


@pytest.fixture
def tabbed(tmp_path: Path) -> str:
    """The purchases export separated by tabs: its format cannot be told."""
    path = tmp_path / "tabbed.csv"
    path.write_text((HEADER + ROWS).replace(",", "\t"))
    return str(path)


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory temporary files go to in this test (to see what is left there)."""
    directory = tmp_path / "spool"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def test_a_file_of_unknown_format_is_its_own_failure(cli: Cli, purchases: str, tabbed: str) -> None:
    result = cli("import", "csv", purchases, tabbed, STOCKX, "--json")
    assert result.exit_code == ExitCode.USAGE
    first, odd, last = json.loads(result.stdout)
    assert (first["inserted"], first["batch_id"], last["inserted"], last["batch_id"]) == (2, 1, 5, 2)
    assert odd == {
        "file": tabbed,
        "format": "auto",
        "rows": 0,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "errors": [{"line": 1, "column": None, "message": odd["errors"][0]["message"]}],
        "error_count": 1,
        "batch_id": None,
    }
    assert odd["errors"][0]["message"].startswith(
        "cannot tell the export format from the header ('sku\\tsize\\tcost\\tcurrency\\tpurchase date')"
    )
    assert f"Error: {tabbed}: cannot tell the export format from the header ('sku\\tsize" in _flat(
        result.stderr
    )
    assert "known formats: stockx, alias" in result.stderr and "nothing was imported from it" in result.stderr
    assert "Tip: pass --format NAME" in _flat(result.stderr)
    assert _batches(cli) == [(purchases, 2), (STOCKX, 5)]


def test_unknown_format_alone_still_exits_2_with_the_header(cli: Cli, tabbed: str) -> None:
    result = cli("import", "csv", tabbed)
    assert result.exit_code == ExitCode.USAGE
    assert "tabbed.csv" in result.stdout and "cannot tell the export format" in result.stdout
    assert "known formats: stockx, alias, ebay-orders" in _flat(result.stderr)


def test_the_most_severe_exit_code_wins(cli: Cli, tmp_path: Path, tabbed: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "DD1391-100,10,abc,USD,2024-03-01\n")
    result = cli("import", "csv", str(bad), tabbed, "--json")
    assert result.exit_code == ExitCode.USAGE  # an unknown format (2) before bad rows (3)
    assert [d["rejected"] for d in json.loads(result.stdout)] == [1, 0]
    assert "Tip: pass --format NAME" in _flat(result.stderr) and "--skip-bad-rows" in _flat(result.stderr)
    if Path("/proc/self/mem").is_file():  # a file whose reading fails (1) before both
        worse = cli("import", "csv", str(bad), tabbed, "/proc/self/mem", "--json")
        assert worse.exit_code == ExitCode.ERROR and len(json.loads(worse.stdout)) == 3


def test_a_wrong_mapping_refuses_the_command_before_any_file(
    cli: Cli, tmp_path: Path, purchases: str
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = cli("import", "csv", str(empty), purchases, "--mapping", "shop")
    assert result.exit_code == ExitCode.USAGE
    assert _flat(result.stderr).startswith("Error: no mapping named 'shop' (none configured)")
    assert result.stdout == "" and _batches(cli) == []


@pytest.mark.skipif(not Path("/proc/self/mem").is_file(), reason="needs Linux /proc: a file reading fails on")
def test_a_read_error_names_the_file_and_the_reason(cli: Cli, purchases: str) -> None:
    result = cli("import", "csv", "/proc/self/mem", purchases, "--json")  # EIO, even for root
    assert (result.exit_code, result.exception) == (ExitCode.ERROR, None)
    failed, good = json.loads(result.stdout)
    message = "cannot read the file: input/output error"
    assert (failed["errors"], failed["batch_id"]) == ([{"line": 1, "column": None, "message": message}], None)
    assert good["batch_id"] == 1
    assert _flat(result.stderr) == f"Error: /proc/self/mem: {message}; nothing was imported from it"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_permission_denied_is_that_file_s_failure(cli: Cli, tmp_path: Path, purchases: str) -> None:
    locked = tmp_path / "locked.csv"
    locked.write_text(HEADER + ROWS)
    locked.chmod(0)
    result = cli("import", "csv", purchases, str(locked), "--json")
    assert (result.exit_code, result.exception) == (ExitCode.ERROR, None)
    assert [d["batch_id"] for d in json.loads(result.stdout)] == [1, None]
    assert _flat(result.stderr) == (
        f"Error: {locked}: cannot read the file: permission denied; nothing was imported from it"
    )


def test_the_service_returns_an_os_error_as_the_file_s_failure(session: Session, tmp_path: Path) -> None:
    result = import_file(session, tmp_path)  # a directory: opening it for reading fails
    assert [e.message for e in result.errors] == ["cannot read the file: is a directory"]
    assert result.failure is not None and result.failure.exit_code == ExitCode.ERROR
    assert (result.batch_id, result.written) == (None, False)


def test_a_directory_is_refused_before_anything_is_written(cli: Cli, tmp_path: Path, purchases: str) -> None:
    result = cli("import", "csv", purchases, str(tmp_path))
    assert (result.exit_code, _flat(result.stderr)) == (ExitCode.USAGE, f"Error: {tmp_path}: is a directory")
    assert _batches(cli) == []


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd (process substitution)")
def test_a_pipe_by_path_is_read_like_stdin(cli: Cli, spool_dir: Path) -> None:
    read, write = os.pipe()  # what `soleflip import csv <(grep ... file)` passes: /dev/fd/N
    os.write(write, (HEADER + ROWS).encode())
    os.close(write)
    try:
        result = cli("import", "csv", f"/dev/fd/{read}", "--json")
    finally:
        os.close(read)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["file"], data["format"], data["inserted"]) == (f"/dev/fd/{read}", "purchases", 2)
    assert list(spool_dir.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_is_read_like_stdin(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    feeder = threading.Thread(target=fifo.write_text, args=(HEADER + ROWS,), daemon=True)
    feeder.start()
    result = cli("import", "csv", str(fifo), "--json")
    feeder.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["file"], json.loads(result.stdout)["inserted"]) == (str(fifo), 2)


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt here, also when this run started with SIGINT ignored (`cmd &`)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.usefixtures("ctrl_c")
@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [
        (signal.SIGINT, ExitCode.INTERRUPTED, "interrupted"),
        (signal.SIGTERM, ExitCode.TERMINATED, "terminated"),  # `timeout` stopping a cron job
    ],
)
def test_ctrl_c_or_sigterm_names_the_files_committed_before(
    cli: Cli, tmp_path: Path, purchases: str, spool_dir: Path, signum: int, code: int, word: str
) -> None:
    fifo = tmp_path / "slow.csv"
    os.mkfifo(fifo)

    def feed() -> None:  # half a file, then the signal while the import reads it
        with fifo.open("w") as handle:
            handle.write(HEADER)
            handle.flush()
            time.sleep(0.3)  # the import now waits in read() for the rest
            signal.pthread_kill(threading.main_thread().ident or 0, signum)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    result = cli("import", "csv", purchases, str(fifo), "--json")
    feeder.join(timeout=10)
    assert result.exit_code == code
    assert _flat(result.stderr) == (
        f"Error: {word} while importing {fifo}, which was rolled back; "
        f"imported (committed) before it: {purchases} (batch 1)"
    )
    [kept] = json.loads(result.stdout)  # a script reading --json learns what was kept: an array, as always
    assert (kept["file"], kept["inserted"], kept["batch_id"]) == (purchases, 2, 1)
    assert _batches(cli) == [(purchases, 2)]
    assert list(spool_dir.iterdir()) == []


def test_ctrl_c_just_after_a_commit_counts_that_file_as_imported(
    cli: Cli, purchases: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    committing = db.session_scope

    @contextmanager
    def then_ctrl_c(engine: Engine) -> Iterator[Session]:
        with committing(engine) as session:
            yield session
        raise KeyboardInterrupt  # the file is committed, its result not yet told

    monkeypatch.setattr(db, "session_scope", then_ctrl_c)
    result = cli("import", "csv", purchases, "--json")
    monkeypatch.undo()
    assert result.exit_code == ExitCode.INTERRUPTED
    assert json.loads(result.stdout)["batch_id"] == 1
    assert _flat(result.stderr) == f"Error: interrupted after importing (committed): {purchases} (batch 1)"
    assert _batches(cli) == [(purchases, 2)]


def test_dry_run_with_skip_bad_rows_says_what_would_be_imported(cli: Cli, tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(HEADER + ROWS + "DD1391-100,10,abc,USD,2024-03-01\n")
    result = cli("import", "csv", str(mixed), "--dry-run", "--skip-bad-rows", "--json")
    assert result.exit_code == ExitCode.FINDINGS
    data = json.loads(result.stdout)
    assert (data["inserted"], data["rejected"], data["batch_id"]) == (2, 1, None)
    assert _flat(result.stderr) == f"Warning: {mixed}: dry run: 2 rows would be imported, 1 bad rows skipped"
    assert _batches(cli) == []


def test_a_file_skipped_as_asked_is_a_warning_beside_a_refused_one(
    cli: Cli, tmp_path: Path, tabbed: str
) -> None:
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(HEADER + ROWS + "DD1391-100,10,abc,USD,2024-03-01\n")
    result = cli("import", "csv", str(mixed), tabbed, "--skip-bad-rows")
    assert result.exit_code == ExitCode.USAGE  # the tabbed file's unknown format is the worse
    lines = [line for line in result.stderr.splitlines() if line.startswith(("Warning:", "Error:"))]
    assert lines[0] == f"Warning: {mixed}: 1 bad rows skipped, the 2 good rows were imported"
    assert lines[1].startswith(f"Error: {tabbed}: cannot tell the export format")
    assert [(Path(f).name, n) for f, n in _batches(cli)] == [("mixed.csv", 2)]


class _Stream(io.RawIOBase):
    """`head`, then NUL bytes up to `size` (like /dev/zero), or Ctrl-C after `head` when `interrupt`."""

    def __init__(self, head: bytes, size: int = 64 << 20, *, interrupt: bool = False) -> None:
        super().__init__()
        self.head, self.left, self.interrupt, self.taken = head, size, interrupt, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.head and self.interrupt:
            raise KeyboardInterrupt
        count = min(len(buffer), len(self.head) if self.interrupt else self.left)
        chunk, self.head = self.head[:count], self.head[count:]
        buffer[:count] = chunk + b"\0" * (count - len(chunk))
        self.left -= count
        self.taken += count
        return count


def test_spooling_stops_at_the_first_nul_byte(spool_dir: Path) -> None:
    stream = _Stream(b"sku,size\n")
    with pytest.raises(reading.UnreadableFileError, match=r"binary data \(a NUL byte at byte 9\)"):
        with reading.spooled(stream):
            pytest.fail("binary data was spooled")
    assert stream.taken <= reading.CHUNK and list(spool_dir.iterdir()) == []


def test_ctrl_c_while_spooling_leaves_no_file(spool_dir: Path) -> None:
    with pytest.raises(KeyboardInterrupt), reading.spooled(_Stream(HEADER.encode(), interrupt=True)):
        pytest.fail("an interrupted copy was used")
    assert list(spool_dir.iterdir()) == []


def test_binary_stdin_is_refused_as_that_file(cli: Cli, spool_dir: Path) -> None:
    result = cli("import", "csv", "-", "--json", input=b"sku,size\n" + b"\0" * 100)
    assert result.exit_code == ExitCode.FINDINGS
    assert json.loads(result.stdout)["errors"] == [
        {"line": 1, "column": None, "message": "binary data (a NUL byte at byte 9), not a CSV text file"}
    ]
    assert list(spool_dir.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="closes a file descriptor")
def test_a_closed_stdin_is_refused_as_that_file(tmp_path: Path, purchases: str) -> None:
    """Cron may start a job with stdin closed (`<&-`): `-` is an unreadable file, the others go in."""
    argv = soleflip(f"sqlite:///{tmp_path / 'closed.db'}", "import", "csv", "-", purchases, "--json")
    done = subprocess.run(
        argv, capture_output=True, text=True, check=False, timeout=300, preexec_fn=lambda: os.close(0)
    )
    assert done.returncode == ExitCode.ERROR and "Traceback" not in done.stderr, done.stderr
    closed, imported = json.loads(done.stdout)
    message = "cannot read standard input: it is closed"
    assert closed["errors"] == [{"line": 1, "column": None, "message": message}]
    assert imported["inserted"] > 0 and imported["batch_id"] is not None


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_sigterm_while_spooling_stdin_leaves_no_file(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    argv = soleflip(f"sqlite:///{tmp_path / 'term.db'}", "import", "csv", "-")
    env = {**os.environ, "TMPDIR": str(spool)}
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None
    proc.stdin.write(HEADER.encode())  # half a file: soleflip waits for the rest
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while not any(spool.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert list(spool.iterdir()) == []


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are any bytes")
def test_a_file_name_that_is_not_utf8_is_imported_and_shown_escaped(tmp_path: Path, purchases: str) -> None:
    """`caf\\xe9.csv` (Latin-1 bytes) goes in like any file, its name escaped in output and history."""
    odd = tmp_path / os.fsdecode(b"caf\xe9.csv")
    odd.write_text(HEADER + ROWS.replace("2024-03", "2024-04"))
    url = f"sqlite:///{tmp_path / 'names.db'}"
    done = run(soleflip(url, "import", "csv", str(odd), purchases, "--json"))
    assert done.returncode == ExitCode.OK and "Traceback" not in done.stderr, done.stderr
    first, second = json.loads(done.stdout)
    assert (first["file"], first["inserted"], second["inserted"]) == (str(tmp_path / "caf\\xe9.csv"), 2, 2)
    history = json.loads(run(soleflip(url, "import", "history", "--json")).stdout)
    assert [b["file"] for b in history] == [purchases, str(tmp_path / "caf\\xe9.csv")]


def test_a_database_folder_that_cannot_be_made_is_a_clean_error(cli_nodb: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = cli_nodb("--db", f"sqlite:///{blocker / 'data' / 'soleflip.db'}", "import", "history")
    assert result.exit_code == ExitCode.ERROR and result.exception is None, result.exception
    assert f"cannot create the database's folder {blocker / 'data'}" in result.stderr


def test_messages_stay_on_one_line_for_logs(cli: Cli, tmp_path: Path) -> None:
    """Cron mail and grep see each warning whole, not wrapped at 80 columns mid-name."""
    path = tmp_path / ("stockx_historical_seller_sales_report_march_" + "x" * 60 + ".csv")
    path.write_bytes(
        (HEADER.replace("date", "date,notes") + "DD1391-100,10,110,USD,2024-03-01,café\n").encode("cp1252")
    )
    result = cli("import", "csv", str(path))
    [line] = [line for line in result.stderr.splitlines() if "Windows-1252" in line]
    assert line.startswith(f"Warning: {path} is not UTF-8")


@pytest.mark.skipif(os.name != "posix", reason="needs pipes")
def test_a_reader_of_messages_gone_stops_no_run(tmp_path: Path, purchases: str) -> None:
    """`2>&1 | head -1`: once nobody reads stderr, the messages stop and every file is still imported."""
    later = tmp_path / "later.csv"
    later.write_text(HEADER + ROWS.replace("2024-03", "2024-04"))
    read, write = os.pipe()
    os.close(read)  # every message now meets a closed pipe
    try:
        argv = soleflip(f"sqlite:///{tmp_path / 'pipe.db'}", "import", "csv", purchases, str(later), "--json")
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=write, text=True, check=False, timeout=300)
    finally:
        os.close(write)
    assert done.returncode == ExitCode.OK
    assert [r["inserted"] for r in json.loads(done.stdout)] == [2, 2]
