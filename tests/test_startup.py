"""Start-up stays fast: the light commands import no heavy modules, and a command builds only its group."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from soleflip_cli.cli import GROUPS

HEAVY = ["pandas", "statsmodels", "alembic", "httpx", "numpy"]
PROBE = (
    "import sys, json\n"
    "from soleflip_cli.cli import app\n"
    "try:\n"
    "    app(args={args!r}, prog_name='soleflip')\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(json.dumps([m for m in {heavy!r} if m in sys.modules]), file=sys.stderr)\n"
)


def imported(args: list[str], modules: list[str]) -> list[str]:
    """Which of `modules` a fresh interpreter has imported after running the CLI with `args`."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=modules)],
        capture_output=True,
        text=True,
        check=False,
    )
    loaded: list[str] = json.loads(proc.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["config", "show"], ["import", "--help"]])
def test_light_commands_import_nothing_heavy(args: list[str]) -> None:
    loaded = imported(args, HEAVY)
    assert loaded == [], f"{args} imported {loaded}"


def test_a_command_imports_only_its_own_group() -> None:
    groups = [f"soleflip_cli.cli.{module}" for module in GROUPS.values()]
    assert imported(["inventory", "list", "--help"], groups) == ["soleflip_cli.cli.inventory"]
    assert imported(["--version"], groups) == []
    assert len(imported(["--help"], groups)) == len(GROUPS)  # the root help lists every group


@pytest.mark.parametrize("command", [["list", "--json"], ["aging"], ["value"], ["dead"]])
def test_stock_reports_skip_the_orm(tmp_path: Path, command: list[str]) -> None:
    """The read-only stock commands run on Core: no ORM, no models, no alembic on a current schema."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    upgrade = [sys.executable, "-m", "soleflip_cli", "--db", url, "db", "upgrade"]
    subprocess.run(upgrade, check=True, capture_output=True)
    modules = ["sqlalchemy.orm", "soleflip_cli.models", "alembic", *HEAVY]
    assert imported(["--db", url, "inventory", *command], modules) == []


@pytest.mark.parametrize(
    "command", [["summary"], ["breakdown", "--by", "month"], ["top"], ["tax", "--year", "2024"]]
)
def test_profit_reports_skip_the_orm(tmp_path: Path, command: list[str]) -> None:
    """The profit reports (breakdown without --plot) run on Core as well: no ORM, no models."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    upgrade = [sys.executable, "-m", "soleflip_cli", "--db", url, "db", "upgrade"]
    subprocess.run(upgrade, check=True, capture_output=True)
    modules = ["sqlalchemy.orm", "soleflip_cli.models", "alembic", *HEAVY]
    assert imported(["--db", url, "report", *command, "--json"], modules) == []
