"""pg_dump and pg_restore as child processes: a SIGTERM or Ctrl-C stops them at once."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from soleflip_cli.services import pgtools
from soleflip_cli.terminate import Terminated, terminable


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")
def test_sigterm_kills_the_tool_before_it_can_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kill PID` reaches soleflip alone: pg_restore must not finish a restore the user was told stopped."""
    tool = tmp_path / "pg_restore"
    tool.write_text(f"#!/bin/sh\ntouch {tmp_path}/started\nsleep 0.2\ntouch {tmp_path}/committed\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")

    def term_once_started() -> None:
        while not (tmp_path / "started").exists():
            time.sleep(0.005)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)

    threading.Thread(target=term_once_started, daemon=True).start()
    with pytest.raises(Terminated), terminable():
        pgtools.check_archive(tmp_path / "backup.dump")
    time.sleep(0.5)  # the tool would have finished by now had it been left running
    assert not (tmp_path / "committed").exists()
