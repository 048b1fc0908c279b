"""A value too long for the database names the file's own column, not the record's field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.services import import_worker
from soleflip_cli.services.import_ import FORK_LINES, import_file
from tests.importers.conftest import FIXTURES
from tests.importers.test_generic import GERMAN, SHOP

OPTIONS = ImportOptions(today=date(2026, 12, 31), mappings={"shop": SHOP, "de": GERMAN})
LONG = "X" * 300
Write = Callable[[str], Path]
Found = list[tuple[int, str | None, str]]


@pytest.fixture
def run(session: Session, tmp_path: Path) -> Callable[..., Found]:
    """Import text (dry run) and return its errors as (line, column, reason)."""

    def _run(text: str, **kwargs: object) -> Found:
        path = tmp_path / "data.csv"
        path.write_bytes(text.encode(str(kwargs.pop("encoding", "utf-8"))))
        result = import_file(session, path, options=OPTIONS, dry_run=True, **kwargs)  # type: ignore[arg-type]
        return [(e.line, e.column, e.reason) for e in result.errors]

    return _run


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_a_stockx_size_too_long_names_sku_size_as_the_file_spells_it(run: Callable[..., Found]) -> None:
    text = _fixture("stockx-2025.csv").replace(",10.5,DH4692-001,", f",1{LONG},DH4692-001,")
    assert run(text) == [(8, "Sku Size", "longer than 40 characters")]
    assert run(text.replace("Sku Size", "SKU_SIZE", 1)) == [(8, "SKU_SIZE", "longer than 40 characters")]


def test_a_contest_region_too_long_names_buyer_region(run: Callable[..., Found]) -> None:
    text = _fixture("contest.csv").replace(",11,California", f",11,California{LONG}", 1)
    assert run(text) == [(2, "Buyer Region", "longer than 60 characters")]


@pytest.mark.skipif(not import_worker.available(), reason="the worker forks (Linux only)")
def test_a_contest_region_too_long_names_buyer_region_when_parsed_in_a_forked_process(
    run: Callable[..., Found],
) -> None:
    header, *rows = _fixture("contest.csv").splitlines()
    many = [rows[i % len(rows)] for i in range(FORK_LINES + 10)]
    many[-1] = many[-1] + LONG  # the last cell is the Buyer Region
    assert run("\n".join([header, *many, ""])) == [
        (FORK_LINES + 11, "Buyer Region", "longer than 60 characters")
    ]


def test_a_purchase_location_too_long_names_the_files_column(run: Callable[..., Found]) -> None:
    text = _fixture("purchases.csv").replace("Shelf A", LONG, 1)
    assert run(text) == [(2, "Location", "longer than 100 characters")]


def test_mapped_columns_too_long_are_named_as_the_mapping_maps_them(run: Callable[..., Found]) -> None:
    text = _fixture("generic-sales.csv").replace(",10,135.00,", f",{LONG},135.00,", 1)
    assert run(text) == [(2, "Size", "longer than 40 characters")]
    german = f"Export\nArtikelnummer;Größe;Preis;Datum;Händler\nDD1391-100;10;119,99;01.03.2024;{LONG}\n"
    found = run(german, fmt="generic", mapping="de", encoding="cp1252")
    assert found == [(3, "Händler", "longer than 200 characters")]
