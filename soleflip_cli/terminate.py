"""SIGTERM (timeout, systemd, a container's stop) as an exit that runs cleanup, like Ctrl-C does."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is (cleanup, what was kept said) but exit 143."""


@contextmanager
def terminable() -> Iterator[None]:
    """SIGTERM raises Terminated in here, so `finally` blocks run (by default they do not).

    Only where SIGTERM has its default action and can be handled (in the main thread): temporary
    files are removed, a child process (pg_dump) is killed, the transaction rolls back.
    """
    default = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    if not default or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
