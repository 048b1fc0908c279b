"""The README's crontab, run as cron runs it: its exact lines, exit codes as its table documents them.

Cron's conditions: `/bin/sh -c LINE` with `\\%` unescaped, no terminal (new session, stdin closed),
and a bare environment — PATH, HOME, SOLEFLIP_HOME and SOLEFLIP_SECRET_KEY (the crontab's own
variables), plus PYTHON_KEYRING_BACKEND=fail for "a server without an OS keyring" and, for the
PostgreSQL run, SOLEFLIP_DATABASE_URL. A job that worked prints nothing at all; errors still print.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from soleflip_cli import db
from soleflip_cli.locking import run_lock
from soleflip_cli.secrets import SECRET_FILE, FileStore
from tests.fake_stockx import FakeStockX, add_orders
from tests.reliability.runs import REPO, TIMEOUT_S
from tests.sync.helpers import add_pairs

README = REPO / "README.md"
SCHEDULE = re.compile(r"^(?:\S+\s+){5}(?P<command>soleflip\s.*)$")
JOB_ROW = re.compile(r"^\| (?:`(?P<job>[^`]+)`|any) \| (?P<code>\d+) \|")


def crontab() -> dict[str, str]:
    """The README crontab's command lines, by job (`sync stockx`, `inventory dead …`, `db backup`)."""
    section = README.read_text(encoding="utf-8").split("## Unattended use (cron)", 1)[1]
    block = section.split("```crontab\n", 1)[1].split("```", 1)[0]
    commands = [m["command"] for line in block.splitlines() if (m := SCHEDULE.match(line.strip()))]
    jobs = {job: c for c in commands for job in documented()[0] if c.startswith(f"soleflip {job}")}
    assert len(commands) == len(jobs) == 3, commands
    return jobs


def documented() -> tuple[dict[str, set[int]], set[int]]:
    """The exit codes the README's cron table documents: per job, and on `any` rows for every job."""
    section = README.read_text(encoding="utf-8").split("## Unattended use (cron)", 1)[1]
    table: dict[str, set[int]] = {}
    common: set[int] = set()
    for line in section.splitlines():
        if match := JOB_ROW.match(line):
            target = table.setdefault(match["job"], set()) if match["job"] else common
            target.add(int(match["code"]))
    return table, common


def as_cron_runs(line: str) -> str:
    """What cron hands to /bin/sh: `\\%` becomes `%`; a bare `%` would cut the line (so none may be left)."""
    assert not re.search(r"(?<!\\)%", line), f"unescaped % in a crontab line: {line}"
    return line.replace("\\%", "%")


@dataclass(frozen=True)
class Ran:
    """One cron job run."""

    job: str
    exit_code: int
    stdout: str
    stderr: str


class Cron:
    """Runs the README's lines in a cron-like environment, recording (job, exit code) pairs."""

    def __init__(self, env: dict[str, str], home: Path) -> None:
        self.env = env
        self.home = home
        self.lines = crontab()
        self.seen: set[tuple[str, int]] = set()

    def run(self, job: str) -> Ran:
        """Run the line of `job` to the end: no terminal, stdin closed, bounded in time."""
        proc = subprocess.Popen(  # noqa: S603 - the README's own line, through the shell as cron does
            ["/bin/sh", "-c", as_cron_runs(self.lines[job])],
            env=self.env,
            cwd=self.home,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # no controlling terminal to prompt on
        )
        try:
            out, err = proc.communicate(b"", timeout=TIMEOUT_S)  # stdin closed at once
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise AssertionError(f"{job}: still running after {TIMEOUT_S:g} s (waiting for input?)") from None
        ran = Ran(job, proc.returncode, out.decode(), err.decode())
        assert "Aborted" not in ran.stderr and "[y/N]" not in ran.stderr + ran.stdout, ran  # never prompts
        self.seen.add((job, ran.exit_code))
        return ran

    def ok(self, job: str) -> None:
        """The job worked and, being --quiet, printed nothing at all."""
        assert self.run(job) == Ran(job, 0, "", "")

    def fails(self, job: str, code: int, *needles: str) -> Ran:
        """The job exits `code` with an `Error:` on stderr saying each of `needles`."""
        ran = self.run(job)
        assert ran.exit_code == code, ran
        assert ran.stderr.startswith("Error: ") and all(n in ran.stderr for n in needles), ran
        return ran


