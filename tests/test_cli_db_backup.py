"""`soleflip db backup|restore|export|copy` end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import json
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, insert, update

from soleflip_cli import db
from soleflip_cli.errors import ExitCode
from soleflip_cli.models import Product, Sale, Supplier
from tests.conftest import Cli
from tests.dbtools_data import BIG, TEXTS, contents, money_sums, scratch_database, seed

SUMMARY_KEYS = {
    "action",
    "source",
    "target",
    "format",
    "schema_revision",
    "tables",
    "rows",
    "bytes",
    "duration_s",
}


def _kind(url: str) -> str:
    return "postgres" if url.startswith("postgresql") else "sqlite"


def _ok(result_json: str, **expected: object) -> dict[str, object]:
    summary = json.loads(result_json)
    assert set(summary) == SUMMARY_KEYS
    for key, value in expected.items():
        assert summary[key] == value, key
    assert summary["bytes"] > 0 and summary["duration_s"] >= 0
    return summary


@pytest.mark.parametrize("portable", [False, True], ids=["native", "portable"])
@pytest.mark.parametrize("target_kind", ["sqlite", "postgres"])
def test_backup_restore_round_trip(
    cli: Cli, db_url: str, tmp_path: Path, portable: bool, target_kind: str
) -> None:
    rows = seed(db_url)
    file = tmp_path / ("backup.zip" if portable else "backup.bak")
    backup = cli("db", "backup", str(file), "--json", *(["--portable"] if portable else []))
    assert backup.exit_code == 0, backup.stderr
    native = "sqlite" if _kind(db_url) == "sqlite" else "pg_dump"
    summary = _ok(backup.stdout, action="backup", format="portable" if portable else native, rows=rows)
    assert summary["schema_revision"] == db.head_revision()
    assert {"name": "sale_fees", "rows": 108} in summary["tables"]  # type: ignore[operator]
    assert "Backing up" in backup.stderr
    with scratch_database(target_kind, tmp_path) as target:
        restored = Cli(target)("db", "restore", str(file), "--json")
        if native == "pg_dump" and not portable and target_kind == "sqlite":
            assert restored.exit_code == ExitCode.ERROR
            assert "restores only into PostgreSQL" in restored.stderr
            return
        assert restored.exit_code == 0, restored.stderr
        _ok(restored.stdout, action="restore", rows=rows, source=str(file))
        assert contents(target) == contents(db_url)
        assert money_sums(target) == money_sums(db_url)
        for report in (["summary"], ["breakdown", "--by", "month"], ["tax", "--year", "2024"]):
            before, after = cli("report", *report, "--json"), Cli(target)("report", *report, "--json")
            assert before.exit_code == after.exit_code == 0, after.stderr
            assert json.loads(after.stdout) == json.loads(before.stdout)
        assert json.loads(before.stdout)["totals"]["gross"] == "123456796683.99"  # the big sale is exact
        # Sequences continue after the restored ids (PostgreSQL) and new rows still go in.
        engine = db.make_engine(target)
        with engine.begin() as conn:
            new_id = conn.execute(
                insert(Product).returning(Product.id), [{"product_key": "NEW-1"}]
            ).scalar_one()
        engine.dispose()
        assert new_id == 13


def test_export_writes_escaped_csv_and_restores_exactly(cli: Cli, db_url: str, tmp_path: Path) -> None:
    seed(db_url)
    engine = db.make_engine(db_url)
    with engine.begin() as conn:  # past csv's 128 KiB field limit, which restore must not leave raised
        conn.execute(update(Supplier).where(Supplier.id == 2).values(notes="x" * 300_000))
    engine.dispose()
    out = tmp_path / "export"
    result = cli("db", "export", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    _ok(result.stdout, action="export", format="csv", rows=405, target=str(out))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_revision"] == db.head_revision()
    for entry in manifest["tables"]:
        data = (out / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
    with (out / "products.csv").open(encoding="utf-8", newline="") as handle:
        products = list(csv.DictReader(handle))
    assert list(products[0])[:3] == ["id", "product_key", "sku"]
    names = [p["name"] for p in products]
    assert names[:5] == ["''quoted", "'''", "'", 'two\nlines, "quoted"', "Ünïcødé 👟"]
    assert '\'=HYPERLINK("http://evil.example","click")' in names and "-5" in names and "'+49 shoe" in names
    assert "" in names  # NULL
    assert not any(n[:1] in "=+@" for n in names if n)
    assert (
        products[0]["retail_price"] == "111.00" and products[0]["created_at"] == "2024-03-01T12:01:00.123456Z"
    )
    again = cli("db", "export", str(out))
    assert again.exit_code == ExitCode.ERROR and "already exists" in again.stderr
    assert cli("db", "export", str(out), "--force").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no partial/old dirs
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["tables"] == manifest["tables"]
    with scratch_database("sqlite", tmp_path) as target:
        assert Cli(target)("db", "restore", str(out)).exit_code == 0
        assert contents(target) == contents(db_url)
    assert csv.field_size_limit() == 131072


def test_copy_sqlite_to_postgres_and_back_is_exact(tmp_path: Path) -> None:
    with scratch_database("postgres", tmp_path) as pg_url:
        source = f"sqlite:///{tmp_path / 'source.db'}"
        rows = seed(source)
        result = Cli(source)("db", "copy", "--to", pg_url, "--batch-size", "7", "--json")
        assert result.exit_code == 0, result.stderr
        _ok(result.stdout, action="copy", format="database", rows=rows)
        copied = contents(pg_url)
        assert copied == contents(source)
        sale = dict(zip(Sale.__table__.columns.keys(), copied["sales"][0], strict=True))
        assert sale["sale_price"] == BIG and str(sale["sale_price"]) == "123456789012.34"
        assert str(sale["fees_total"]) == "21.37" and str(sale["payout"]) == "123456788990.97"
        assert sale["sold_at"] == datetime(2024, 3, 1, 13, 0, 0, 123457, tzinfo=UTC)
        assert sale["sold_at"].utcoffset() == timedelta(0)
        assert [p[3] for p in copied["products"]] == [TEXTS[i % len(TEXTS)] for i in range(1, 13)]
        refused = Cli(source)("db", "copy", "--to", pg_url)
        assert refused.exit_code == ExitCode.ERROR and "already holds 405 rows" in refused.stderr
        assert Cli(source)("db", "copy", "--to", pg_url, "--force").exit_code == ExitCode.USAGE
        assert Cli(source)("db", "copy", "--to", pg_url, "--force", "--yes").exit_code == 0
        back = f"sqlite:///{tmp_path / 'back.db'}"
        assert Cli(pg_url)("db", "copy", "--to", back).exit_code == 0
        assert contents(back) == copied


def test_restore_refuses_a_database_with_rows(cli: Cli, db_url: str, tmp_path: Path) -> None:
    seed(db_url, products=3)
    file = tmp_path / "small.zip"
    assert cli("db", "backup", str(file), "--portable").exit_code == 0
    seed_target = f"sqlite:///{tmp_path / 'target.db'}"
    seed(seed_target, products=5)
    before = contents(seed_target)
    target = Cli(seed_target)
    refused = target("db", "restore", str(file))
    assert refused.exit_code == ExitCode.ERROR
    assert "already holds" in refused.stderr and "--force" in refused.stderr
    no_tty = target("db", "restore", str(file), "--force")
    assert no_tty.exit_code == ExitCode.USAGE and "pass --yes" in no_tty.stderr
    assert contents(seed_target) == before
    replaced = target("db", "restore", str(file), "--force", "--yes", "--json")
    assert replaced.exit_code == 0
    assert contents(seed_target) == contents(db_url)


def test_copy_to_itself_and_to_unreachable_server(cli: Cli, db_url: str) -> None:
    seed(db_url, products=1)
    same = cli("db", "copy", "--to", db_url, "--force", "--yes")
    assert same.exit_code == ExitCode.USAGE and "configured database itself" in same.stderr
    down = cli("db", "copy", "--to", "postgresql+psycopg://nobody:hunter2@127.0.0.1:1/none")
    assert down.exit_code == ExitCode.ERROR
    assert "cannot open the database" in down.stderr and "hunter2" not in down.stderr + down.stdout
    assert "Traceback" not in down.stderr


def test_sigterm_during_the_copys_commit_says_the_copy_is_kept(
    cli: Cli, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy completes and says so (exit 143), never 'nothing half-written was kept' over a full copy."""
    from soleflip_cli.services import transfer

    seed(db_url, products=1)
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    checking = transfer.verify_counts
    armed: list[bool] = []

    def counted(*args: object, **kwargs: object) -> None:
        checking(*args, **kwargs)  # type: ignore[arg-type]
        armed.append(True)  # the copy's COMMIT comes next

    def term(conn: object) -> None:
        if armed and not armed[1:]:
            armed.append(True)
            signal.raise_signal(signal.SIGTERM)

    monkeypatch.setattr(transfer, "verify_counts", counted)
    event.listen(Engine, "commit", term)
    try:
        result = cli("db", "copy", "--to", target, "--yes")
    finally:
        event.remove(Engine, "commit", term)
    assert result.exit_code == 143
    assert (
        result.stderr.splitlines()[-1]
        == "Error: terminated just after its changes were committed: they are kept"
    )
    assert contents(target) == contents(db_url)


