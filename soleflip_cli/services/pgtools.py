"""pg_dump and pg_restore: the password travels in the environment, never on a command line or in errors."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import URL

from soleflip_cli.errors import BackupError

POLL_SECONDS = 0.02  # how often a running tool is checked for its end
_INSTALL_HINT = "install the PostgreSQL client tools (Debian/Ubuntu: apt install postgresql-client)"


def available(tool: str) -> bool:
    """True when `tool` (pg_dump, pg_restore) is on PATH."""
    return shutil.which(tool) is not None


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and an environment carrying it as PGPASSWORD."""
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def _run(tool: str, args: list[str], url: URL | None, *, what: str) -> str:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not on PATH; it is needed to {what}", hint=_INSTALL_HINT)
    env = dict(os.environ)
    if url is not None:
        uri, env = _libpq(url)
        args = [*args, f"--dbname={uri}"]
    returncode, stdout, stderr = _finished([executable, *args], env)
    if returncode != 0:
        message = stderr.decode("utf-8", "replace").strip() or _status(returncode)
        if url is not None and url.password:
            message = message.replace(str(url.password), "***")
        lines = [line.removeprefix(f"{tool}: ") for line in message.splitlines()[:4]]
        raise BackupError(f"{tool} could not {what}: {'; '.join(lines)}")
    return stdout.decode("utf-8", "replace")


def _finished(command: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run `command` to its end: (exit status, stdout, stderr). Ctrl-C or SIGTERM kills it at once.

    subprocess.run lets a child run on for 0.25 s after a KeyboardInterrupt (meant for a terminal's
    Ctrl-C, which the child gets too): a SIGTERM sent to this process alone (`kill PID`, a container's
    stop) would let pg_restore commit a restore the user was told was stopped.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env)  # noqa: S603 - fixed tool
        try:
            while (returncode := proc.poll()) is None:
                time.sleep(POLL_SECONDS)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        err.seek(0)
        return returncode, out.read(), err.read()


def _status(returncode: int) -> str:
    if returncode == -signal.SIGXFSZ:
        return "the file grew past the allowed size (disk full or a file size limit)"
    if returncode < 0:
        return f"stopped by signal {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


def dump(url: URL, dest: Path, *, snapshot: str | None) -> None:
    """`pg_dump -Fc` of the whole database into `dest` (at an exported snapshot when given)."""
    args = ["--format=custom", f"--file={dest}"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    _run("pg_dump", args, url, what="dump the database")


def archive_revision(path: Path) -> str | None:
    """The schema revision stored in a pg_dump archive's alembic_version table (None when absent)."""
    script = _run(
        "pg_restore",
        ["--data-only", "--table=alembic_version", "--file=-", str(path)],
        None,
        what=f"read {path} (is it damaged?)",
    )
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "alembic_version" in line:
            revision = next(lines, "\\.")
            return None if revision == "\\." else revision.strip()
    return None


def check_archive(path: Path) -> None:
    """Read the whole archive (to /dev/null) so that damage shows before the database is touched."""
    _run("pg_restore", [f"--file={os.devnull}", str(path)], None, what=f"read {path} (is it damaged?)")


def restore(url: URL, path: Path) -> None:
    """Replace the archive's objects in the database in one transaction (all or nothing)."""
    _run(
        "pg_restore",
        ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", str(path)],
        url,
        what=f"restore {path}",
    )
