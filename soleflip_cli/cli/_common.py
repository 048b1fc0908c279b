"""Shared CLI plumbing: the format options, settings and database access, error -> exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
import typer.core

from soleflip_cli.errors import SoleflipError, UsageError
from soleflip_cli.render import OutputFormat

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session

    from soleflip_cli.config import LoadedSettings

FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        envvar="SOLEFLIP_FORMAT",
        help="Output format: table, json, ndjson or csv.",
        case_sensitive=False,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Shorthand for --format json.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking (for scripts).")]
WaitOption = Annotated[
    bool,
    typer.Option("--wait", help="Queue behind another soleflip run writing this database instead of exit 5."),
]
# A manual change waits this long for a run that writes the database (an import, a sync) before exit 5.
MANUAL_GRACE_S = 10.0
ManualWaitOption = Annotated[
    bool,
    typer.Option(
        "--wait",
        help="While another soleflip run (an import, a sync, …) writes this database, queue behind it "
        f"until it is done; without --wait the change waits up to {MANUAL_GRACE_S:g} s, then exits 5.",
    ),
]


def output_format(fmt: OutputFormat | None, as_json: bool) -> OutputFormat:
    """The chosen format: --json wins, then --format / SOLEFLIP_FORMAT, else table."""
    if as_json:
        return OutputFormat.json
    return fmt or OutputFormat.table


@dataclass
class AppState:
    """Per-invocation state: global flags and lazily created settings and engine."""

    overrides: dict[str, Any] = field(default_factory=dict)
    _loaded: LoadedSettings | None = None
    _engine: Engine | None = None

    @property
    def loaded(self) -> LoadedSettings:
        """Settings (with paths and sources), loaded on first use."""
        if self._loaded is None:
            from soleflip_cli.config import load_settings

            self._loaded = load_settings(self.overrides)
        return self._loaded

    def database_url(self) -> str:
        """The configured URL, else the embedded SQLite file in the data dir."""
        return self.loaded.database_url()

    def engine(self, *, migrate: bool = True) -> Engine:
        """The engine, with the schema migrated to head on first use (said on stderr)."""
        if self._engine is None:
            from soleflip_cli import db, render

            self._engine = db.make_engine(self.database_url())
            if migrate:
                db.ensure_schema(self._engine, render.info)
        return self._engine

    @contextmanager
    def scratch(self) -> Iterator[None]:
        """While the block runs, the engine is a throwaway SQLite database, removed afterwards."""
        import tempfile

        from soleflip_cli import db

        with tempfile.TemporaryDirectory(prefix="soleflip-scratch-") as directory:
            engine = db.make_engine(f"sqlite:///{directory}/scratch.db")
            try:
                db.ensure_schema(engine, lambda _: None)
                self._engine = engine
                yield
            finally:
                engine.dispose()
                self._engine = None

    def dispose(self) -> None:
        """Close pooled connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def state(ctx: typer.Context) -> AppState:
    """The AppState of this invocation (created by the root callback)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


@contextmanager
def session(ctx: typer.Context) -> Iterator[Session]:
    """A unit of work on the configured database: committed on success, rolled back otherwise."""
    from soleflip_cli.db import session_scope

    with session_scope(state(ctx).engine()) as db_session:
        yield db_session


@contextmanager
def reading(ctx: typer.Context) -> Iterator[Connection]:
    """A read-only unit of work on the configured database, without the ORM (see db.connection_scope)."""
    from soleflip_cli.db import connection_scope

    with connection_scope(state(ctx).engine()) as conn:
        yield conn


def writer_lock(
    engine: Engine, job: str, wait: bool, *, grace_s: float = 0.0
) -> AbstractContextManager[None]:
    """The database's writer lock for `job`: exit 5 when taken (after `grace_s`), or queue with --wait.

    Waiting is said on stderr.
    """
    from soleflip_cli import locking, render

    return locking.run_lock(engine, job, wait=wait, grace_s=grace_s, on_wait=render.info)


@contextmanager
def manual_write(ctx: typer.Context, job: str, wait: bool) -> Iterator[Session]:
    """A unit of work for a small manual change, under the writer lock so it never interleaves with an
    import or a sync (their products, pairs and sales are its rows too): it waits up to
    MANUAL_GRACE_S for one, or with --wait until it is done."""
    with writer_lock(state(ctx).engine(), job, wait, grace_s=MANUAL_GRACE_S), session(ctx) as db_session:
        yield db_session


def stdin_is_terminal() -> bool:
    """Whether stdin is a terminal to ask on (it may be closed: `<&-` leaves sys.stdin None)."""
    return sys.stdin is not None and sys.stdin.isatty()


def stdin() -> TextIO:
    """stdin to read from; closed (`<&-`), a usage error."""
    if sys.stdin is None:
        raise UsageError("stdin is closed, so there is nothing to read", hint="pipe the input in")
    return sys.stdin


def require_tty_or_yes(yes: bool, action: str) -> None:
    """Refuse to prompt without a terminal: scripts must pass --yes."""
    if not yes and not stdin_is_terminal():
        raise UsageError(f"{action} needs confirmation; stdin is not a terminal, so pass --yes")


def confirm(question: str, yes: bool) -> bool:
    """Ask on a terminal (default no); --yes answers yes; no terminal without --yes is an error."""
    if yes:
        return True
    require_tty_or_yes(yes, question)
    return typer.confirm(question, default=False, err=True)


QUIET_FLAGS = ("--quiet", "-q")


class SoleflipGroup(typer.core.TyperGroup):
    """Root group: turns SoleflipError and Ctrl-C into a message and a documented exit code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Also take the global --quiet/-q after the command (`soleflip sync stockx --quiet`)."""
        end = args.index("--") if "--" in args else len(args)
        head = [a for a in args[:end] if a not in QUIET_FLAGS]
        if len(head) < end:
            args = ["--quiet", *head, *args[end:]]
        result: list[str] = super().parse_args(ctx, args)
        return result

    def invoke(self, ctx: Any) -> Any:
        """Run the command, mapping expected failures to exit codes in one place."""
        from soleflip_cli import render
        from soleflip_cli.errors import interruption
        from soleflip_cli.terminate import terminable

        try:
            with terminable():  # SIGTERM cleans up as Ctrl-C does: no partial backup is left behind
                return super().invoke(ctx)
        except SoleflipError as exc:
            render.error(str(exc))
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt as stop:
            word, error = interruption(stop)
            render.error(f"{word}; nothing half-written was kept")
            raise typer.Exit(int(error.exit_code)) from None
        finally:
            if isinstance(ctx.obj, AppState):
                ctx.obj.dispose()
