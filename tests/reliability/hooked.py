"""Run the soleflip CLI with a hook on the first SQL statement matching a pattern: pause there, or crash.

`python -m tests.reliability.hooked pause GATE PATTERN soleflip-args…` writes GATE/paused (holding
its pid) right after that statement, transaction open, and carries on when GATE/go exists.
`python -m tests.reliability.hooked crash PATTERN soleflip-args…` raises an unexpected error there
instead (a bug's traceback). Both use SQLAlchemy's public event API, so the command otherwise
runs exactly as `soleflip` would.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from soleflip_cli.cli import main

RELEASE_TIMEOUT_S = 300


class InjectedCrash(RuntimeError):
    """The unexpected failure a `crash` run raises (no SoleflipError: it must show a traceback)."""


def on_statement(pattern: re.Pattern[str], action: Callable[[], None]) -> None:
    """Run `action` once, right after the first statement matching `pattern` has executed."""
    done = {"yes": False}

    def hook(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if done["yes"] or not pattern.search(statement):
            return
        done["yes"] = True
        action()

    event.listen(Engine, "after_cursor_execute", hook)


def pause(gate: Path) -> None:
    """Say so in `gate`/paused and block until `gate`/go appears."""
    (gate / "paused").write_text(str(os.getpid()))
    deadline = time.monotonic() + RELEASE_TIMEOUT_S
    while not (gate / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("paused run was never released")
        time.sleep(0.02)


def crash() -> None:
    """Fail the way a bug would."""
    raise InjectedCrash("injected crash in the middle of a write")


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    if mode == "pause":
        gate_dir, statement, *arguments = rest
        on_statement(re.compile(statement, re.IGNORECASE), lambda: pause(Path(gate_dir)))
    else:
        statement, *arguments = rest
        on_statement(re.compile(statement, re.IGNORECASE), crash)
    sys.argv = ["soleflip", *arguments]
    main()
