"""`soleflip doctor`: check the keyring, database, migrations, StockX login and clock; print the fixes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from soleflip_cli.cli._common import FormatOption, JsonOption, output_format, state
from soleflip_cli.errors import SoleflipError
from soleflip_cli.render import Column, OutputFormat

COLUMNS = [Column("name", "check"), Column("status"), Column("detail"), Column("fix")]


def doctor(
    ctx: typer.Context,
    offline: Annotated[
        bool, typer.Option("--offline", help="Skip the checks that call StockX (login, clock).")
    ] = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check that soleflip can run unattended, and print a fix for each problem.

    Checks: config (the file parses), secrets (OS keyring, or the encrypted file: readable with
    SOLEFLIP_SECRET_KEY and mode 600), database (reachable; SQLite writable), migrations (at
    head), stockx_login (one small authenticated call; skipped when not logged in or offline)
    and clock (against the StockX auth server's Date header). Each ends ok, warn, fail or skip.
    Exit 0 when nothing failed (warnings included), 1 when a check failed. Never prints a secret.

    Example: soleflip doctor --json
    """
    from soleflip_cli import render
    from soleflip_cli.services.doctor import diagnose, failed

    checks = diagnose(state(ctx).overrides, offline=offline)
    rows = [asdict(check) for check in checks]
    chosen = output_format(fmt, as_json)
    if chosen is OutputFormat.json:
        render.emit_json({"ok": not failed(checks), "checks": rows})
    else:
        render.render_rows(rows, COLUMNS, chosen, title="soleflip doctor")
    problems = failed(checks)
    if problems:
        names = ", ".join(check.name for check in problems)
        raise SoleflipError(f"{len(problems)} check(s) failed: {names}", hint="run the fix shown for each")
