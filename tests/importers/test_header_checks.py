"""A header that repeats a column the importer reads refuses the file; other repeats are harmless."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.importers.base import RowError
from soleflip_cli.models import ImportBatch, Sale
from soleflip_cli.services.import_ import import_file
from tests.importers.conftest import FIXTURES, parse_path
from tests.importers.test_generic import GERMAN, SHOP

OPTIONS = ImportOptions(today=date(2026, 12, 31), mappings={"shop": SHOP, "de": GERMAN})
Write = Callable[..., Path]


def _header_replaced(fixture: str, old: str, new: str, line: int = 0) -> str:
    """The fixture's text with one header cell renamed (`line` = the header's index among the lines)."""
    lines = (FIXTURES / fixture).read_text(encoding="utf-8").split("\n")
    cells = lines[line].split(old)
    assert len(cells) == 2, f"{old!r} should appear once in the header"
    lines[line] = new.join(cells)
    return "\n".join(lines)


def _repeated(line: int, column: str, fields: str) -> RowError:
    return RowError(line, column, "", f"appears 2 times in the header (fields {fields}); keep one")


@pytest.mark.parametrize(
    ("fixture", "old", "new", "error"),
    [
        ("stockx-2025.csv", "Seller Name", "Order Number", _repeated(1, "Order Number", "1, 17")),
        ("stockx-2025.csv", "Seller Name", "sale_date", _repeated(1, "sale_date", "1, 18")),
        ("stockx-2025.csv", "Seller Name", "Style", _repeated(1, "Style", "1, 16")),  # optional column
        ("stockx-2022.csv", "Seller Name", "Order Number", _repeated(1, "Order Number", "1, 14")),
        ("alias.csv", "USERNAME", "order_number", _repeated(1, "order_number", "1, 2")),
        ("contest.csv", "Brand", "Sneaker Name", _repeated(1, "Sneaker Name", "2, 3")),
        ("contest.csv", "Brand", "Buyer Region", _repeated(1, "Buyer Region", "2, 8")),  # optional column
        ("purchases.csv", "Notes", "sku", _repeated(1, "SKU", "1, 11")),
        ("ebay-orders.csv", "Buyer Username", "Order Number", _repeated(2, "Order Number", "2, 3")),
    ],
)
def test_a_repeated_column_that_is_read_refuses_the_file(
    write: Write, fixture: str, old: str, new: str, error: RowError
) -> None:
    line = error.line - 1
    _, records, errors = parse_path(write(_header_replaced(fixture, old, new, line)), options=OPTIONS)
    assert (records, errors) == ([], [error])


def test_a_repeated_mapped_column_refuses_the_file(write: Write) -> None:
    lines = (FIXTURES / "generic-sales.csv").read_text(encoding="utf-8").splitlines()
    text = "\n".join([lines[0] + ",Lineitem SKU", *(line + ",X" for line in lines[1:])])
    _, records, errors = parse_path(write(text), options=OPTIONS)
    assert (records, errors) == ([], [_repeated(1, "Lineitem sku", "3, 10")])


def test_a_repeated_column_of_a_purchases_mapping_refuses_the_file(write: Write) -> None:
    text = "Export\nArtikelnummer;Größe;Preis;Datum;Händler;Preis\nDD1391-100;10;119,99;01.03.2024;Snipes;1\n"
    _, records, errors = parse_path(write(text), fmt="generic", options=OPTIONS, mapping="de")
    assert (records, errors) == ([], [_repeated(2, "Preis", "3, 6")])


def test_a_repeated_column_nobody_reads_is_harmless(write: Write) -> None:
    text = _header_replaced("stockx-2025.csv", "Seller VAT Number", "Seller Name")
    fmt, records, errors = parse_path(write(text), options=OPTIONS)
    assert (fmt, len(records), errors) == ("stockx", 5, [])
    text = _header_replaced("purchases.csv", "Location", "Tag").replace("Notes", "Tag")
    assert parse_path(write(text), options=OPTIONS)[2] == []


def test_every_repeated_column_is_named(write: Write) -> None:
    header = "sku,size,cost,purchase_date,SKU,Size,extra,extra\n"
    _, _, errors = parse_path(write(header + "A1,10,100,2024-01-01,B2,11,x,y\n"), options=OPTIONS)
    assert errors == [_repeated(1, "sku", "1, 5"), _repeated(1, "size", "2, 6")]


def test_a_repeated_column_writes_nothing(session: Session, write: Write) -> None:
    path = write(_header_replaced("stockx-2025.csv", "Seller Name", "Order Number"))
    result = import_file(session, path, options=OPTIONS)
    assert (result.written, result.error_count, result.rejected, result.inserted) == (False, 1, 0, 0)
    assert session.scalar(select(func.count()).select_from(Sale)) == 0
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0
