"""Reading files as they come: encodings, delimiters, preambles, and every kind of broken file."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from soleflip_cli.errors import UsageError
from soleflip_cli.importers import reading
from soleflip_cli.importers.base import PurchaseRecord
from tests.importers.conftest import FIXTURES, parse_path

HEADER = "sku,size,cost,currency,purchase date\n"


def test_utf8_bom_is_not_part_of_the_header(write: Callable[..., Path]) -> None:
    fmt, records, errors = parse_path(write("\ufeff" + HEADER + "DD1391-100,10,110,USD,2024-03-01\n"))
    assert (fmt, len(records), errors) == ("purchases", 1, [])


def test_cp1252_fallback(write: Callable[..., Path]) -> None:
    path = write(
        HEADER.replace("\n", ",notes\n") + "DD1391-100,10,110,EUR,2024-03-01,Größe passt\n", encoding="cp1252"
    )
    source = reading.prepare(path, "x.csv")
    assert source.encoding == "cp1252"
    _, records, _ = parse_path(path)
    assert isinstance(records[0], PurchaseRecord) and records[0].notes == "Größe passt"


def test_semicolon_and_decimal_comma(write: Callable[..., Path]) -> None:
    text = "SKU;Size;Cost;Currency;Purchase Date\nDD1391-100;10;EUR 1.234,50;EUR;2024-03-01\n"
    _, records, errors = parse_path(write(text))
    assert errors == []
    assert isinstance(records[0], PurchaseRecord) and records[0].cost == Decimal("1234.50")


def test_preamble_lines_before_the_header(write: Callable[..., Path]) -> None:
    text = ",,,\nMy purchases export\n\n" + HEADER + "DD1391-100,10,110,USD,2024-03-01\n"
    _, records, _ = parse_path(write(text))
    assert records[0].line == 5


def test_quoted_newlines_keep_physical_line_numbers() -> None:
    _, records, _ = parse_path(FIXTURES / "stockx-2025.csv")
    assert [r.line for r in records] == [2, 4, 6, 8, 10]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\r\n ,,\n", "the file has no data, only blanks"),
        (b"sku,size\x00\x01\x02\xff\xfe garbage", "binary data (a NUL byte at byte 8), not a CSV text file"),
        (b"\x81\x8d\x8f\x90\x9d" * 10, "neither UTF-8 nor Windows-1252 text"),
        ("\ufeffsku,size\n".encode("utf-16-le"), reading.UTF16),
        ("sku,size\n".encode("utf-16-be"), "binary data (a NUL byte at byte 0)"),  # no BOM: cannot tell
        ("sku,size\n".encode("utf-16"), reading.UTF16),
    ],
)
def test_unreadable_files(write: Callable[..., Path], content: bytes, message: str) -> None:
    with pytest.raises(reading.UnreadableFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        reading.prepare(write(content), "x.csv")


def test_a_file_of_utf_8_lines_and_windows_1252_lines_is_refused(write: Callable[..., Path]) -> None:
    """Read as Windows-1252, its UTF-8 text would be stored garbled (`L’Art` as `Lâ€™Art`)."""
    content = (HEADER.replace("\n", ",notes\n") + "DD1391-100,10,110,EUR,2024-03-01,L\u2019Art\n").encode()
    content += "DD1391-100,10,110,EUR,2024-03-02,Café\n".encode("cp1252")
    message = "mixed encodings: line 2 is UTF-8 text and line 3 is not (Windows-1252?)"
    with pytest.raises(reading.UnreadableFileError, match=re.escape(message)):
        reading.prepare(write(content), "x.csv")


def test_header_only_has_no_rows(write: Callable[..., Path]) -> None:
    assert parse_path(write(HEADER)) == ("purchases", [], [])


def test_truncated_last_line(write: Callable[..., Path]) -> None:
    _, records, errors = parse_path(write(HEADER + "DD1391-100,10,110,USD,2024-03-01\nDD1391-100,10,11"))
    assert len(records) == 1
    assert [(e.line, e.reason) for e in errors] == [
        (3, "3 fields where the header has 5 (truncated line or wrong delimiter?)")
    ]


def test_file_ending_inside_quotes(write: Callable[..., Path]) -> None:
    _, _, errors = parse_path(write(HEADER + 'DD1391-100,10,110,USD,"2024-03-01\n'))
    assert [(e.line, e.reason) for e in errors] == [
        (2, "the file ends inside a quoted field (truncated file?)")
    ]


def test_wrong_delimiter_is_an_unknown_format(write: Callable[..., Path]) -> None:
    with pytest.raises(UsageError, match="cannot tell the export format") as caught:
        parse_path(write(HEADER.replace(",", "\t") + "DD1391-100\t10\t110\tUSD\t2024-03-01\n"))
    assert "'sku\\tsize\\tcost" in str(caught.value) and "known formats: stockx" in str(caught.value)


def test_wrong_delimiter_with_an_explicit_format(write: Callable[..., Path]) -> None:
    _, _, errors = parse_path(write(HEADER.replace(",", "|") + "x|10|1|USD|2024-03-01\n"), "purchases")
    assert [e.column for e in errors] == [
        "sku or style or style code",
        "size",
        "cost or purchase price or price paid",
        "purchase date or date or bought on",
    ]
    assert {e.reason for e in errors} == {"required column is missing"}


LONG = "a field is longer than 131,072 characters (not a CSV export? an unclosed quote?)"


def test_ten_megabyte_field(write: Callable[..., Path]) -> None:
    huge = "x" * (10 * 1024 * 1024)
    text = HEADER + f'DD1391-100,10,110,USD,"{huge}"\nDD1391-100,10,110,USD,2024-03-02\n'
    _, records, errors = parse_path(write(text))
    assert [(e.line, e.reason) for e in errors] == [(2, LONG)]
    assert len(records) == 1  # the reader recovers at the next record


def test_a_long_field_in_a_record_of_several_lines_is_one_bad_record(write: Callable[..., Path]) -> None:
    """The record's later lines are never read as rows of their own, even when they look like one."""
    huge = "x" * 200_000
    text = HEADER + (
        f'DD1391-100,10,110,USD,"{huge}\nDD1391-100,11,999,USD,2024-03-09\nend"\n'
        "DD1391-100,12,120,USD,2024-03-02\n"
    )
    _, records, errors = parse_path(write(text))
    assert [(e.line, e.reason) for e in errors] == [(2, f"{LONG}: lines 2-4 read as one record")]
    assert [(r.line, r.size, r.cost) for r in records if isinstance(r, PurchaseRecord)] == [
        (5, "12", Decimal("120.00"))
    ]


