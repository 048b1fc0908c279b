"""Start-up stays fast: the light commands import no heavy modules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["config", "show"], ["import", "--help"]])
def test_light_commands_import_nothing_heavy(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=False,
    )
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert loaded == [], f"{args} imported {loaded}"
