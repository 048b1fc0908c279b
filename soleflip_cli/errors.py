"""Expected failures and the exit codes they map to."""

from __future__ import annotations

from enum import IntEnum

from soleflip_cli.terminate import Terminated


class ExitCode(IntEnum):
    """Documented process exit codes."""

    OK = 0
    ERROR = 1
    USAGE = 2
    FINDINGS = 3
    AUTH = 4
    LOCKED = 5
    INTERRUPTED = 130
    TERMINATED = 143


class SoleflipError(Exception):
    """An expected failure: its message says what happened and what to do next."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\nTip: {self.hint}"


class UsageError(SoleflipError):
    """The command line asked for something impossible (exit 2)."""

    exit_code = ExitCode.USAGE


class FileFormatError(UsageError):
    """A file's export format cannot be told from its header; only that file is refused (exit 2)."""


class FileReadError(SoleflipError):
    """The operating system refused to read a file (permission denied, a device error) (exit 1)."""


class ConfigError(SoleflipError):
    """A configuration file or value is malformed (exit 2)."""

    exit_code = ExitCode.USAGE


class NotFoundError(SoleflipError):
    """A referenced record does not exist (exit 1)."""


class DatabaseError(SoleflipError):
    """The database cannot be opened, migrated or written (exit 1)."""


class BackupError(SoleflipError):
    """A backup, restore, export or copy could not be done; the target was left as it was (exit 1)."""


class FindingsError(SoleflipError):
    """The command finished but found problems the caller asked to fail on (exit 3)."""

    exit_code = ExitCode.FINDINGS


class InterruptedRunError(SoleflipError):
    """Ctrl-C stopped a command part way; the message says what was kept (exit 130)."""

    exit_code = ExitCode.INTERRUPTED


class TerminatedRunError(InterruptedRunError):
    """SIGTERM stopped a command part way; the message says what was kept (exit 143)."""

    exit_code = ExitCode.TERMINATED


def interruption(stop: KeyboardInterrupt) -> tuple[str, type[InterruptedRunError]]:
    """How a run stopped is told: 'terminated' (exit 143) for SIGTERM, else 'interrupted' (130)."""
    if isinstance(stop, Terminated):
        return "terminated", TerminatedRunError
    return "interrupted", InterruptedRunError


class AuthError(SoleflipError):
    """Authentication is missing or was refused (exit 4)."""

    exit_code = ExitCode.AUTH


class LockedError(SoleflipError):
    """Another soleflip run holds the lock (exit 5)."""

    exit_code = ExitCode.LOCKED


class ApiError(SoleflipError):
    """A remote API failed in a way retries could not fix (exit 1)."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class ReplyError(ApiError):
    """A remote API answered with a success status but a reply soleflip cannot read (exit 1).

    A write that got such a reply was accepted, so its outcome is unknown rather than refused.
    """