def test_an_unclosed_quote_reads_the_rest_of_the_file_as_one_bad_record(write: Callable[..., Path]) -> None:
    rows = "".join(f"DD1391-100,{n % 10 + 4},110,USD,2024-03-01\n" for n in range(5_000))
    text = HEADER + "DD1391-100,10,110,USD,2024-03-01\n" + 'X,"10\n' + rows
    _, records, errors = parse_path(write(text))
    # 5,000 lines of 34 characters exceed the field limit: read again, the quote runs to the end
    assert len(records) == 1
    truncated = "the file ends inside a quoted field (truncated file?)"
    assert [(e.line, e.reason) for e in errors] == [(3, truncated)]


def test_ambiguous_header(write: Callable[..., Path]) -> None:
    header = "Order Date,Sneaker Name,Sale Price,Shoe Size,sku,size,cost,purchase date\n"
    with pytest.raises(UsageError, match=r"fits several formats \(contest, purchases\)") as raised:
        parse_path(write(header + "9/1/17,A,$1,10,X,10,1,2024-01-01\n"))
    message = str(raised.value)
    assert "the header ('Order Date', 'Sneaker Name', 'Sale Price', 'Shoe Size', 'sku', 'size'" in message
    assert "known formats: stockx, alias, ebay-orders" in message


def test_a_header_unreadable_with_any_delimiter_is_shown_as_written(write: Callable[..., Path]) -> None:
    """A quoted tab-separated header is no CSV record: the message shows it, not the row after it."""
    path = write('"sku"\t"size"\t"cost"\t"purchase date"\nDD1391-100\t10\t110\t2024-03-01\n')
    with pytest.raises(UsageError, match="cannot tell the export format") as caught:
        parse_path(path)
    assert 'from the header (\'"sku"\\t"size"\\t' in str(caught.value)
    assert "DD1391-100" not in str(caught.value)


def test_a_utf_8_mark_beside_windows_1252_lines_is_named(write: Callable[..., Path]) -> None:
    content = b"\xef\xbb\xbf" + HEADER.encode() + b"DD1391-100,10,110,EUR,2024-03-02\n"
    content += "DD1391-100,10,110,EUR,2024-03-02,Café\n".encode("cp1252")
    message = "line 1 starts with a UTF-8 byte-order mark and line 3 is not (Windows-1252?)"
    with pytest.raises(reading.UnreadableFileError, match=re.escape(message)):
        reading.prepare(write(content), "x.csv")


def test_a_blank_quoted_record_is_not_shown_as_the_header(write: Callable[..., Path]) -> None:
    with pytest.raises(UsageError, match=re.escape("from the header ('foo', 'bar')")):
        parse_path(write('"",""\nfoo,bar\n1,2\n'))
