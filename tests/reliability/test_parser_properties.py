"""Property tests of the cell parsers: any text is a value or our own clean error; formatting round-trips."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from soleflip_cli.catalog import EU_FROM, SizeError, normalise_sku, parse_size
from soleflip_cli.cli._values import parse_day
from soleflip_cli.importers import alias, contest, ebay, stockx
from soleflip_cli.importers.fields import Cells, Columns, is_missing, stockx_timestamp
from soleflip_cli.money import CURRENCIES, MAX_AMOUNT, MoneyParseError, minor_digits, parse_money, quantize
from tests.reliability.fuzz import PARSER_EXAMPLES, examples
from tests.reliability.strategies import hostile_text

any_text = hostile_text | st.text()
two_digit_currencies = sorted(c for c in CURRENCIES if minor_digits(c) == 2)
amounts = st.decimals(
    min_value=-MAX_AMOUNT + Decimal("0.01"), max_value=MAX_AMOUNT - Decimal("0.01"), places=2
)


def _cells(text: str) -> Cells:
    return Cells(7, [text], Columns(["Cell"]))


@examples(PARSER_EXAMPLES["money"])
@given(any_text, st.sampled_from([None, True, False]))
def test_any_text_is_money_or_a_money_parse_error(text: str, decimal_comma: bool | None) -> None:
    try:
        money = parse_money(text, decimal_comma=decimal_comma)
    except MoneyParseError:
        return
    if money is None:
        assert is_missing(text.replace("\u00a0", " "))
        return
    assert money.amount.is_finite()
    assert money.currency == "" or money.currency in CURRENCIES


@examples(PARSER_EXAMPLES["money"])
@given(any_text, st.booleans(), st.sampled_from([None, True, False]))
def test_a_money_cell_is_an_exact_amount_or_a_row_error(
    text: str, negative: bool, decimal_comma: bool | None
) -> None:
    cells = _cells(text)
    value = cells.money("Cell", negative=negative, decimal_comma=decimal_comma)
    if value is None:
        assert cells.errors or is_missing(text.replace("\u00a0", " "))
    else:
        amount, code = value
        assert not cells.errors
        assert amount == quantize(amount, code or "USD") and abs(amount) < MAX_AMOUNT
        assert negative or amount >= 0
    assert all((e.line, e.column, e.value) == (7, "Cell", text) for e in cells.errors)


SPELLINGS: dict[str, Callable[[Decimal, str], tuple[str, bool | None]]] = {
    "plain": lambda d, _: (str(d), None),
    "thousands": lambda d, _: (f"{d:,.2f}", None),
    "code before": lambda d, code: (f"{code} {d:,.2f}", None),
    "code after": lambda d, code: (f"{d:.2f} {code}", None),
    "decimal comma": lambda d, _: (f"{d:,.2f}".translate(str.maketrans(",.", ".,")), True),
    "decimal comma, inferred": lambda d, _: (f"{d:.2f}".replace(".", ","), None),
    "accounting": lambda d, _: (f"({abs(d):,.2f})" if d < 0 else f"{d:,.2f}", None),
}


@examples(PARSER_EXAMPLES["money round trip"])
@given(amounts, st.sampled_from(two_digit_currencies), st.sampled_from(sorted(SPELLINGS)))
def test_formatted_money_parses_back_exactly(amount: Decimal, code: str, spelling: str) -> None:
    text, decimal_comma = SPELLINGS[spelling](amount, code)
    money = parse_money(text, decimal_comma=decimal_comma)
    assert money is not None and money.amount == amount
    assert money.currency == (code if spelling.startswith("code") else "")
    cells = _cells(text)
    assert cells.money("Cell", negative=True, decimal_comma=decimal_comma) == (amount, money.currency)


# Every date pattern an importer reads with (and the stockx offset fix-up), plus typical mappings.
DATE_PATTERNS: list[tuple[str, Callable[[str], str] | None]] = [
    (stockx.STAMP, stockx_timestamp),
    (alias.DAY_FIRST, None),
    (contest.SHORT_YEAR, None),
    (contest.LONG_YEAR, None),
    *((pattern, None) for pattern, _ in ebay.ORDER_DATES),
    *((pattern, None) for pattern, _ in ebay.TRANSACTION_DATES),
    ("%Y-%m-%d %H:%M:%S %z", None),
    ("%d.%m.%Y", None),
]


@examples(PARSER_EXAMPLES["dates"])
@given(any_text, st.sampled_from(DATE_PATTERNS), st.booleans())
def test_any_text_is_a_utc_timestamp_or_a_row_error(
    text: str, pattern: tuple[str, Callable[[str], str] | None], required: bool
) -> None:
    cells = _cells(text)
    value = cells.when("Cell", pattern[0], "an example", required=required, adjust=pattern[1])
    if value is None:
        assert cells.errors or (is_missing(text) and not required)
    else:
        assert not cells.errors and value.utcoffset() == timedelta(0)
    assert all((e.line, e.column, e.value) == (7, "Cell", text) for e in cells.errors)


@examples(PARSER_EXAMPLES["dates"])
@given(any_text)
def test_any_text_is_a_day_or_a_usage_error_on_the_command_line(text: str) -> None:
    try:
        assert isinstance(parse_day(text), date)
    except typer.BadParameter as exc:
        assert "YYYY-MM-DD" in str(exc)


@examples(PARSER_EXAMPLES["date round trip"])
@given(
    st.datetimes(min_value=datetime(1969, 1, 1, 12), max_value=datetime(2068, 12, 31)),
    st.integers(-12, 14),
)
def test_stockx_timestamps_parse_back_to_the_same_instant(moment: datetime, offset_hours: int) -> None:
    local = moment.replace(microsecond=0, tzinfo=timezone(timedelta(hours=offset_hours)))
    sign = "+" if offset_hours >= 0 else "-"
    text = local.strftime("%Y-%m-%d %H:%M:%S") + f" {sign}{abs(offset_hours):02d}"
    cells = _cells(text)
    assert cells.when("Cell", stockx.STAMP, stockx.EXAMPLE, adjust=stockx_timestamp) == local
    assert not cells.errors


DAY_PATTERNS = [p for p, adjust in DATE_PATTERNS if "%H" not in p]


@examples(PARSER_EXAMPLES["date round trip"])
@given(st.dates(min_value=date(1969, 1, 1), max_value=date(2068, 12, 31)), st.sampled_from(DAY_PATTERNS))
def test_formatted_days_parse_back_exactly(day: date, pattern: str) -> None:
    cells = _cells(day.strftime(pattern))
    assert cells.day("Cell", pattern, "an example") == day and not cells.errors
    assert parse_day(day.isoformat()) == day


@examples(PARSER_EXAMPLES["size"])
@given(any_text)
def test_any_text_is_a_size_or_a_size_error(text: str) -> None:
    try:
        size = parse_size(text)
    except SizeError as exc:
        assert "unknown size" in str(exc)
        return
    assert size.raw == text.strip() and 0 < len(size.norm) <= max(len(size.raw), 7)  # fits its column
    again = parse_size(size.norm)  # the normal form is itself a size, and its own normal form
    assert (again.norm, again.system) == (size.norm, size.system)


SIZE_SPELLINGS = {
    "us-m": ["{}", "US {}", "{} M", "US M {}", "{}M"],
    "us-w": ["{}W", "US {} W", "W {}W"],
    "us-y": ["{}Y", "{} GS"],
    "us-c": ["{}C", "{}TD", "{}K"],  # PS is C or Y by its number (see test_catalog)
    "uk": ["UK {}", "UK{}"],
}


@examples(PARSER_EXAMPLES["size round trip"])
@given(st.integers(1, 120), st.sampled_from(sorted(SIZE_SPELLINGS)), st.data())
def test_printed_sizes_normalise_to_their_number(halves: int, system: str, data: st.DataObject) -> None:
    if system == "us-m":  # no US men's size from EU_FROM up: a bare number that big is EU
        halves = (halves - 1) % (2 * EU_FROM - 1) + 1
    number = f"{halves / 2:g}"
    spelling = data.draw(st.sampled_from(SIZE_SPELLINGS[system]))
    size = parse_size(spelling.format(number))
    suffix = {"us-m": "", "us-w": "W", "us-y": "Y", "us-c": "C", "uk": ""}[system]
    assert size.system == system
    assert size.norm == ("UK" if system == "uk" else "") + number + suffix


@examples(PARSER_EXAMPLES["sku"])
@given(any_text)
def test_any_text_is_a_normal_sku_or_none(text: str) -> None:
    sku = normalise_sku(text)
    if sku is None:
        return
    assert sku and sku == sku.upper() and not any(c.isspace() or c in "_/" for c in sku)
    assert not sku.startswith("-") and not sku.endswith("-")
    assert normalise_sku(sku) == sku  # idempotent: a stored SKU normalises to itself


@pytest.mark.parametrize(
    ("text", "sku"),
    [
        ("dm7866 200", "DM7866-200"),
        (" dd1391_100 ", "DD1391-100"),
        ("-NA", None),
        ("---", None),
        ("n/a", None),
    ],
)
def test_sku_examples(text: str, sku: str | None) -> None:
    assert normalise_sku(text) == sku


@pytest.mark.parametrize("text", ["1.2.3", ".", "10..5W", "EU .", "UK 1.2.3"])
def test_malformed_numbers_are_size_errors(text: str) -> None:
    with pytest.raises(SizeError, match="unknown size"):
        parse_size(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("9" * 40, "too large"), ("1000000000000", "too large"), ("-1e999", "not an amount of money")],
)
def test_amounts_the_database_cannot_hold_are_row_errors(text: str, reason: str) -> None:
    cells = _cells(text)
    assert cells.money("Cell", negative=True) is None
    assert [e.reason for e in cells.errors] == [reason]


@pytest.mark.parametrize("text", ["12.50 XYZ", "ZZ 5", "QQQ 1,00"])
def test_unknown_currency_codes_are_not_money(text: str) -> None:
    with pytest.raises(MoneyParseError, match="unknown currency"):
        parse_money(text)


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("1.234", None, "ambiguous: a thousands separator or three decimals?"),
        ("$1.097", None, "ambiguous: a thousands separator or three decimals?"),
        ("12.345.678", None, "ambiguous: a thousands separator or three decimals?"),
        ("12.345", False, "more than two decimals"),
        ("EUR 1,005", True, "more decimal places than EUR has"),
        ("12.5", True, "not an amount written with a decimal comma"),
        ("1,5", False, "not an amount written with a decimal point"),
        ("1,23,4", None, "not an amount written with a decimal comma"),
        ("¥1500.5", None, "1500.50"),  # yen or yuan: the row's currency decides (see Cells.agree)
        ("0,005", False, "not an amount written with a decimal point"),  # no thousands group starts with 0
        ("0,005", True, "more than two decimals"),
        ("0.005", None, "more than two decimals"),
        ("1.234,5", None, "1234.50"),
        ("1.234", True, "1234.00"),
        ("1,234", None, "1234.00"),
        ("12.500", False, "12.50"),
        ("99,90", None, "99.90"),
        ("1.234,50", True, "1234.50"),
    ],
)
def test_amounts_are_exact_never_rounded_nor_read_with_the_wrong_separator(
    text: str, decimal_comma: bool | None, expected: str
) -> None:
    cells = _cells(text)
    value = cells.money("Cell", decimal_comma=decimal_comma)
    if expected[0].isdigit():
        assert (value, cells.errors) == ((Decimal(expected), ""), [])
    else:
        assert value is None and [e.reason for e in cells.errors] == [expected]
