"""Output formats, plain output rules and exit codes, through real commands."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest

from soleflip_cli import render
from soleflip_cli.errors import ExitCode
from tests.conftest import Cli


def test_version(cli_nodb: Cli) -> None:
    result = cli_nodb("--version")
    assert result.exit_code == 0 and result.stdout.startswith("soleflip ")


def test_help_documents_exit_codes(cli_nodb: Cli) -> None:
    result = cli_nodb("--help")
    assert result.exit_code == 0
    for code in (
        "0 ok",
        "1 error",
        "2 usage",
        "3 finished with",
        "4 authentication",
        "5 another",
        "130 interrupted",
        "143 terminated",
    ):
        assert code in " ".join(result.stdout.split())


@pytest.mark.parametrize("fmt", ["table", "json", "ndjson", "csv"])
def test_every_format(cli_nodb: Cli, fmt: str) -> None:
    result = cli_nodb("paths", "--format", fmt)
    assert result.exit_code == 0
    out = result.stdout
    if fmt == "json":
        assert set(json.loads(out)) == {"config_file", "data_dir", "database"}
    elif fmt == "ndjson":
        assert len(out.splitlines()) == 1 and json.loads(out)["database"].startswith("sqlite")
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert rows[0]["database"].startswith("sqlite")
    else:
        assert "database" in out and "\x1b[" not in out  # not a TTY: no colour codes


def test_format_env_and_json_shorthand(cli_nodb: Cli) -> None:
    assert json.loads(cli_nodb("paths", env={"SOLEFLIP_FORMAT": "json"}).stdout)
    assert json.loads(cli_nodb("paths", "--format", "csv", "--json").stdout)


def test_bad_format_is_usage_error(cli_nodb: Cli) -> None:
    result = cli_nodb("paths", "--format", "xml")
    assert result.exit_code == ExitCode.USAGE


def test_unknown_command_is_usage_error(cli_nodb: Cli) -> None:
    assert cli_nodb("frobnicate").exit_code == 2


def test_render_rows_formats_money_and_dates() -> None:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    rows = [
        {
            "price": Decimal("12.50"),
            "currency": "USD",
            "day": date(2024, 1, 2),
            "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            "name": "=HYPERLINK(1)",
        }
    ]
    cols = [render.Column(k) for k in rows[0]]
    out = io.StringIO()
    render.render_rows(rows, cols, render.OutputFormat.json, stream=out)
    assert json.loads(out.getvalue()) == [
        {
            "price": "12.50",
            "currency": "USD",
            "day": "2024-01-02",
            "at": "2024-01-02T03:04:05Z",
            "name": "=HYPERLINK(1)",
        }
    ]
    out = io.StringIO()
    render.render_rows(rows, cols, render.OutputFormat.csv, stream=out)
    assert out.getvalue().splitlines()[1] == "12.50,USD,2024-01-02,2024-01-02T03:04:05Z,'=HYPERLINK(1)"


def test_table_footer_and_plain_output() -> None:
    out = io.StringIO()
    render.render_rows(
        [{"a": "x", "n": 1}],
        [render.Column("a"), render.Column("n", numeric=True)],
        render.OutputFormat.table,
        footer={"a": "total", "n": 1},
        stream=out,
    )
    text = out.getvalue()
    assert "total" in text and "\x1b[" not in text and "─" not in text


class _ClosedPipe(io.StringIO):
    """stdout whose reader went away after the first write (`soleflip ... --json | head -c 1`)."""

    def write(self, text: str) -> int:
        if self.getvalue():
            raise BrokenPipeError
        return super().write(text)


@pytest.mark.parametrize("fmt", [f for f in render.OutputFormat if f is not render.OutputFormat.table])
def test_rows_are_closed_when_the_reader_goes_away(fmt: render.OutputFormat) -> None:
    """A generator's cleanup (its database cursor) runs before the caller's connection closes.

    (A table is printed in one write, after every row is read.)
    """
    closed: list[bool] = []

    def rows() -> Iterator[dict[str, object]]:
        try:
            for n in range(1000):
                yield {"id": n, "sku": "DD1391-100"}
        finally:
            closed.append(True)

    columns = [render.Column("id", "id"), render.Column("sku", "sku")]
    pending = rows()  # still referenced, as the command's traceback references it
    with pytest.raises(BrokenPipeError):
        render.render_rows(pending, columns, fmt, stream=_ClosedPipe())
    assert closed == [True]


def test_table_cells_are_text_not_markup() -> None:
    """`[database] url` in a doctor fix, `Dunk Low [Panda]` in a name: printed as written."""
    out = io.StringIO()
    rows = [{"name": "Dunk Low [Panda]", "fix": "set [database] url", "n": "[b]1[/b]"}]
    columns = [render.Column("name"), render.Column("fix"), render.Column("n")]
    render.render_rows(rows, columns, render.OutputFormat.table, footer={"n": "[red]"}, stream=out)
    text = out.getvalue()
    assert "Dunk Low [Panda]" in text and "set [database] url" in text and "[b]1[/b]" in text
    assert "[red]" in text