@pytest.fixture
def cron(db_url: str, tmp_path: Path, fake_stockx: FakeStockX) -> Iterator[Cron]:
    """A user's machine: HOME with ~/backups, SOLEFLIP_HOME with config.toml and the encrypted secrets."""
    home = tmp_path / "home"
    (home / "backups").mkdir(parents=True)
    soleflip_home = home / ".soleflip"
    soleflip_home.mkdir()
    (soleflip_home / "config.toml").write_text(
        f'[stockx]\napi_url = "{fake_stockx.api_url}"\nauth_url = "{fake_stockx.auth_url}"\n'
        "requests_per_second = 50\nmax_retries = 1\n"
    )
    key = Fernet.generate_key().decode()
    store = FileStore(soleflip_home / SECRET_FILE, key)  # as `soleflip auth login stockx` leaves it
    store.set("stockx.client_id", fake_stockx.client_id)
    store.set("stockx.client_secret", fake_stockx.client_secret)
    store.set("stockx.api_key", fake_stockx.api_key)
    store.set("stockx.refresh_token", fake_stockx.issue_refresh_token())
    fake_stockx.rate_limit = 50
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(home),
        "SOLEFLIP_HOME": str(soleflip_home),
        "SOLEFLIP_SECRET_KEY": key,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    if db_url.startswith("postgresql"):
        env["SOLEFLIP_DATABASE_URL"] = db_url
    yield Cron(env, home)


def test_the_readme_crontab_runs_unattended(cron: Cron, fake_stockx: FakeStockX, db_url: str) -> None:
    assert (Path(sys.executable).parent / "soleflip").exists()
    sync, dead, backup = "sync stockx", "inventory dead --fail-on-dead", "db backup"
    add_orders(fake_stockx, 12)

    cron.ok(sync)  # first run: creates the database, syncs, says nothing
    cron.ok(dead)
    cron.ok(backup)
    assert (cron.home / "backups" / f"soleflip-{date.today():%Y-%m-%d}.db").stat().st_size > 0

    cron.fails(backup, 1, "already exists")  # a second backup the same day keeps the first
    url = cron.env.get("SOLEFLIP_DATABASE_URL") or f"sqlite:///{cron.env['SOLEFLIP_HOME']}/soleflip.db"
    engine = db.make_engine(url)
    try:
        add_pairs(engine, "DD1391-100", "10", purchased=date(2020, 1, 1))
        found = cron.fails(dead, 3, "1 pair(s) of dead stock")
        assert "DD1391-100" in found.stdout  # the list cron mails
        with run_lock(engine, "import"):
            cron.fails(sync, 5, "another soleflip import (pid ", "--wait")
    finally:
        engine.dispose()
    fake_stockx.inject("status", count=2, status=500, path="/v2/selling/orders/history")
    cron.fails(sync, 1, "HTTP 500")
    cron.ok(sync)  # the next hour resumes
    fake_stockx.revoke_refresh_tokens()
    fake_stockx.expire_access_tokens()
    cron.fails(sync, 4, "invalid_grant", "soleflip auth login stockx")
    (Path(cron.env["SOLEFLIP_HOME"]) / "config.toml").write_text("[inventory]\ndead_after_days = -1\n")
    cron.fails(dead, 2, "dead_after_days")

    table, common = documented()
    assert {job for job, _ in cron.seen} == set(table)
    assert all(code in table[job] | common for job, code in cron.seen)  # every exit code is documented
    assert all((job, code) in cron.seen for job, codes in table.items() for code in codes)  # and tested
    assert common <= {code for _, code in cron.seen}
