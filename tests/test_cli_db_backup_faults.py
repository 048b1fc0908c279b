"""Backups under faults: damaged files, disk full, bad paths, missing tools, concurrent writers."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import update

from soleflip_cli import db
from soleflip_cli.errors import ExitCode
from soleflip_cli.models import Supplier
from tests.conftest import Cli
from tests.dbtools_data import contents, scratch_database, seed

WRITER = """
import os, sys
from datetime import UTC, datetime
from decimal import Decimal
from sqlalchemy import insert
from soleflip_cli import db
from soleflip_cli.models import Sale, SaleFee

engine = db.make_engine(sys.argv[1])
n = 0
while not os.path.exists(sys.argv[2]):
    n += 1
    with engine.begin() as conn:  # a sale and its three fees: a backup must never see one without the other
        sale = {"platform": "writer", "external_id": f"W{n}", "sold_at": datetime.now(UTC),
                "sale_price": Decimal("100.01"), "currency": "USD"}
        sale_id = conn.execute(insert(Sale).returning(Sale.id), sale).scalar_one()
        conn.execute(insert(SaleFee), [{"sale_id": sale_id, "name": f"fee {k}", "amount": Decimal("0.01"),
                                        "currency": "USD"} for k in range(3)])
    print(n, flush=True)
"""

LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))
from soleflip_cli.cli import main
sys.argv = ["soleflip", *sys.argv[1:]]
main()
"""


def _writer_rows(url: str) -> tuple[int, int]:
    rows = contents(url)
    sales = {r[0] for r in rows["sales"] if r[1] == "writer"}
    return len(sales), sum(1 for f in rows["sale_fees"] if f[1] in sales)


@pytest.mark.slow
def test_backup_while_another_process_writes(cli: Cli, db_url: str, tmp_path: Path) -> None:
    seed(db_url, products=2)
    stop = tmp_path / "stop"
    files = []
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, db_url, str(stop)], stdout=subprocess.PIPE, text=True
    ) as w:
        try:
            assert w.stdout is not None and w.stdout.readline()  # it is writing
            for index in range(3):
                files.append(tmp_path / f"busy-{index}.bak")
                result = cli("db", "backup", str(files[-1]))
                assert result.exit_code == 0, result.stderr
                time.sleep(0.3)
        finally:
            stop.touch()
            w.communicate(timeout=60)
    assert w.returncode == 0
    seen = []
    kind = "postgres" if db_url.startswith("postgresql") else "sqlite"
    with scratch_database(kind, tmp_path) as target:
        for file in files:
            assert Cli(target)("db", "restore", str(file), "--force", "--yes").exit_code == 0
            sales, fees = _writer_rows(target)
            assert fees == 3 * sales  # each backup is one consistent snapshot
            seen.append(sales)
    assert seen == sorted(seen) and seen[-1] > seen[0] > 0
    assert _writer_rows(db_url)[0] >= seen[-1]


def _damage(kind: str, good: Path, bad: Path) -> Path:
    data = good.read_bytes() if good.is_file() else b""
    if kind == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif kind == "garbage":
        bad.write_bytes(b"this is not a backup\n" * 50)
    elif kind == "tampered-zip":
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
            for item in src.infolist():
                body = src.read(item)
                dst.writestr(
                    item, body.replace(b"SKU-0002", b"SKU-0009") if item.filename == "products.csv" else body
                )
    else:  # checksums updated: the load itself fails late (a bad cell, a duplicate id) and rolls back
        bad.mkdir()
        manifest = json.loads((good / "manifest.json").read_text())
        for entry in manifest["tables"]:
            body = (good / entry["file"]).read_bytes()
            if entry["name"] == "sale_fees":
                last = body[: body.rstrip(b"\r\n").rfind(b"\n") + 1]
                row = b"999,1,x,other,abc,USD,\r\n" if kind == "bad-cell" else body[len(last) :]
                body = last + row if kind == "bad-cell" else body + row
                entry.update(bytes=len(body), sha256=hashlib.sha256(body).hexdigest())
            (bad / entry["file"]).write_bytes(body)
        (bad / "manifest.json").write_text(json.dumps(manifest))
    return bad


DAMAGES = [
    ("native", "truncated", "damaged"),
    ("native", "garbage", "is not a soleflip backup"),
    ("portable", "truncated", "damaged or not a soleflip portable backup"),
    ("portable", "tampered-zip", "does not match its checksum"),
    ("export", "bad-cell", "sale_fees.csv line 28: "),
    ("export", "duplicate-id", "restore failed, the database was left as it was: "),
]


