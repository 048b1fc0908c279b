"""Spreadsheet formulas in imported text: stored verbatim, escaped in every CSV soleflip writes.

A cell such as `=HYPERLINK("http://x","y")` in an export is the user's data and goes into the database
unchanged; CSV output (`--format csv`, `db export`) puts a `'` before any text a spreadsheet would
run as a formula, and quotes cells holding CR, LF, quotes or commas so records stay records.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from soleflip_cli import db
from soleflip_cli.models import InventoryItem, Product, Sale, Supplier
from soleflip_cli.render import Column, OutputFormat, csv_safe, render_rows
from tests.conftest import Cli
from tests.importers.conftest import FIXTURES
from tests.reliability.fuzz import PARSER_EXAMPLES, examples
from tests.reliability.strategies import read_table, write_table

PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1+2",
    "@SUM(A1:A9)",
    '=1+1, "quoted"\rand a second line',  # a lone CR must be quoted too
    "-Infinity",
    'two\nlines, "quoted"',
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escaped(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def _records(text: str) -> list[dict[str, str]]:
    """CSV records; CliRunner's stdout turns CRLF into LF, so payloads hold lone CRs and LFs."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _import(cli: Cli, tmp_path: Path) -> None:
    purchases = [
        ["SKU", "Name", "Size", "Cost", "Currency", "Purchase_Date", "Supplier", "Location", "Notes"]
    ]
    purchases += [
        [f"SF-{i:04d}", p, "10", "100", "EUR", "2024-03-01", p, p, p] for i, p in enumerate(PAYLOADS, start=1)
    ]
    sales = read_table((FIXTURES / "stockx-2025.csv").read_bytes())
    item, order = sales[0].index("Item"), sales[0].index("Order Number")
    for row, payload in zip(sales[1:], PAYLOADS, strict=False):
        row[item] = row[order] = payload
    (tmp_path / "purchases.csv").write_bytes(write_table(purchases))
    (tmp_path / "sales.csv").write_bytes(write_table(sales))
    result = cli("import", "csv", str(tmp_path / "purchases.csv"), str(tmp_path / "sales.csv"))
    assert result.exit_code == 0, result.stderr


def test_formulas_are_stored_verbatim_and_escaped_in_csv_output(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path)
    assert cli.url is not None
    engine = db.make_engine(cli.url)
    with engine.connect() as conn:
        names = set(conn.scalars(select(Product.name).where(Product.sku.like("SF-%"))))
        suppliers = set(conn.scalars(select(Supplier.name)))
        places = {tuple(r) for r in conn.execute(select(InventoryItem.location, InventoryItem.notes))}
        sold = {tuple(r) for r in conn.execute(select(Sale.external_id, Sale.item_name))}
    engine.dispose()
    assert names == suppliers == set(PAYLOADS)
    assert places == {(p, p) for p in PAYLOADS}
    assert {(p, p) for p in PAYLOADS[:5]} <= sold

    listed = cli("inventory", "list", "--format", "csv")
    assert listed.exit_code == 0, listed.stderr
    pairs = [r for r in _records(listed.stdout) if r["sku"].startswith("SF-")]
    assert sorted((r["name"], r["supplier"], r["location"]) for r in pairs) == sorted(
        (_escaped(p), _escaped(p), _escaped(p)) for p in PAYLOADS
    )

    ledger = cli("report", "tax", "--year", "2025", "--currency", "EUR", "--format", "csv")
    assert ledger.exit_code == 0, ledger.stderr
    lines = [r for r in _records(ledger.stdout) if r["row_type"] == "sale"]
    assert sorted((r["order_id"], r["item"]) for r in lines) == sorted(
        (_escaped(p), _escaped(p)) for p in PAYLOADS[:5]
    )


def test_db_export_escapes_formulas_and_restores_them_exactly(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path)
    assert cli.url is not None
    engine = db.make_engine(cli.url)
    with engine.begin() as conn:  # text that reached the database some other way (an API, an edit)
        conn.execute(update(InventoryItem).where(InventoryItem.notes == "+1").values(notes="\t=1+1"))
        conn.execute(update(InventoryItem).where(InventoryItem.notes == "-1+2").values(notes="\r=1+1"))
    engine.dispose()
    out = tmp_path / "export"
    assert cli("db", "export", str(out)).exit_code == 0
    items = _records(_read(out / "inventory_items.csv"))
    notes = {r["notes"] for r in items}
    assert {"'\t=1+1", "'\r=1+1", "'" + PAYLOADS[0], "'@SUM(A1:A9)"} <= notes
    cells = [c for r in items for c in r.values()] + [c for r in _records_of(out) for c in r.values()]
    assert not [c for c in cells if c.startswith(FORMULA_START) and not _negative_number(c)]

    target = Cli(f"sqlite:///{tmp_path / 'restored.db'}")
    assert target("db", "restore", str(out), "--yes").exit_code == 0
    engine = db.make_engine(f"sqlite:///{tmp_path / 'restored.db'}")
    with engine.connect() as conn:
        restored = set(conn.scalars(select(InventoryItem.notes)))
    engine.dispose()
    assert {"\t=1+1", "\r=1+1", PAYLOADS[0], PAYLOADS[3]} <= restored


def _read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:  # keep CRs inside quoted cells
        return handle.read()


def _records_of(directory: Path) -> list[dict[str, str]]:
    return [r for f in sorted(directory.glob("*.csv")) for r in _records(_read(f))]


def _negative_number(cell: str) -> bool:
    return re.fullmatch(r"-\d+(\.\d+)?(E[+-]?\d+)?", cell, re.IGNORECASE) is not None


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\r=1", "'\r=1"),
        ("-Infinity", "'-Infinity"),
        ("-NaN", "'-NaN"),
        ("-12.50", "-12.50"),
        ("-1E+2", "-1E+2"),
        ("12.50", "12.50"),
        ("plain", "plain"),
    ],
)
def test_csv_safe(text: str, cell: str) -> None:
    assert csv_safe(text) == cell


@examples(PARSER_EXAMPLES["csv cells"])
@given(st.lists(st.text(), min_size=1, max_size=4))
def test_csv_output_reads_back_as_the_same_escaped_cells(cells: list[str]) -> None:
    out = io.StringIO()
    columns = [Column(f"c{i}") for i in range(len(cells))]
    render_rows([{f"c{i}": c for i, c in enumerate(cells)}], columns, OutputFormat.csv, stream=out)
    assert out.getvalue().endswith("\n") and not out.getvalue().endswith("\r\n")
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows == [[c.key for c in columns], [csv_safe(c) for c in cells]]
    assert not [c for c in rows[1] if c.startswith(FORMULA_START) and not _negative_number(c)]
