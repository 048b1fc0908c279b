"""Run a file's parsing in forked processes while this one writes: reading and storing overlap.

Each child gets a copy of this process (importer, options, file) by fork and sends back plain
messages through a pipe (see `started`), then what its work returned. An exception in a child is
raised here (KeyboardInterrupt included); a child that dies without a word raises WorkerError.
Here, any exception (Ctrl-C while waiting, a database error) kills the children before it
propagates, so nothing is left running and the caller's transaction rolls back.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any, cast

PIPE_BYTES = 1 << 20  # the pipe's buffer (Linux lets it grow to 1 MiB): the child runs chunks ahead


class WorkerError(RuntimeError):
    """The parsing process failed in a way that could not be sent back (killed, out of memory)."""


def cores() -> int:
    """CPUs this process may run on (its affinity, which containers and taskset narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return os.cpu_count() or 1


def available() -> bool:
    """Whether forking pays and is safe: Linux (macOS forks are unsafe with its libraries), 2+ CPUs."""
    return sys.platform == "linux" and hasattr(os, "fork") and cores() > 1


Work = Callable[[Callable[[Any], None]], Any]


Collect = Callable[[Callable[[int, Any], None]], list[Any]]


@contextlib.contextmanager
def started(works: Sequence[Work]) -> Iterator[Collect]:
    """Each `works[i](send)` in a child forked now; the `collect(receive)` yielded takes their messages.

    `send(message)` in child i is `receive(i, message)` here, in its order, once `collect` runs (the
    caller may do other work first: messages wait in the pipes); `collect` returns the works' results,
    in order. Leaving the block kills the children still running, collected or not.
    """
    pids: list[int] = []
    readers: dict[Connection, int] = {}
    try:
        for index, work in enumerate(works):
            reader, writer = Pipe(duplex=False)
            with contextlib.suppress(OSError, AttributeError):  # best effort: a bigger pipe, fewer stalls
                import fcntl

                fcntl.fcntl(writer.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            _fork(work, writer, (reader, *readers), pids)
            writer.close()
            readers[reader] = index
        yield lambda receive: _collect(readers, receive)
    finally:
        for reader in readers:
            reader.close()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # done children are exiting anyway
            os.waitpid(pid, 0)


def _collect(readers: dict[Connection, int], receive: Callable[[int, Any], None]) -> list[Any]:
    """Every child's messages to `receive` until each has sent its result; the results, in order."""
    results: dict[int, Any] = {}
    count = len(readers)
    while readers:
        for ready in wait(list(readers)):
            reader = cast(Connection, ready)
            index = readers[reader]
            try:
                kind, payload = reader.recv()
            except EOFError:
                raise WorkerError("the import's parsing process stopped without finishing") from None
            if kind == "item":
                receive(index, payload)
            elif kind == "done":
                results[index] = payload
                del readers[reader]
                reader.close()
            else:
                raise payload
    return [results[i] for i in range(count)]


def _fork(work: Work, writer: Connection, others: Sequence[Connection], pids: list[int]) -> None:
    """Fork a child doing `work`, its pid added to `pids`. Ctrl-C and SIGTERM wait until that is done.

    A KeyboardInterrupt (or terminate.Terminated) raised in the child before it is inside `_child`
    would unwind through this process's code (its finally blocks, its transaction) in the child;
    one raised here between fork and the pid being recorded would leave the child unkilled.
    """
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        pid = os.fork()
        if pid:
            pids.append(pid)
        else:  # pragma: no cover - the child (its work is covered through the results)
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                for other in others:
                    other.close()
                _child(work, writer)
            finally:
                os._exit(1)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _child(work: Work, writer: Connection) -> None:  # pragma: no cover
    """Do the work, send its result or its exception, and leave without running any cleanup.

    os._exit skips atexit handlers and finalizers, which belong to the parent: its database
    connection, inherited here, must not be closed or written to by this process.
    """
    gc.freeze()  # inherited objects stay untouched (never scanned, their pages never copied)
    code = 0
    try:
        result = work(lambda message: writer.send(("item", message)))
        writer.send(("done", result))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        code = 1
        with contextlib.suppress(BaseException):
            writer.send(("raise", _portable(exc)))
    finally:
        os._exit(code)


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it pickles, else a WorkerError with its traceback."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
    except Exception:  # noqa: BLE001 - whatever stops it from pickling
        text = "".join(traceback.format_exception(exc))
        return WorkerError(f"the import's parsing process failed:\n{text}")
    return exc
