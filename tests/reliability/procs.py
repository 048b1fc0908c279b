"""soleflip in child processes for fault tests: a big generated export, SIGKILL at a chosen moment, limits."""

from __future__ import annotations

import csv
import os
import random
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

CONTEST_HEADER = [
    "Order Date",
    "Brand",
    "Sneaker Name",
    "Sale Price",
    "Retail Price",
    "Release Date",
    "Shoe Size",
    "Buyer Region",
]
_MODELS = ["Adidas-Yeezy-Boost-350-V2", "Nike-Air-Max-90", "Air-Jordan-1-Retro-High", "Nike-Dunk-Low"]
_COLOURS = ["Beluga", "Zebra", "Bred", "Panda", "Cream-White", "Black-Red", "Off-White", "Sesame"]
_REGIONS = ["California", "New York", "Oregon", "Texas", "Florida", "Illinois"]
# Sets RLIMIT_FSIZE, then runs soleflip: a write past the limit fails with EFBIG, as on a full disk.
_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv.pop(1))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from soleflip_cli.cli import main
sys.argv[0] = "soleflip"
main()
"""


def contest_file(path: Path, rows: int, *, seed: int = 1) -> Path:
    """A StockX-contest-layout CSV of `rows` market sales (deterministic, mostly distinct rows)."""
    rng = random.Random(seed)
    start = date(2017, 9, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CONTEST_HEADER)
        for _ in range(rows):
            day = start + timedelta(days=rng.randrange(500))
            writer.writerow(
                [
                    f"{day.month}/{day.day}/{day.year % 100:02d}",
                    "Yeezy",
                    f"{rng.choice(_MODELS)}-{rng.choice(_COLOURS)}",
                    f"${rng.randrange(150, 2500):,}",
                    "$220",
                    "9/24/16",
                    f"{rng.randrange(8, 28) / 2:g}",
                    rng.choice(_REGIONS),
                ]
            )
    return path


def soleflip(url: str, *args: str) -> list[str]:
    """argv running soleflip in a new Python process against `url`."""
    return [sys.executable, "-m", "soleflip_cli", "--db", url, *args]


def limited(limit: int, url: str, *args: str) -> list[str]:
    """argv running soleflip with every file it writes limited to `limit` bytes."""
    return [sys.executable, "-c", _LIMITED, str(limit), "--db", url, *args]


def run(argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run to completion, capturing text output."""
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300, **kwargs)


def stop_when(
    proc: subprocess.Popen[Any],
    ready: Callable[[], bool],
    what: str,
    timeout: float = 120,
    stop: Callable[[], None] | None = None,
) -> None:
    """SIGSTOP `proc` (or call `stop`) as soon as `ready()` holds (polled every 2 ms); fail if it
    ends or times out first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            if stop is None:
                proc.send_signal(signal.SIGSTOP)
            else:
                stop()
            return
        time.sleep(0.002)
    kill(proc)
    raise AssertionError(f"never saw {what} (exit {proc.returncode})")


def kill(proc: subprocess.Popen[Any]) -> None:
    """`kill -9` and reap; its children (an import's parsing process) must end within seconds too."""
    orphans = children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while (left := [pid for pid in orphans if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes {left} outlived the killed {proc.pid}"


def ctrl_c_default() -> None:
    """Popen's preexec_fn: SIGINT raises KeyboardInterrupt in the child however the tests were started
    (a shell running them in the background without job control ignores SIGINT, and the children
    would inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting to be reaped has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def read_position(pid: int, path: Path) -> int | None:
    """The file offset of a descriptor on `path` held by `pid` or its children (a big import parses
    in a forked child), None when they hold none (Linux /proc)."""
    for process in (pid, *children(pid)):
        try:
            for fd in Path(f"/proc/{process}/fd").iterdir():
                if os.readlink(fd) == str(path):
                    info = Path(f"/proc/{process}/fdinfo/{fd.name}").read_text()
                    match = re.search(r"^pos:\s*(\d+)", info, re.M)
                    return int(match[1]) if match else None
        except OSError:  # the process or the descriptor went away between the calls
            continue
    return None


def children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc), empty when it has none or is gone."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def sqlite_integrity(path: Path) -> str:
    """`PRAGMA integrity_check` of a SQLite file ("ok" when sound)."""
    with closing(sqlite3.connect(path)) as conn:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))


def wal_frames(path: Path) -> tuple[int, int]:
    """(frames, commit frames) in a SQLite write-ahead log, counting whole frames of its current salt."""
    data = path.read_bytes() if path.exists() else b""
    if len(data) < 32:
        return 0, 0
    page_size = struct.unpack(">I", data[8:12])[0]
    salt = data[16:24]
    frames = commits = 0
    offset = 32
    while offset + 24 + page_size <= len(data) and data[offset + 8 : offset + 16] == salt:
        frames += 1
        commits += struct.unpack(">I", data[offset + 4 : offset + 8])[0] != 0  # db size after commit
        offset += 24 + page_size
    return frames, commits
