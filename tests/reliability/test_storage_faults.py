"""The database failing underneath: disk full, read-only file or directory, PostgreSQL unreachable or lost.

Each is a clear `Error:` with exit 1 and a tip, never a traceback, and the database is left sound and
exactly as it was (SQLite `PRAGMA integrity_check`, every row compared).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from soleflip_cli.errors import ExitCode
from tests.conftest import Cli, truncate_all
from tests.dbtools_data import contents
from tests.importers.conftest import FIXTURES
from tests.reliability.procs import contest_file, limited, run, soleflip, sqlite_integrity, stop_when


def _seed(cli: Cli) -> None:
    for name in ("purchases.csv", "stockx-2025.csv"):
        assert cli("import", "csv", str(FIXTURES / name)).exit_code == 0, name


def _clean_error(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == ExitCode.ERROR, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "Error: " in done.stderr and "Tip: " in done.stderr
    assert message in done.stderr, done.stderr


@pytest.mark.slow
def test_disk_full_during_an_import_keeps_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'book.db'}"
    _seed(Cli(url))
    big = contest_file(tmp_path / "market.csv", 20_000)
    before = contents(url)
    # Every file the run writes (the write-ahead log above all) stops growing at 256 KiB.
    full = run(limited(256 * 1024, url, "import", "csv", str(big)))
    _clean_error(full, "the disk is full or failing")
    assert sqlite_integrity(tmp_path / "book.db") == "ok"
    assert contents(url) == before
    again = run(soleflip(url, "import", "csv", str(big)))
    assert again.returncode == 0, again.stderr
    assert len(contents(url)["market_sales"]) == 20_000


def _without_root_powers() -> list[str]:
    """An argv prefix that makes file permissions bind: root keeps its uid but loses the capabilities
    that let it ignore them (the interpreter may live where only root can read)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux): root ignores file permissions")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]


@pytest.mark.slow
@pytest.mark.parametrize("read_only", ["file", "directory"])
def test_a_read_only_database_refuses_writes_and_still_answers_reads(tmp_path: Path, read_only: str) -> None:
    database = tmp_path / "data" / "book.db"
    url = f"sqlite:///{database}"
    _seed(Cli(url))
    database.chmod(0o444)
    database.parent.chmod(0o555 if read_only == "directory" else 0o755)
    digest = hashlib.sha256(database.read_bytes()).hexdigest()
    prefix = _without_root_powers()
    try:
        refused = run([*prefix, *soleflip(url, "import", "csv", str(FIXTURES / "alias.csv"))])
        listed = run([*prefix, *soleflip(url, "inventory", "list", "--json")])
    finally:
        database.parent.chmod(0o755)
        database.chmod(0o644)
    if read_only == "file":
        _clean_error(refused, f"the database {url} is read-only")
        assert listed.returncode == 0 and '"sku": "DD1391-100"' in listed.stdout, listed.stderr
    else:  # SQLite cannot even make the shared-memory file it needs beside a write-ahead-log database
        for result in (refused, listed):
            _clean_error(result, "cannot open the database")
            assert "needs write access to the database file and its directory" in result.stderr
    assert hashlib.sha256(database.read_bytes()).hexdigest() == digest
    assert sqlite_integrity(database) == "ok"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [
        ("import", "csv", str(FIXTURES / "purchases.csv")),
        ("sync", "stockx"),
        ("report", "summary"),
        ("inventory", "list"),
        ("db", "status"),
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_unreachable_postgresql_is_a_clear_error(command: tuple[str, ...]) -> None:
    url = f"postgresql+psycopg://soleflip:s3cret-pw@127.0.0.1:{_closed_port()}/books"
    result = Cli(url)(*command)
    assert result.exit_code == ExitCode.ERROR and result.exception is None, result.exception
    assert result.stderr.startswith("Error: cannot open the database postgresql+psycopg://soleflip:***@")
    assert "Tip: check the database URL" in result.stderr and "s3cret-pw" not in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
@pytest.mark.postgres
def test_postgresql_lost_mid_import_rolls_back(pg_engine: Engine, tmp_path: Path) -> None:
    truncate_all(pg_engine)
    url = pg_engine.url.render_as_string(hide_password=False)
    try:
        _lose_the_connection_mid_import(url, tmp_path)
    finally:
        truncate_all(pg_engine)


def _lose_the_connection_mid_import(url: str, tmp_path: Path) -> None:
    _seed(Cli(url))
    big = contest_file(tmp_path / "market.csv", 20_000)
    before = contents(url)
    copying = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = :db AND query ILIKE 'COPY%' AND state = 'active'"
    )
    watcher = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with watcher.connect() as conn:
            proc = subprocess.Popen(
                soleflip(url, "import", "csv", str(big)), stderr=subprocess.PIPE, text=True
            )
            backends: list[int] = []

            def copying_rows() -> bool:
                backends[:] = conn.scalars(copying, {"db": make_url(url).database}).all()
                return bool(backends)

            stop_when(proc, copying_rows, "the import copying rows")
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backends[0]})
            proc.send_signal(signal.SIGCONT)
            _, stderr = proc.communicate(timeout=60)
    finally:
        watcher.dispose()
    _clean_error(subprocess.CompletedProcess(proc.args, proc.returncode, "", stderr), "failed: ")
    assert "the unfinished change was rolled back" in stderr
    assert contents(url) == before
    for _ in range(50):  # the dead session's advisory lock goes with it
        again = run(soleflip(url, "import", "csv", str(big)))
        if again.returncode != ExitCode.LOCKED:
            break
        time.sleep(0.1)
    assert again.returncode == 0, again.stderr
