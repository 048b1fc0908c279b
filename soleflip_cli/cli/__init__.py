"""The `soleflip` Typer application: global options and one sub-app per domain, built on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from functools import partial
from typing import Annotated, Any

import typer
import typer.core
import typer.main

from soleflip_cli import __version__
from soleflip_cli.cli._common import AppState, SoleflipGroup

EPILOG = (
    "Exit codes: 0 ok; 1 error (doctor: a check failed); 2 usage or configuration error; "
    "3 finished with findings (rows rejected, dead stock found with --fail-on-dead); "
    "4 authentication needed; 5 another soleflip run holds the lock; 130 interrupted (Ctrl-C); "
    "143 terminated (SIGTERM)."
)
# Command name -> module in soleflip_cli.cli holding its Typer `app`, in `--help` order. A run
# imports and builds only the group it invokes: Typer inspects every parameter of every command
# it builds, which for all groups costs more than many commands take to run.
GROUPS = {
    "import": "import_", "sync": "sync", "inventory": "inventory", "supplier": "supplier",
    "listing": "listing", "price": "price", "report": "report", "forecast": "forecast", "fx": "fx",
    "catalog": "catalog", "auth": "auth", "db": "db", "config": "config",
}  # fmt: skip
# Settings shared by the root app and the holders that build its groups one at a time.
_TYPER_SETTINGS: dict[str, Any] = {"pretty_exceptions_show_locals": False, "rich_markup_mode": None}


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands, some built by a loader on first lookup (iterating builds them all)."""

    def __init__(self, built: Mapping[str, Any], loaders: Mapping[str, Callable[[], Any]]) -> None:
        self._built = dict(built)
        self._loaders = {name: load for name, load in loaders.items() if name not in self._built}
        self._order = [*self._built, *self._loaders]

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = self._loaders.pop(name)()  # KeyError for an unknown name
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self:
            self._order.append(name)
        self._loaders.pop(name, None)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._built.pop(name, None)
        self._loaders.pop(name, None)
        self._order.remove(name)

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in self._loaders

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)


def _build(register: Callable[[typer.Typer], object], name: str) -> Any:
    """The click command `register` adds to an empty holder app, built as the root app builds its own."""
    holder = typer.Typer(add_completion=False, **_TYPER_SETTINGS)
    register(holder)
    command = typer.main.get_command(holder)
    return command.commands[name] if isinstance(command, typer.core.TyperGroup) else command


def _group(name: str) -> Any:
    module = importlib.import_module(f"soleflip_cli.cli.{GROUPS[name]}")
    return _build(lambda holder: holder.add_typer(module.app, name=name), name)


def _paths() -> Any:
    from soleflip_cli.cli import config as config_cli

    return _build(lambda holder: holder.command("paths")(config_cli.paths), "paths")


def _doctor() -> Any:
    from soleflip_cli.cli import doctor as doctor_cli

    return _build(lambda holder: holder.command("doctor")(doctor_cli.doctor), "doctor")


class RootGroup(SoleflipGroup):
    """The root command group: sub-command groups are imported and built when first looked up."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        loaders: dict[str, Callable[[], Any]] = {name: partial(_group, name) for name in GROUPS}
        loaders.update(paths=_paths, doctor=_doctor)
        self.commands = LazyCommands(self.commands, loaders)


app = typer.Typer(
    name="soleflip",
    cls=RootGroup,
    help="The back office of a sneaker reseller: inventory, imports, StockX sync, pricing, "
    "forecasts and profit reports.",
    epilog=EPILOG,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    **_TYPER_SETTINGS,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"soleflip {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", metavar="URL", help="Database URL (overrides SOLEFLIP_DATABASE_URL)."),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print only errors and the data asked for: no messages, progress or action summaries "
            "(also accepted after the command).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """soleflip: what do I own, what is it worth, what did I really earn after fees."""
    from soleflip_cli.render import set_quiet

    set_quiet(quiet)
    ctx.obj = AppState(overrides={"database_url": db})


def main() -> None:
    """Console-script entry point."""
    app(prog_name="soleflip")
