"""A newer version of a purchases file with a corrected row: the old row's pair is named, never removed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
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
        "whose SKU, size, purchase date or supplier changed is imported as a new pair and the old one "
        "stays; `soleflip inventory remove ID...` the pairs the file no longer has",
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
