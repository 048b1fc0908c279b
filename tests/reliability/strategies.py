"""Hypothesis strategies for bad input: hostile cell text, valid exports mutated cell- and byte-wise."""

from __future__ import annotations

import csv
import io

from hypothesis import strategies as st

# Cell values that have broken CSV importers somewhere: placeholders, formulas, locale money, huge or
# odd numbers, impossible dates, overlong and multi-byte text, quotes, line breaks and delimiters.
HOSTILE = [
    "",
    " ",
    "N/A",
    "-",
    '=""',
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1+2",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
    "0",
    "-0",
    "0.005",
    "-12.50",
    "(12.50)",
    "$1,097",
    "1.234,56",
    "1,234.56",
    "12,5",
    "EUR 90,00",
    "AU $3,000.00",
    "12.50 XYZ",
    "ZZ 5",
    "€",
    "1e999",
    "9" * 40,
    "99999999999.999",
    "1000000000000",
    "NaN",
    "Infinity",
    "1_000",
    "١٢٣",
    "½",
    "10..5",
    "1.2.3",
    ".",
    "10.5W",
    "EU 44 2/3",
    "0001-01-01 00:00:00 +01",
    "9999-12-31 23:59:59 -01",
    "2022-02-30 10:00:00 +00",
    "2024-03-01",
    "13/13/13",
    "2/29/19",
    "Feb-30-24",
    "x" * 400,
    "İ" * 120,
    "ß" * 40,
    "😀" * 70,
    '"',
    '""',
    "a\nb",
    "a\rb",
    ",",
    ";",
    "\ufeff",
    "\u00a0",
    "\x0b\x0c",
]
hostile_text = st.sampled_from(HOSTILE) | st.text(max_size=30) | st.from_regex(r"[-+$€ 0-9.,]{1,16}")


def read_table(data: bytes, delimiter: str = ",") -> list[list[str]]:
    """The records of a valid export file (UTF-8 with or without BOM, else cp1252)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def write_table(rows: list[list[str]], delimiter: str = ",") -> bytes:
    """Records back to UTF-8 CSV bytes."""
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode("utf-8")


@st.composite
def cell_mutations(draw: st.DrawFn, data: bytes, delimiter: str = ",") -> bytes:
    """The file with one to four cells replaced by hostile text, a row dropped or one duplicated."""
    rows = read_table(data, delimiter)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "cell", "cell", "drop", "duplicate"]))
        row = draw(st.integers(0, len(rows) - 1))
        if kind == "cell" and rows[row]:
            rows[row][draw(st.integers(0, len(rows[row]) - 1))] = draw(hostile_text)
        elif kind == "drop" and len(rows) > 1:
            del rows[row]
        elif kind == "duplicate":
            rows.insert(row, list(rows[row]))
    return write_table(rows, delimiter)


@st.composite
def byte_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """The file with bytes flipped, inserted or deleted, or cut short (a truncated download)."""
    blob = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(blob) - 1, 0)))
        if kind == "flip" and blob:
            blob[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            blob[at:at] = draw(
                st.binary(min_size=1, max_size=8) | st.sampled_from([b'"', b"\r", b"\n", b","])
            )
        elif kind == "delete":
            del blob[at : at + draw(st.integers(1, 16))]
        else:
            del blob[at:]
    return bytes(blob)


def bad_files(data: bytes, delimiter: str = ",") -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, the valid file mutated cell-wise, or byte-wise (cell mutations most often)."""
    return st.one_of(
        st.binary(max_size=400),
        cell_mutations(data, delimiter),
        cell_mutations(data, delimiter),
        byte_mutations(data),
    )
