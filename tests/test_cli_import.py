"""`soleflip import csv` and `import history` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from soleflip_cli import db, locking
from soleflip_cli.errors import ExitCode
from soleflip_cli.models import InventoryItem, Sale
from soleflip_cli.services.import_ import import_file
from tests.conftest import Cli
from tests.dbtools_data import scratch_database
from tests.importers.conftest import FIXTURES

STOCKX = str(FIXTURES / "stockx-2025.csv")
PURCHASES = str(FIXTURES / "purchases.csv")


def _flat(text: str) -> str:
    """Messages on one line, without the first-use schema notice."""
    return " ".join(text.replace("Creating the database schema", "").split())


def test_json_shape_and_reimport(cli: Cli) -> None:
    result = cli("import", "csv", STOCKX, "--json")
    assert (result.exit_code, _flat(result.stderr)) == (0, "")
    assert json.loads(result.stdout) == {
        "file": STOCKX,
        "format": "stockx",
        "rows": 5,
        "inserted": 5,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "errors": [],
        "error_count": 0,
        "batch_id": 1,
    }
    again = cli("import", "csv", STOCKX, "--json")
    assert json.loads(again.stdout)["unchanged"] == 5 and json.loads(again.stdout)["batch_id"] == 2
    assert "the same file was imported in batch 1" in _flat(again.stderr)


def test_several_files_give_an_array_and_matching_is_reported(cli: Cli) -> None:
    result = cli("import", "csv", PURCHASES, STOCKX, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [(d["format"], d["inserted"], d["batch_id"]) for d in data] == [
        ("purchases", 4, 1),
        ("stockx", 5, 2),
    ]
    assert "2 sales matched to pairs in stock" in _flat(result.stderr)


def test_table_output(cli: Cli) -> None:
    result = cli("import", "csv", STOCKX)
    assert result.exit_code == 0
    assert "stockx" in result.stdout and "inserted" in result.stdout and "\x1b[" not in result.stdout


def test_stdin_and_cp1252(cli: Cli) -> None:
    text = "sku,size,cost,currency,purchase date,notes\nDD1391-100,10,110,EUR,2024-03-01,Größe\n"
    result = cli("import", "csv", "-", "--json", input=text.encode("cp1252"))  # type: ignore[arg-type]
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["file"] == "<stdin>"
    assert "Warning: <stdin> is not UTF-8; read it as Windows-1252 (cp1252)" in _flat(result.stderr)


def test_bad_rows_exit_3_with_errors_and_nothing_written(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    lines = ["sku,size,cost,currency,purchase date"]
    lines += [f"DD1391-100,10,{'abc' if n % 2 else '110'},USD,2024-03-{n % 28 + 1:02d}" for n in range(50)]
    bad.write_text("\n".join(lines) + "\n")
    result = cli("import", "csv", str(bad), "--json")
    assert result.exit_code == ExitCode.FINDINGS
    data = json.loads(result.stdout)
    assert (data["rows"], data["inserted"], data["rejected"], data["batch_id"]) == (50, 0, 25, None)
    assert (len(data["errors"]), data["error_count"]) == (20, 25)  # the first 20 shown, all counted
    assert data["errors"][0] == {"line": 3, "column": "cost", "message": "not an amount of money: 'abc'"}
    assert _flat(result.stderr) == _flat(
        f"Error: {bad}: 25 bad rows; nothing was imported from it "
        "Tip: fix the rows listed above, or pass --skip-bad-rows to import the good ones"
    )
    table = cli("import", "csv", str(bad))
    assert "Errors in bad.csv" in table.stdout and "not an amount of money" in table.stdout
    assert "showing the first 20 of 25 errors" in _flat(table.stderr)
    skipped = cli("import", "csv", str(bad), "--skip-bad-rows", "--json")
    assert skipped.exit_code == ExitCode.FINDINGS
    assert (json.loads(skipped.stdout)["inserted"], json.loads(skipped.stdout)["rejected"]) == (25, 25)
    assert _flat(skipped.stderr) == f"Warning: {bad}: 25 bad rows skipped, the 25 good rows were imported"


def test_skip_bad_rows_with_no_good_row_is_an_error(cli: Cli, tmp_path: Path) -> None:
    """Nothing imported is no 'Warning: the good rows were imported', even with --skip-bad-rows."""
    path = tmp_path / "all-bad.csv"
    path.write_text("sku,size,cost,purchase_date\nDD1391-100,banana,110,2024-03-01\n", encoding="utf-8")
    result = cli("import", "csv", str(path), "--skip-bad-rows")
    assert result.exit_code == ExitCode.FINDINGS
    assert _flat(result.stderr).endswith(f"Error: {path}: all 1 rows are bad; nothing was imported from it")


def test_dry_run(cli: Cli) -> None:
    result = cli("import", "csv", STOCKX, "--dry-run", "--json")
    assert result.exit_code == 0
    assert (json.loads(result.stdout)["inserted"], json.loads(result.stdout)["batch_id"]) == (5, None)
    assert "dry run, nothing was written" in _flat(result.stderr)
    history = cli("import", "history", "--json")
    assert json.loads(history.stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere.csv"], "nowhere.csv: no such file"),
        ([STOCKX, "--format", "xml"], "unknown --format 'xml'; choose one of auto, stockx"),
        ([STOCKX, "--format", "json"], "unknown --format 'json' (the output format is -o/--output here)"),
        (["-", "-"], "stdin (-) can be read only once"),
        ([STOCKX, "--mapping", "shopify"], "no mapping named 'shopify' (none configured)"),
    ],
)
def test_usage_errors(cli: Cli, args: list[str], message: str) -> None:
    result = cli("import", "csv", *args)
    assert result.exit_code == ExitCode.USAGE and message in _flat(result.stderr)


def test_unknown_format_lists_formats_and_header(cli: Cli, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("when,what,how much\n2024-01-01,shoes,10\n")
    result = cli("import", "csv", str(odd))
    assert result.exit_code == ExitCode.USAGE
    assert "cannot tell the export format from the header ('when', 'what', 'how much')" in _flat(
        result.stderr
    )
    assert "known formats: stockx, alias" in _flat(result.stderr)


def test_empty_file_is_reported_per_file(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = cli("import", "csv", str(empty), STOCKX, "--json")
    assert result.exit_code == ExitCode.FINDINGS
    data = json.loads(result.stdout)
    assert data[0]["errors"] == [{"line": 1, "column": None, "message": "the file is empty"}]
    assert data[1]["inserted"] == 5
    assert _flat(result.stderr) == f"Error: {empty}: the file is empty; nothing was imported from it"


def test_history(cli: Cli) -> None:
    cli("import", "csv", STOCKX)
    result = cli("import", "history", "--json")
    assert result.exit_code == 0
    [batch] = json.loads(result.stdout)
    assert {k: batch[k] for k in ("batch_id", "file", "format", "target", "status", "rows", "inserted")} == {
        "batch_id": 1,
        "file": STOCKX,
        "format": "stockx",
        "target": "sales",
        "status": "done",
        "rows": 5,
        "inserted": 5,
    }
    assert len(batch["sha256"]) == 64 and batch["finished_at"].endswith("Z")
    assert batch["exported_at"] is None  # the fixture's name carries no export time


def test_concurrent_import_exits_5(cli: Cli, db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        with locking.run_lock(engine, "import"):
            result = cli("import", "csv", STOCKX)
    finally:
        engine.dispose()
    assert result.exit_code == ExitCode.LOCKED
    assert "another soleflip import (pid " in result.stderr


def test_interrupt_mid_file_leaves_the_database_unchanged(db_url: str, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    rows = [f"DD1391-100,{4 + n % 20 / 2:g},110,USD,2024-03-{n % 28 + 1:02d}" for n in range(5000)]
    big.write_text("sku,size,cost,currency,purchase date\n" + "\n".join(rows) + "\n")
    engine = db.make_engine(db_url)
    db.ensure_schema(engine, lambda _: None)

    def interrupt(line: int, total: int) -> None:
        raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt), db.session_scope(engine) as session:
            import_file(session, big, progress=interrupt)
        with db.session_scope(engine) as session:
            assert session.scalar(select(func.count()).select_from(InventoryItem)) == 0
            assert session.scalar(select(func.count()).select_from(Sale)) == 0
    finally:
        engine.dispose()


def test_packaged_demo_files_import_cleanly(cli: Cli) -> None:
    samples = resources.files("soleflip_cli") / "samples"
    purchases, sales = str(samples / "demo-purchases.csv"), str(samples / "demo-stockx-sales.csv")
    result = cli("import", "csv", purchases, sales, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(d["format"], d["rows"], d["inserted"], d["rejected"]) for d in data] == [
        ("purchases", 22, 22, 0),
        ("stockx", 15, 15, 0),
    ]
    assert "14 sales matched to pairs in stock" in _flat(result.stderr)


def test_generic_mapping_from_config(cli: Cli) -> None:
    home = Path(os.environ["SOLEFLIP_HOME"])
    (home / "config.toml").write_text(
        "[import.mappings.shop]\n"
        'platform = "shopify"\n'
        'date_format = "%Y-%m-%d %H:%M:%S %z"\n'
        'columns = { external_id = "Name", sold_at = "Created at", sku = "Lineitem sku", '
        'item_name = "Lineitem name", size = "Size", sale_price = "Lineitem price", payout = "Payout", '
        'currency = "Currency" }\n'
    )
    path = str(FIXTURES / "generic-sales.csv")
    result = cli("import", "csv", path, "--mapping", "shop", "--json")
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["format"], json.loads(result.stdout)["inserted"]) == ("generic:shop", 3)
    assert json.loads(cli("import", "csv", path, "--json").stdout)["unchanged"] == 3  # auto finds the mapping
    assert cli("import", "csv", path, "--format", "stockx", "--mapping", "shop").exit_code == ExitCode.USAGE


def test_input_formats_match_the_importers() -> None:
    from soleflip_cli.cli.import_ import INPUT_FORMATS
    from soleflip_cli.importers import FORMATS

    assert INPUT_FORMATS == FORMATS


def test_header_only_file_warns_and_succeeds(cli: Cli, tmp_path: Path) -> None:
    header_only = tmp_path / "empty-report.csv"
    header_only.write_text((FIXTURES / "stockx-2025.csv").read_text(encoding="utf-8").splitlines()[0] + "\n")
    result = cli("import", "csv", str(header_only), "--json")
    assert result.exit_code == 0
    assert (json.loads(result.stdout)["format"], json.loads(result.stdout)["rows"]) == ("stockx", 0)
    assert "has a header but no data rows; nothing to import" in _flat(result.stderr)


def test_missing_required_column_rejects_the_file(cli: Cli, tmp_path: Path) -> None:
    text = (FIXTURES / "stockx-2025.csv").read_text(encoding="utf-8")
    no_payout = tmp_path / "no-payout.csv"
    no_payout.write_text(text.replace("Total Gross Amount (Total Payout),", "Gross,", 1))
    result = cli("import", "csv", str(no_payout), "--json")
    assert result.exit_code == ExitCode.FINDINGS
    data = json.loads(result.stdout)
    assert (data["format"], data["rows"], data["batch_id"]) == ("stockx", 0, None)
    assert data["errors"] == [
        {"line": 1, "column": "Total Gross Amount (Total Payout)", "message": "required column is missing"}
    ]
    assert _flat(result.stderr) == (
        f"Error: {no_payout}: column 'Total Gross Amount (Total Payout)': required column is missing; "
        "nothing was imported from it"
    )


def test_a_dry_run_before_any_import_leaves_no_database(cli_nodb: Cli) -> None:
    home = Path(os.environ["SOLEFLIP_HOME"])
    result = cli_nodb("import", "csv", STOCKX, "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == 5  # counted against an empty database
    assert not list(home.rglob("*.db")) and not list(home.rglob("*.db-*"))
    assert "Creating the database schema" not in result.stderr
    assert cli_nodb("import", "csv", STOCKX, "--json").exit_code == 0  # the real import creates it
    assert list(home.rglob("*.db"))
    again = cli_nodb("import", "csv", STOCKX, "--dry-run", "--json")
    assert json.loads(again.stdout)["unchanged"] == 5  # an existing database is the one dry-run reads


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_dry_run_on_a_database_without_a_schema_creates_none(kind: str, tmp_path: Path) -> None:
    with scratch_database(kind, tmp_path) as url:
        engine = db.make_engine(url)
        with engine.connect():  # the database exists (an empty SQLite file, a new PostgreSQL database)
            pass
        result = Cli(url)("import", "csv", STOCKX, "--dry-run", "--json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["inserted"] == 5
        assert inspect(engine).get_table_names() == []
        engine.dispose()


def test_a_dry_run_leaves_an_empty_database_file_empty(tmp_path: Path) -> None:
    """`touch soleflip.db` then a dry run: the file stays 0 bytes (opening it wrote a WAL header)."""
    empty = tmp_path / "soleflip.db"
    empty.touch()
    result = Cli(f"sqlite:///{empty}")("import", "csv", STOCKX, "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == 5
    assert empty.stat().st_size == 0 and not list(tmp_path.glob("soleflip.db-*"))


def test_output_formats_one_record_per_file(cli: Cli, tmp_path: Path) -> None:
    """-o csv and -o ndjson: one line per file, the errors as JSON and their full count beside them."""
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,size,cost,purchase date\n" + "DD1391-100,10,abc,2024-03-01\n" * 25)
    as_csv = cli("import", "csv", STOCKX, str(bad), "-o", "csv")
    assert as_csv.exit_code == ExitCode.FINDINGS
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(Path(r["file"]).name, r["inserted"], r["error_count"]) for r in rows] == [
        ("stockx-2025.csv", "5", "0"),
        ("bad.csv", "0", "25"),
    ]
    assert len(json.loads(rows[1]["errors"])) == 20  # the first 20 shown, all 25 counted
    as_ndjson = cli("import", "csv", STOCKX, "-o", "ndjson")
    assert [json.loads(line)["unchanged"] for line in as_ndjson.stdout.splitlines()] == [5]
