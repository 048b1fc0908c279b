"""One writer per database: a second run gets LockedError (exit 5) naming the holder, or queues with wait."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import Engine

from soleflip_cli.errors import LockedError
from soleflip_cli.locking import run_lock


def test_second_writer_is_refused_and_told_who_holds_it(engine: Engine) -> None:
    with run_lock(engine, "sync"):
        for job in ("sync", "import", "db restore"):  # every bulk writer shares the one lock
            with pytest.raises(LockedError) as info:
                with run_lock(engine, job):
                    pass
            assert info.value.exit_code == 5
            assert str(info.value).startswith(f"another soleflip sync (pid {os.getpid()}) is running")
            assert "--wait" in str(info.value)
    with run_lock(engine, "import"):  # released
        pass


def test_wait_queues_behind_the_holder(engine: Engine) -> None:
    told: list[str] = []
    order: list[str] = []
    waiting = threading.Event()

    def second() -> None:
        def on_wait(message: str) -> None:
            told.append(message)
            waiting.set()

        with run_lock(engine, "import", wait=True, on_wait=on_wait):
            order.append("import")

    with run_lock(engine, "sync"):
        thread = threading.Thread(target=second)
        thread.start()
        assert waiting.wait(30)
        order.append("sync")
    thread.join(30)
    assert order == ["sync", "import"]
    assert told == [f"Waiting for another soleflip sync (pid {os.getpid()}) to finish…"]


def test_wait_gives_up_after_the_timeout(engine: Engine) -> None:
    with run_lock(engine, "sync"):
        with pytest.raises(LockedError) as info:
            with run_lock(engine, "import", wait=True, timeout_s=0):
                pass
    assert "still holds this database after the wait" in str(info.value)
