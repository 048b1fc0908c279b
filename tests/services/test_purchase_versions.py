"""A newer version of a purchases file with a corrected row: the old row's pair is named, never removed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.models import InventoryItem
from soleflip_cli.services.import_ import ImportResult, import_file

HEADER = "sku,size,cost,currency,purchase_date,supplier\n"
TYPO = "DD1391-100,10,100.00,USD,2024-01-10,Nkie\n"
FIXED = "DD1391-100,10,100.00,USD,2024-01-10,Nike\n"
OTHER = "DD1391-100,9,90.00,USD,2024-01-15,Nike\n"
LATER = "DD1391-100,11,95.00,USD,2024-02-01,Nike\n"


def _run(session: Session, path: Path, rows: str) -> ImportResult:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + rows, encoding="utf-8")
    return import_file(session, path, name=str(path), options=ImportOptions())


def test_a_corrected_row_in_a_newer_version_of_the_file_names_the_old_pair(
    session: Session, tmp_path: Path
) -> None:
    _run(session, tmp_path / "purchases.csv", TYPO + OTHER)
    old = session.scalars(select(InventoryItem.id).order_by(InventoryItem.id)).first()
    again = _run(session, tmp_path / "purchases.csv", FIXED + OTHER)
    assert (again.inserted, again.updated, again.unchanged) == (1, 0, 1)
    assert again.warnings == (
        f"1 pair(s) an earlier import of purchases.csv made have no row in this file (ids {old}): a row "
        "whose SKU, size, purchase date or supplier was corrected is imported as a new pair and the old "
        "one stays; check them: `soleflip inventory remove ID...` an unsold one the file no longer has, "
        "and for a sold one the pair its corrected row made",
    )
    assert session.scalar(select(InventoryItem.status).where(InventoryItem.id == old)) == "in_stock"


def test_files_of_one_name_with_no_row_in_common_are_not_versions(session: Session, tmp_path: Path) -> None:
    """Monthly exports saved under one name (in other folders): no warning about each other."""
    _run(session, tmp_path / "2024-01" / "purchases.csv", TYPO + OTHER)
    february = _run(session, tmp_path / "2024-02" / "purchases.csv", LATER)
    assert (february.inserted, february.warnings) == (1, ())


def test_a_file_of_another_name_is_no_version(session: Session, tmp_path: Path) -> None:
    _run(session, tmp_path / "purchases.csv", TYPO + OTHER)
    other = _run(session, tmp_path / "more.csv", FIXED + OTHER)
    assert (other.inserted, other.unchanged, other.warnings) == (1, 1, ())


def test_rows_a_rolling_export_no_longer_covers_are_not_named(session: Session, tmp_path: Path) -> None:
    """A 'last 90 days' export under one name: its older rows drop out, their pairs are still owned."""
    _run(session, tmp_path / "purchases.csv", TYPO + OTHER)  # January
    rolled = _run(session, tmp_path / "purchases.csv", OTHER + LATER)  # 15 January to February
    assert (rolled.inserted, rolled.unchanged, rolled.warnings) == (1, 1, ())


def test_stdin_imports_are_no_versions_of_each_other(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "purchases.csv"
    for rows in (TYPO + OTHER, FIXED + OTHER):
        path.write_text(HEADER + rows, encoding="utf-8")
        piped = import_file(session, path, name="<stdin>", options=ImportOptions())
    assert (piped.inserted, piped.unchanged, piped.warnings) == (1, 1, ())


def test_an_older_version_imported_again_names_nothing(session: Session, tmp_path: Path) -> None:
    """Its bytes were imported before: it is not the newer file, and the corrected pair must stay."""
    _run(session, tmp_path / "v1" / "purchases.csv", TYPO + OTHER)
    _run(session, tmp_path / "v2" / "purchases.csv", FIXED + OTHER)
    older = _run(session, tmp_path / "v1" / "purchases.csv", TYPO + OTHER)
    assert (older.unchanged, older.warnings) == (2, ())


def test_a_sold_pair_whose_row_was_corrected_is_named_as_sold(session: Session, tmp_path: Path) -> None:
    """Its sale keeps it; the corrected row's new pair is the one counted twice."""
    _run(session, tmp_path / "purchases.csv", TYPO + OTHER)
    old = session.scalars(select(InventoryItem.id).order_by(InventoryItem.id)).first()
    session.execute(update(InventoryItem).where(InventoryItem.id == old).values(status="sold"))
    again = _run(session, tmp_path / "purchases.csv", FIXED + OTHER)
    assert f"(ids {old} (sold))" in again.warnings[0]


def test_another_folders_file_of_the_name_is_no_older_version(session: Session, tmp_path: Path) -> None:
    """Its pairs are not this file's, even when the file continues an earlier import of its own name."""
    _run(session, tmp_path / "snkrs" / "orders.csv", TYPO + OTHER)
    _run(session, tmp_path / "fl" / "orders.csv", "DD1391-100,12,100.00,USD,2024-01-12,Foot Locker\n")
    newer = _run(session, tmp_path / "snkrs" / "orders.csv", TYPO + OTHER + LATER)
    assert (newer.inserted, newer.warnings) == (1, ())


def test_a_corrected_first_day_is_named_though_the_file_now_starts_later(
    session: Session, tmp_path: Path
) -> None:
    _run(session, tmp_path / "purchases.csv", TYPO + OTHER)  # 10 and 15 January
    old = session.scalars(select(InventoryItem.id).order_by(InventoryItem.id)).first()
    moved = TYPO.replace("2024-01-10", "2024-01-12")  # the file's first day is now the 12th
    again = _run(session, tmp_path / "purchases.csv", moved + OTHER)
    assert f"(ids {old})" in again.warnings[0]