def test_damaged_backups_are_clear_errors_and_the_target_is_untouched(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    seed(db_url, products=3)
    good = {"native": tmp_path / "good.bak", "portable": tmp_path / "good.zip", "export": tmp_path / "good"}
    assert cli("db", "backup", str(good["native"])).exit_code == 0
    assert cli("db", "backup", str(good["portable"]), "--portable").exit_code == 0
    assert cli("db", "export", str(good["export"])).exit_code == 0
    with scratch_database("postgres" if db_url.startswith("postgresql") else "sqlite", tmp_path) as target:
        seed(target, products=1)
        before = contents(target)
        for fmt, damage, message in DAMAGES:
            bad = _damage(damage, good[fmt], tmp_path / f"{fmt}-{damage}")
            result = Cli(target)("db", "restore", str(bad), "--force", "--yes")
            assert result.exit_code == ExitCode.ERROR, (fmt, damage, result.stdout)
            assert message in result.stderr, (fmt, damage, result.stderr)
            assert "Traceback" not in result.stderr and result.stdout == ""
        assert contents(target) == before


def test_backup_from_a_newer_soleflip_is_refused(cli: Cli, db_url: str, tmp_path: Path) -> None:
    seed(db_url, products=1)
    out = tmp_path / "export"
    assert cli("db", "export", str(out)).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["schema_revision"] = "9999_from_the_future"
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = Cli(f"sqlite:///{tmp_path / 'new.db'}")("db", "restore", str(out))
    assert result.exit_code == ExitCode.ERROR
    assert "made by a newer soleflip (schema revision 9999_from_the_future)" in result.stderr
    assert "upgrade soleflip" in result.stderr
    assert (
        not (tmp_path / "new.db").exists() or contents(f"sqlite:///{tmp_path / 'new.db'}")["products"] == []
    )


@pytest.mark.parametrize("mode", ["native", "portable", "export"])
def test_disk_full_leaves_nothing_half_written(db_url: str, tmp_path: Path, mode: str) -> None:
    seed(db_url, products=2)
    engine = db.make_engine(db_url)
    with engine.begin() as conn:  # ~200 kB that does not compress: the 40 kB file size limit must bite
        conn.execute(update(Supplier).where(Supplier.id == 1).values(notes=os.urandom(100_000).hex()))
    engine.dispose()
    out = tmp_path / "out"
    out.mkdir()
    target = out / ("export" if mode == "export" else "backup.bak")
    command = ["export", str(target)] if mode == "export" else ["backup", str(target)]
    command += ["--portable"] if mode == "portable" else []
    proc = subprocess.run(
        [sys.executable, "-c", LIMITED, "--db", db_url, "db", *command],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == ExitCode.ERROR, proc.stderr
    assert "Error: " in proc.stderr and "Traceback" not in proc.stderr
    assert "disk full" in proc.stderr, proc.stderr
    assert list(out.iterdir()) == []


def test_bad_destinations(cli: Cli, db_url: str, tmp_path: Path) -> None:
    seed(db_url, products=1)
    (tmp_path / "a-file").write_text("x")
    missing = cli("db", "backup", str(tmp_path / "nowhere" / "b.bak"))
    assert missing.exit_code == ExitCode.ERROR and "does not exist" in missing.stderr
    under_file = cli("db", "backup", str(tmp_path / "a-file" / "b.bak"))
    assert under_file.exit_code == ExitCode.ERROR and "does not exist" in under_file.stderr
    exists = cli("db", "backup", str(tmp_path / "a-file"))
    assert (
        exists.exit_code == ExitCode.ERROR
        and "already exists" in exists.stderr
        and "--force" in exists.stderr
    )
    assert (tmp_path / "a-file").read_text() == "x"
    assert cli("db", "backup", str(tmp_path / "a-file"), "--force").exit_code == 0
    assert (tmp_path / "a-file").stat().st_size > 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    nothing = Cli(f"sqlite:///{tmp_path / 'empty.db'}")("db", "backup", str(tmp_path / "e.bak"))
    assert nothing.exit_code == ExitCode.ERROR and "nothing to back up" in nothing.stderr
    assert Cli(None)("db", "restore", str(tmp_path / "missing.bak")).exit_code == ExitCode.ERROR


@pytest.mark.postgres
def test_postgres_without_pg_tools_and_without_leaking_the_password(tmp_path: Path) -> None:
    with scratch_database("postgres", tmp_path) as pg_url:
        _without_tools(pg_url, tmp_path)


def _without_tools(db_url: str, tmp_path: Path) -> None:
    seed(db_url, products=2)
    # Trust authentication ignores the password; soleflip must never show it.
    url = db_url.replace("postgres@", "postgres:pa55-w0rd@", 1)
    assert "pa55-w0rd" in url
    empty_path = tmp_path / "no-tools"
    empty_path.mkdir()
    cli = Cli(url)
    fallback = cli("db", "backup", str(tmp_path / "fb.bak"), "--json", env={"PATH": str(empty_path)})
    assert fallback.exit_code == 0, fallback.stderr
    assert json.loads(fallback.stdout)["format"] == "portable"
    assert "pg_dump is not on PATH; writing a portable backup" in fallback.stderr
    dumped = cli("db", "backup", str(tmp_path / "pg.bak"), "--json")
    assert json.loads(dumped.stdout)["format"] == "pg_dump"
    for result in (fallback, dumped):
        assert "pa55-w0rd" not in result.stdout + result.stderr
    no_restore = cli(
        "db", "restore", str(tmp_path / "pg.bak"), "--force", "--yes", env={"PATH": str(empty_path)}
    )
    assert no_restore.exit_code == ExitCode.ERROR
    assert "pg_restore is not on PATH" in no_restore.stderr and "postgresql-client" in no_restore.stderr
    restored = cli("db", "restore", str(tmp_path / "fb.bak"), "--force", "--yes")
    assert restored.exit_code == 0 and "pa55-w0rd" not in restored.stdout + restored.stderr
