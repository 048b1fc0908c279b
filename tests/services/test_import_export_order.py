"""An older StockX export imported after a newer one never reverts the newer values (download names)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.importers.stockx import StockXImporter
from soleflip_cli.models import ImportBatch, Sale
from soleflip_cli.services import import_sales
from soleflip_cli.services.import_ import ImportResult, import_file
from soleflip_cli.services.import_batches import list_batches
from tests.importers.conftest import FIXTURES

ORDER = "70000002-70000002"  # payout 30.65 in the fixture
JUNE, DECEMBER = "1751328000000", "1767225600000"  # 2025-07-01 and 2026-01-01, 00:00 UTC


def _export(tmp_path: Path, stamp: str, payout: str = "30.65", uuid: str = "a1b2c3") -> Path:
    """The fixture as StockX names a download, the order's payout (and its fees) set to `payout`."""
    text = (FIXTURES / "stockx-2025.csv").read_text(encoding="utf-8")
    text = text.replace(",30.65,EUR,45,", f",{payout},EUR,45,").replace(
        ",45,EUR,30.65,EUR,", f",45,EUR,{payout},EUR,"
    )
    path = tmp_path / stamp / f"stockx_historical_seller_sales_report_{uuid}_{stamp}.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _run(session: Session, path: Path) -> ImportResult:
    return import_file(session, path, options=ImportOptions())


def _payout(session: Session) -> Decimal | None:
    session.expire_all()
    return session.scalars(select(Sale.payout).where(Sale.external_id == ORDER)).one()


def test_the_export_time_comes_from_the_download_name() -> None:
    importer = StockXImporter()
    assert importer.exported_at(f"stockx_historical_seller_sales_report_9c41_{JUNE}.csv") == datetime(
        2025, 7, 1, tzinfo=UTC
    )
    assert importer.exported_at("my stockx sales.csv") is None  # renamed: unknown
    assert importer.exported_at("report_0000000000001.csv") is None  # not a plausible export time
    assert importer.exported_at("report_9999999999999.csv") is None  # in the future


def test_an_older_export_keeps_the_newer_values(session: Session, tmp_path: Path) -> None:
    newer = _run(session, _export(tmp_path, DECEMBER, payout="31.65", uuid="1f08"))
    assert _payout(session) == Decimal("31.65")
    older = _run(session, _export(tmp_path, JUNE, uuid="9c41"))
    assert (older.inserted, older.updated, older.unchanged) == (0, 0, 5)
    name = tmp_path / DECEMBER / f"stockx_historical_seller_sales_report_1f08_{DECEMBER}.csv"
    assert older.warnings == (
        f"1 row(s) differ from {name}, exported after this file: kept its newer values",
    )
    assert _payout(session) == Decimal("31.65")
    batches = {b.id: b.exported_at for b in session.scalars(select(ImportBatch))}
    assert batches == {
        newer.batch_id: datetime(2026, 1, 1, tzinfo=UTC),
        older.batch_id: datetime(2025, 7, 1, tzinfo=UTC),
    }


def test_a_newer_export_updates_and_either_order_ends_the_same(session: Session, tmp_path: Path) -> None:
    _run(session, _export(tmp_path, JUNE))
    newer = _run(session, _export(tmp_path, DECEMBER, payout="31.65"))
    assert (newer.updated, newer.warnings) == (1, ())
    assert _payout(session) == Decimal("31.65")


def test_without_export_times_the_last_file_imported_wins(session: Session, tmp_path: Path) -> None:
    newer = tmp_path / "december.csv"
    newer.write_bytes(_export(tmp_path, DECEMBER, payout="31.65").read_bytes())
    _run(session, newer)
    older = _run(session, _export(tmp_path, JUNE))
    assert older.updated == 1
    assert _payout(session) == Decimal("30.65")


def test_import_history_shows_the_export_time(session: Session, tmp_path: Path) -> None:
    _run(session, _export(tmp_path, JUNE))
    [batch] = list_batches(session)
    assert batch.exported_at == datetime(2025, 7, 1, tzinfo=UTC)


def _without(tmp_path: Path, column: str, payout: str = "30.65") -> Path:
    """The fixture in a layout without `column` (StockX's 2022 one has no buyer country), renamed."""
    text = _export(tmp_path, "old", payout).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    at = rows[0].index(column)
    path = tmp_path / "old-layout.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([cell for n, cell in enumerate(row) if n != at] for row in rows)
    return path


def test_a_layout_without_a_column_keeps_its_stored_values(session: Session, tmp_path: Path) -> None:
    _run(session, FIXTURES / "stockx-2025.csv")
    session.expire_all()
    countries = {s.external_id: s.buyer_country for s in session.scalars(select(Sale))}
    assert countries[ORDER] is not None
    again = _run(session, _without(tmp_path, "Buyer Destination Country"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(countries))
    changed = _run(session, _without(tmp_path, "Buyer Destination Country", payout="29.65"))
    assert (changed.updated, changed.unchanged) == (1, len(countries) - 1)
    session.expire_all()
    assert {s.external_id: s.buyer_country for s in session.scalars(select(Sale))} == countries
    assert _payout(session) == Decimal("29.65")  # what the file has is still imported


@pytest.mark.parametrize("newer_first", [False, True])
def test_an_older_export_keeps_pairs_a_newer_one_cancelled(
    session: Session, tmp_path: Path, newer_first: bool
) -> None:
    """June's export sold the line twice, December's once: either order ends with one pair sold."""
    old, new = _export(tmp_path, JUNE), _export(tmp_path, DECEMBER)
    quantity, text = ",Morteau,0000000001,1,", old.read_text(encoding="utf-8")  # the order's Quantity: 1
    assert text.count(quantity) == 1
    old.write_text(text.replace(quantity, ",Morteau,0000000001,2,"), encoding="utf-8")
    for path in (new, old) if newer_first else (old, new, old):
        _run(session, path)
    session.expire_all()
    line = select(Sale.external_id, Sale.status).where(Sale.external_id.startswith(ORDER))
    stored = sorted((external_id, status) for external_id, status in session.execute(line))
    assert stored == [(ORDER, "completed"), (f"{ORDER} (pair 2)", "cancelled")]
    again = _run(session, old)
    assert (again.inserted, again.updated) == (0, 0)


def test_a_big_import_refreshes_postgresqls_statistics(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until autovacuum analyzes a bulk-loaded table, its planner thinks it small: slow re-imports."""
    monkeypatch.setattr(import_sales, "ANALYZE_ROWS", 5)  # the fixture's 5 sales count as a big import
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        _run(session, FIXTURES / "stockx-2025.csv")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert ("ANALYZE sales" in statements) == (engine.dialect.name == "postgresql")
