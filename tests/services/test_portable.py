"""The portable format's cell encoding: exact, reversible and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, Numeric, String, Table

from soleflip_cli.errors import BackupError
from soleflip_cli.models import UTCDateTime
from soleflip_cli.services.portable import decoder, encode

TABLE = Table(
    "cells",
    MetaData(),
    Column("text", String),
    Column("amount", Numeric(14, 2)),
    Column("at", UTCDateTime),
    Column("day", Date),
    Column("count", Integer),
    Column("flag", Boolean),
)


def _through_csv(value: Any, column: str) -> Any:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([encode(value)])
    [cell] = next(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    return None if cell == "" else decoder(TABLE.c[column])(cell)


@given(st.none() | st.text())
def test_text_round_trips_exactly(value: str | None) -> None:
    assert _through_csv(value, "text") == value


@given(st.text())
def test_text_never_reaches_a_spreadsheet_as_a_formula(value: str) -> None:
    cell = encode(value)
    if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        Decimal(cell)  # only plain numbers such as "-5" stay unescaped


@given(st.decimals(min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2))
def test_money_round_trips_with_its_scale(value: Decimal) -> None:
    back = _through_csv(value, "amount")
    assert back == value and str(back) == str(value)


@given(
    st.datetimes(
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5))])
    )
)
def test_timestamps_come_back_as_the_same_instant_in_utc(value: datetime) -> None:
    back = _through_csv(value, "at")
    assert back == value and back.utcoffset() == timedelta(0)


def test_other_types_and_naive_timestamps() -> None:
    assert encode(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"  # naive is UTC (SQLite)
    assert _through_csv(date(2024, 2, 29), "day") == date(2024, 2, 29)
    assert _through_csv(42, "count") == 42
    assert _through_csv(True, "flag") is True and _through_csv(False, "flag") is False
    assert encode(Decimal("0E-8")) == "0.00000000"
    with pytest.raises(BackupError, match="cannot store a bytes value"):
        encode(b"\x00")


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("'x", "''x"), ("", "'"), ("-5", "-5"), ("-x", "'-x"), ("plain", "plain")],
)
def test_escapes(value: str, cell: str) -> None:
    assert encode(value) == cell
