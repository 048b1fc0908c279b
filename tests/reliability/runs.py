"""Real `soleflip` processes for the reliability tests: start, pause mid-write, finish with a timeout."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from cryptography.fernet import Fernet

from soleflip_cli.secrets import SECRET_FILE, FileStore
from tests.fake_stockx import FakeStockX

REPO = Path(__file__).resolve().parents[2]
SOLEFLIP = [sys.executable, "-m", "soleflip_cli"]
HOOKED = [sys.executable, "-m", "tests.reliability.hooked"]
DEMO_SALES = REPO / "soleflip_cli" / "samples" / "demo-stockx-sales.csv"
# A run that does not finish within this long is stuck (a deadlock): the test fails, it does not hang.
TIMEOUT_S = 180.0
SALES_INSERT = r"^\s*INSERT INTO sales\b"
RATE = 50  # StockX requests per second on both sides, so syncs stay fast


@dataclass(frozen=True)
class Finished:
    """What a finished process printed and returned."""

    exit_code: int
    stdout: str
    stderr: str


class Started:
    """A running soleflip process whose output goes to files (so nothing blocks on a full pipe)."""

    _ids = count()

    def __init__(self, argv: list[str], env: dict[str, str], workdir: Path, stdin: str = "") -> None:
        n = next(self._ids)
        self.out, self.err = workdir / f"run{n}.out", workdir / f"run{n}.err"
        given = workdir / f"run{n}.in"
        given.write_text(stdin, encoding="utf-8")
        with given.open("rb") as inp, self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                argv, env=env, cwd=REPO, stdin=inp, stdout=out, stderr=err
            )

    @property
    def pid(self) -> int:
        """The process id (what a lock holder is named by)."""
        return self.proc.pid

    def finish(self, timeout_s: float = TIMEOUT_S) -> Finished:
        """Wait for the exit; a process still running after `timeout_s` is killed and fails the test."""
        try:
            code = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            message = f"still running after {timeout_s:g} s (deadlocked?): {self.stderr()}"
            raise AssertionError(message) from None
        return Finished(code, self.out.read_text(encoding="utf-8"), self.stderr())

    def stderr(self) -> str:
        """Everything written to stderr so far."""
        return self.err.read_text(encoding="utf-8", errors="replace")

    def wait_for_stderr(self, text: str, timeout_s: float = TIMEOUT_S) -> None:
        """Block until `text` appears on stderr (fails when the process ends first)."""
        deadline = time.monotonic() + timeout_s
        while text not in self.stderr():
            if self.proc.poll() is not None and text not in self.stderr():
                code = self.proc.returncode
                raise AssertionError(f"exited {code} without saying {text!r}: {self.stderr()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"never said {text!r}: {self.stderr()}")
            time.sleep(0.02)

    def kill(self) -> None:
        """Stop it if it is still running (test teardown)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Paused(Started):
    """A soleflip run held, transaction open, right after its first statement matching a pattern."""

    def __init__(self, pattern: str, args: list[str], env: dict[str, str], workdir: Path) -> None:
        self.gate = workdir / f"gate{next(self._ids)}"
        self.gate.mkdir()
        super().__init__([*HOOKED, "pause", str(self.gate), pattern, *args], env, workdir)
        deadline = time.monotonic() + TIMEOUT_S
        while not (self.gate / "paused").exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"exited {self.proc.returncode} before pausing: {self.stderr()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"never paused: {self.stderr()}")
            time.sleep(0.02)

    def release(self) -> None:
        """Let it carry on."""
        (self.gate / "go").touch()


class Soleflip:
    """Starts `soleflip --db URL …` as separate processes sharing one environment and SOLEFLIP_HOME."""

    def __init__(self, url: str, env: dict[str, str], workdir: Path) -> None:
        self.url = url
        self.env = env
        self.workdir = workdir
        self.started: list[Started] = []

    def start(self, *args: str, stdin: str = "") -> Started:
        """Start `soleflip --db URL ARGS` in the background; stdin is a file holding `stdin`."""
        run = Started([*SOLEFLIP, "--db", self.url, *args], self.env, self.workdir, stdin)
        self.started.append(run)
        return run

    def start_paused(self, pattern: str, *args: str) -> Paused:
        """Start `soleflip --db URL ARGS`; return once it is paused after a statement matching `pattern`."""
        run = Paused(pattern, ["--db", self.url, *args], self.env, self.workdir)
        self.started.append(run)
        return run

    def run(self, *args: str, stdin: str = "") -> Finished:
        """Run `soleflip --db URL ARGS` to the end."""
        return self.start(*args, stdin=stdin).finish()

    def run_crashing(self, pattern: str, *args: str) -> Finished:
        """Run `soleflip --db URL ARGS`, failing unexpectedly after a statement matching `pattern`."""
        run = Started([*HOOKED, "crash", pattern, "--db", self.url, *args], self.env, self.workdir)
        self.started.append(run)
        return run.finish()

    def stop_all(self) -> None:
        """Kill whatever is still running (after a failed test)."""
        for run in self.started:
            if isinstance(run, Paused):
                run.release()
            run.kill()


def secrets_env(home: Path, fake: FakeStockX | None) -> dict[str, str]:
    """Variables for child processes: the encrypted secrets file (no OS keyring), pointed at `fake`.

    With `fake`, a refresh token it knows is stored, as after `soleflip auth login stockx`.
    """
    key = Fernet.generate_key().decode()
    env = {"SOLEFLIP_SECRET_KEY": key, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    if fake is not None:
        env |= fake.env(requests_per_second=RATE)
        FileStore(home / SECRET_FILE, key).set("stockx.refresh_token", fake.issue_refresh_token())
    return env


def write_stockx_sales(path: Path, rows: int, *, first_order: int) -> Path:
    """A StockX seller report of `rows` sales (order numbers from `first_order`), based on the demo file."""
    with DEMO_SALES.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        template = next(reader)
        fields = list(reader.fieldnames or [])
    sold = datetime(2024, 3, 1, 12, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        for n in range(rows):
            order = first_order + n
            moment = sold + timedelta(minutes=7 * n)
            writer.writerow(
                template
                | {
                    "Order Number": f"{order}-{order}",
                    "Invoice Number": f"30000000-{order}",
                    "Sale Date": moment.strftime("%Y-%m-%d %H:%M:%S +00"),
                    "Provider Transaction ID": f"00000000-0000-4000-9000-{order:012d}",
                }
            )
    return path


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's (test-isolated) environment plus `extra`."""
    return dict(os.environ) | extra
