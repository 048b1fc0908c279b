"""`kill -9` in the middle of a big import, on SQLite and PostgreSQL: the database is exactly as before.

The import is killed half-way through its rows (its transaction holds tens of thousands of uncommitted
rows) and, on SQLite, again while the commit is writing the write-ahead log. Every row of every table
is compared with the state before; a re-run then imports the file whole.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from soleflip_cli.importers.reading import CHUNK
from soleflip_cli.services import import_worker
from tests.conftest import Cli
from tests.dbtools_data import contents
from tests.importers.conftest import FIXTURES
from tests.reliability.procs import (
    alive,
    children,
    contest_file,
    ctrl_c_default,
    kill,
    read_position,
    run,
    soleflip,
    sqlite_integrity,
    stop_when,
    wal_frames,
)

ROWS = 60_000


def _seed(cli: Cli) -> None:
    for name in ("purchases.csv", "stockx-2025.csv", "contest.csv"):
        assert cli("import", "csv", str(FIXTURES / name)).exit_code == 0, name


def _mid_rows(pid: int, path: Path, size: int) -> bool:
    """The import is reading its rows, 30-70 % through: prepare() hashed the file in CHUNK-sized
    reads before, rows come through a small text buffer, so an unaligned offset means rows."""
    position = read_position(pid, path)
    return position is not None and position % CHUNK != 0 and 0.3 * size < position < 0.7 * size


def _import(url: str, path: Path) -> dict[str, Any]:
    """Import `path` in a child process; a dead run's PostgreSQL lock may take a moment to go."""
    for _ in range(50):
        done = run(soleflip(url, "import", "csv", str(path), "--json"))
        if done.returncode != 5:
            break
        time.sleep(0.1)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_kill_9_mid_import_leaves_the_database_as_it_was(cli: Cli, db_url: str, tmp_path: Path) -> None:
    _seed(cli)
    big = contest_file(tmp_path / "market.csv", ROWS)
    before = contents(db_url)
    proc = subprocess.Popen(soleflip(db_url, "import", "csv", str(big)), stderr=subprocess.DEVNULL)
    stop_when(proc, lambda: _mid_rows(proc.pid, big, big.stat().st_size), "the import half-way through")
    kill(proc)
    assert contents(db_url) == before
    whole = False
    if db_url.startswith("sqlite"):
        database = Path(str(make_url(db_url).database))
        assert sqlite_integrity(database) == "ok"
        wal = Path(f"{database}-wal")
        assert not wal.exists()
        proc = subprocess.Popen(soleflip(db_url, "import", "csv", str(big)), stderr=subprocess.DEVNULL)
        stop_when(proc, lambda: wal.exists() and wal.stat().st_size > 1 << 20, "the commit writing its log")
        frames, commits = wal_frames(wal)
        kill(proc)
        assert frames > 100
        whole = commits > 0  # stopped just after the commit record (a very slow machine): all rows
        after = contents(db_url)
        assert sqlite_integrity(database) == "ok"
        if whole:
            assert len(after["market_sales"]) == len(before["market_sales"]) + ROWS
        else:
            assert after == before
    rerun = _import(db_url, big)
    assert (rerun["inserted"], rerun["unchanged"], rerun["rejected"]) == (
        (0, ROWS) if whole else (ROWS, 0)
    ) + (0,)
    after = contents(db_url)
    assert len(after["market_sales"]) == len(before["market_sales"]) + ROWS
    assert len(after["import_batches"]) == len(before["import_batches"]) + 1 + whole
    for table in ("sales", "sale_fees", "inventory_items", "suppliers"):
        assert after[table] == before[table]


@pytest.mark.slow
def test_ctrl_c_mid_import_exits_130_and_leaves_the_database_as_it_was(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    """Ctrl-C reaches the whole foreground process group: the import and its parsing process."""
    _seed(cli)
    big = contest_file(tmp_path / "market.csv", ROWS)
    before = contents(db_url)
    argv = soleflip(db_url, "import", "csv", str(big))
    proc = subprocess.Popen(
        argv, stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=ctrl_c_default
    )
    workers: list[int] = []

    def ctrl_c() -> None:
        workers.extend(children(proc.pid))
        os.killpg(proc.pid, signal.SIGINT)

    stop_when(proc, lambda: _mid_rows(proc.pid, big, big.stat().st_size), "the import half-way", stop=ctrl_c)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert bool(workers) == import_worker.available()
    assert not [pid for pid in workers if alive(pid)]
    assert contents(db_url) == before
    assert _import(db_url, big)["inserted"] == ROWS
