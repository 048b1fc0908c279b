"""`soleflip import csv` with files refused as a whole, pipes, stdin spooling and Ctrl-C between files."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from soleflip_cli.errors import ExitCode
from soleflip_cli.importers import reading
from tests.conftest import Cli
from tests.reliability.procs import soleflip

HEADER = "sku,size,cost,currency,purchase date\n"


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory temporary files go to in this test (to see what is left there)."""
    directory = tmp_path / "spool"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


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
