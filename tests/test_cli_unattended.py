"""Unattended runs (cron, timeout, systemd): closed stdin or stdout, a config not in UTF-8, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from soleflip_cli.errors import ExitCode
from tests.conftest import Cli

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX pipes and signals")


def _soleflip(
    url: str, *args: str, closed_stdin: bool = False, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "soleflip_cli", "--db", url, *args]
    if closed_stdin:  # cron's `<&-`: the process starts without a file descriptor 0
        argv = ["bash", "-c", 'exec "$@" <&-', "bash", *argv]
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(argv, text=True, check=False, timeout=120, env=env, **kwargs)  # type: ignore[call-overload, no-any-return]


def _old_pair(url: str) -> None:
    added = _soleflip(url, "inventory", "add", "--sku", "DD1391-100", "--size", "10", "--cost", "100",
                      "--date", "2020-01-01", "--no-lookup", capture_output=True)  # fmt: skip
    assert added.returncode == ExitCode.OK, added.stderr


def test_a_confirmation_with_stdin_closed_asks_for_yes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'book.db'}"
    _old_pair(url)
    done = _soleflip(url, "inventory", "remove", "1", closed_stdin=True, capture_output=True)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert "stdin is not a terminal, so pass --yes" in done.stderr and "Traceback" not in done.stderr


def test_data_for_a_reader_gone_keeps_the_documented_exit_code(tmp_path: Path) -> None:
    """`inventory dead --fail-on-dead --json | head -1`: still exit 3, and no traceback."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    _old_pair(url)
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line
    try:
        done = _soleflip(
            url, "inventory", "dead", "--fail-on-dead", "--json", stdout=write, stderr=subprocess.PIPE
        )
    finally:
        os.close(write)
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    assert "Traceback" not in done.stderr and "Error closing cursor" not in done.stderr
    for fmt in ("json", "csv", "ndjson", "table"):
        read, write = os.pipe()
        os.close(read)
        try:
            listed = _soleflip(
                url, "inventory", "list", "--format", fmt, stdout=write, stderr=subprocess.PIPE
            )
        finally:
            os.close(write)
        assert (listed.returncode, listed.stderr) == (ExitCode.OK, ""), fmt


def test_a_config_file_not_in_utf8_is_a_config_error_naming_it(cli_nodb: Cli) -> None:
    config = Path(os.environ["SOLEFLIP_HOME"]) / "config.toml"
    config.write_bytes('base_currency = "EUR"  # caf\xe9\n'.encode("cp1252"))
    result = cli_nodb("inventory", "list")
    assert result.exit_code == ExitCode.USAGE
    assert f"{config}: not UTF-8 text" in result.stderr and "save the file as UTF-8" in result.stderr


def test_sigterm_during_a_backup_leaves_no_partial_file(
    tmp_path: Path, cli_nodb: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`timeout` or systemd stopping a cron backup: exit 143 and nothing left beside the target."""
    from soleflip_cli.services import backup

    assert cli_nodb("db", "upgrade").exit_code == ExitCode.OK
    target = tmp_path / "out"
    target.mkdir()

    def terminated(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # the backup is written, not yet in place

    monkeypatch.setattr(backup, "_fsync_tree", terminated)
    result = cli_nodb("db", "backup", str(target / "book.db"))
    assert result.exit_code == 143
    assert result.stderr.splitlines()[-1] == "Error: terminated; nothing half-written was kept"
    assert list(target.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored after the command


@pytest.mark.skipif(sys.platform != "linux", reason="platformdirs' Linux layout ($HOME/.local/share)")
def test_paths_and_doctor_work_where_the_data_folder_cannot_be_made(
    tmp_path: Path, cli_nodb: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron job with HOME where nothing can be written: `paths` prints, `doctor` says what to fix."""
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    monkeypatch.delenv("SOLEFLIP_HOME")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    shown = cli_nodb("paths", "--json")
    assert shown.exit_code == ExitCode.OK, shown.stderr
    assert str(home) in shown.stdout and not home.is_dir()
    checked = cli_nodb("doctor", "--offline", "--json")
    assert checked.exit_code == ExitCode.ERROR
    database = next(c for c in json.loads(checked.stdout)["checks"] if c["name"] == "database")
    assert database["status"] == "fail" and "cannot create the database's folder" in database["detail"]
    assert database["fix"].startswith("set SOLEFLIP_HOME")