def _previous_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(db.migrations_dir()))
    previous = ScriptDirectory.from_config(config).get_revision(db.head_revision()).down_revision
    if not isinstance(previous, str):
        pytest.skip("there is only one schema revision, so no backup can be older")
    return previous


@pytest.mark.parametrize("portable", [False, True], ids=["native", "portable"])
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_backup_from_an_older_schema_is_restored_and_upgraded(
    tmp_path: Path, kind: str, portable: bool
) -> None:
    previous = _previous_revision()
    with scratch_database(kind, tmp_path) as source, scratch_database(kind, tmp_path) as target:
        seed(source, products=3, revision=previous)
        file = tmp_path / "old.bak"
        made = Cli(source)("db", "backup", str(file), "--json", *(["--portable"] if portable else []))
        assert made.exit_code == 0, made.stderr
        assert json.loads(made.stdout)["schema_revision"] == previous
        restored = Cli(target)("db", "restore", str(file), "--json")
        assert restored.exit_code == 0, restored.stderr
        assert json.loads(restored.stdout)["schema_revision"] == previous
        assert Cli(target)("db", "status", "--json").stdout.count('"up_to_date": true') == 1
        engine = db.make_engine(source)
        db.upgrade(engine)
        engine.dispose()
        assert contents(target) == contents(source)
