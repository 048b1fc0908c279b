"""The StockX Data Contest layout: market sales keyed by content plus occurrence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from soleflip_cli.importers import ImportOptions, choose, reading
from soleflip_cli.importers.base import MarketSaleRecord, Record, RowError, digest
from tests.importers.conftest import FIXTURES, parse_path


def _records(path: Path) -> list[MarketSaleRecord]:
    fmt, records, errors = parse_path(path)
    assert fmt == "contest" and errors == []
    return [r for r in records if isinstance(r, MarketSaleRecord)]


def test_values() -> None:
    rows = _records(FIXTURES / "contest.csv")
    first = rows[0]
    assert first.name == "adidas Yeezy Boost 350 Low V2 Beluga"
    assert (first.sale_date, first.sale_price, first.currency) == (
        date(2017, 9, 1),
        Decimal("1097.00"),
        "USD",
    )
    assert (first.retail_price, first.release_date) == (Decimal("220.00"), date(2016, 9, 24))
    assert (first.size, first.region) == ("11", "California")
    assert rows[3].name == "Air Jordan 1 Retro High Off-White Chicago"
    assert rows[4].name == "adidas Yeezy Boost 350 V2 Butter"
    assert sum(r.sale_price for r in rows) == Decimal("4832.00")


def test_identical_rows_get_occurrence_numbers() -> None:
    rows = _records(FIXTURES / "contest.csv")
    keys = [r.row_key for r in rows]
    assert len(set(keys)) == len(keys)
    assert keys[1].rsplit(":", 1)[0] == keys[2].rsplit(":", 1)[0]
    assert (keys[1][-2:], keys[2][-2:]) == (":1", ":2")
    assert _records(FIXTURES / "contest.csv")[5].row_key == rows[5].row_key  # stable across runs


def test_row_key_scheme_is_fixed() -> None:
    """Keys already stored must match on every later import: the scheme may never change."""
    first = _records(FIXTURES / "contest.csv")[0]
    parts = ("2017-09-01", "adidas yeezy boost 350 low v2 beluga", Decimal("1097.00"), "11", "California")
    assert first.row_key == digest(*parts, Decimal("220.00"), date(2016, 9, 24)) + ":1"
    assert first.row_key == "5ec26fb1ded224a83cb7a3e8f597fcaf:1"


def test_four_digit_years_give_the_same_keys(write: Callable[..., Path]) -> None:
    text = (FIXTURES / "contest.csv").read_text()
    for short, long in (("/17,", "/2017,"), ("/16,", "/2016,"), ("/18,", "/2018,"), ("/19,", "/2019,")):
        text = text.replace(short, long)
    assert [r.row_key for r in _records(write(text))] == [
        r.row_key for r in _records(FIXTURES / "contest.csv")
    ]


def test_bad_rows(write: Callable[..., Path]) -> None:
    text = (FIXTURES / "contest.csv").read_text()
    text = text.replace("9/2/17", "13/45/17").replace("$330", "$3x0").replace("$535", "-$535")
    _, records, errors = parse_path(write(text))
    assert len(records) == 3
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (5, "Order Date", "not a date like 9/1/17"),
        (6, "Sale Price", "not an amount of money"),
        (7, "Sale Price", "must not be negative"),
    ]


def test_missing_optional_cells(write: Callable[..., Path]) -> None:
    text = "Order Date,Sneaker Name,Sale Price,Shoe Size,Retail Price,Release Date,Buyer Region\n"
    text += "9/1/17,Nike-Zoom-Fly-Off-White,$300,10,,,\n"
    [row] = _records(write(text))
    assert (row.retail_price, row.release_date, row.region) == (None, None, None)
    assert (
        row.row_key
        == digest("2017-09-01", "nike zoom fly off-white", Decimal("300.00"), "10", None, None, None) + ":1"
    )


def _parts(path: Path, parts: int) -> list[list[Record | RowError]]:
    source = reading.prepare(path, path.name)
    out = []
    for part in range(parts):
        importer, rows = choose(source, "contest", None, ImportOptions())
        out.append(list(importer.parse_part(rows, part, parts)))  # type: ignore[attr-defined]
    return out


def test_parts_together_are_the_whole_file(write: Callable[..., Path]) -> None:
    """Processes sharing a file (see services.import_worker) each parse a part: same records, same errors."""
    header = "Order Date,Brand,Sneaker Name,Sale Price,Retail Price,Release Date,Shoe Size,Buyer Region\n"
    lines = [header]
    for n in range(300):
        day = f"{1 + n % 12}/{1 + n % 5}/18"
        # Row 7 fixes the pattern (2-digit years) for every part, those it belongs to or not.
        release = "" if n < 7 else ("9/24/16" if n == 7 or n % 3 == 0 else "9/24/2016")
        price = "$oops" if n == 120 else f"${200 + n % 3}"
        cells = f"{day},Nike,Air-Jordan-1-Retro-High-Chicago,{price},$170,{release},{4 + n % 2},Ohio"
        lines.append(("13/45/18" + cells[cells.index(",") :]) if n == 200 else cells)
        lines.append("\n")
        if n % 40 == 0:
            lines.append(f"{day},Nike,Air-Jordan-1\n")  # too few fields
    path = write("".join(lines))
    whole = [item for part in _parts(path, 1) for item in part]
    for parts in (2, 3):
        split = _parts(path, parts)
        assert all(split), "every part has rows"
        joined = sorted((i for p in split for i in p), key=lambda i: i.line)
        assert joined == whole  # records (keys with their occurrence numbers) and errors alike
    errors = [e for e in whole if isinstance(e, RowError)]
    assert {e.column for e in errors} == {None, "Release Date", "Sale Price", "Order Date"}
    releases = sum(isinstance(e, RowError) and e.column == "Release Date" for e in whole)
    assert releases == sum(1 for n in range(8, 300) if n % 3)
    keys = [r.row_key for r in whole if isinstance(r, MarketSaleRecord)]
    assert len(keys) > 100 and max(int(k.rsplit(":", 1)[1]) for k in keys) >= 3
