"""Money as Decimal with an ISO currency code: parsing, rounding and validation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 codes a reseller meets (marketplaces, FX tables); extend when a user needs another.
CURRENCIES: frozenset[str] = frozenset(
    "AED AUD BGN BRL CAD CHF CLP CNY CZK DKK EUR GBP HKD HUF IDR ILS INR ISK JPY KRW KWD MOP MXN "
    "MYR NOK NZD PEN PHP PLN RON SAR SEK SGD THB TRY TWD USD VND ZAR".split()
)
# Currencies whose minor unit is not the cent.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "HUF": 2, "ISK": 0, "KWD": 3}

MISSING_TOKENS = frozenset({"", "N/A", "NA", "--", "-", "NONE", "NULL", '=""-""', '="-"', '=""'})
_SYMBOLS = {"$": None, "€": "EUR", "£": "GBP", "¥": None, "₩": "KRW", "CHF": "CHF"}
# Symbols several currencies write: a cell with one of these takes its currency from the file (a
# currency column or a default), which must be one of them.
SHARED_SYMBOLS: dict[str, frozenset[str]] = {
    "$": frozenset({"USD", "AUD", "CAD", "NZD", "HKD", "SGD", "MXN", "TWD", "CLP"}),
    "¥": frozenset({"JPY", "CNY"}),
}
# A code before the amount: ISO (`EUR`), eBay's `AU $`, `US $` and `C $` (Canada), or a symbol alone.
_PREFIX = re.compile(r"^(?P<code>[A-Z]{2,3}|C(?=\s*\$))?\s*(?P<sym>[$€£¥₩])?\s*")
# An amount's digits with its thousands grouped or not, by whether the decimal separator is a comma.
# Grouped thousands never start with 0 (`0,005` is no 5).
_NUMBER = {
    False: re.compile(r"[1-9]\d{0,2}(,\d{3})+(\.\d*)?|\d*(\.\d*)?"),
    True: re.compile(r"[1-9]\d{0,2}(\.\d{3})+(,\d*)?|\d*(,\d*)?"),
}
# `1.234` or `12.345.678`: a thousands dot or three decimals; a file's rule must say which.
_DOT_GROUPS = re.compile(r"[1-9]\d{0,2}(\.\d{3})+")
_AMBIGUOUS = "ambiguous: a thousands separator or three decimals?"
# An amount must stay below this: reports convert currencies in 64-bit integer SQL, where hundredths
# times a rate's 8 decimals must fit (fx.convert_sql); NUMERIC(14, 2) columns would take up to 10^12.
MAX_AMOUNT = 4 * Decimal(10) ** 8


class MoneyParseError(ValueError):
    """A money cell could not be read; `reason` says why in a few words (for per-cell errors)."""

    def __init__(self, message: str, reason: str = "not an amount of money") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Money:
    """An amount with its currency."""

    amount: Decimal
    currency: str
    symbol: str = ""  # a shared symbol ($, ¥) the cell wrote instead of naming its currency

    def __str__(self) -> str:
        return f"{format_amount(self.amount, self.currency)} {self.currency}"


def minor_digits(currency: str) -> int:
    """Decimal places of the currency's minor unit (2 for most)."""
    return _MINOR_DIGITS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str = "USD") -> Decimal:
    """Round half-up to the currency's minor unit."""
    digits = minor_digits(currency)
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def split(amount: Decimal, parts: int, currency: str = "USD") -> list[Decimal]:
    """`amount` in `parts` shares exact to the minor unit that add up to it; the first takes the rest."""
    unit = Decimal(1).scaleb(-minor_digits(currency))
    share = (amount / parts).quantize(unit, rounding=ROUND_DOWN)
    return [amount - share * (parts - 1), *[share] * (parts - 1)]


def share_by(amount: Decimal, weights: Sequence[Decimal], currency: str = "USD") -> list[Decimal]:
    """`amount` shared in proportion to `weights`, exact to the minor unit, adding up to it.

    Cents left over go to the largest remainders (the first of equal ones); equal or unusable
    weights (none positive, or a negative one) share it as `split` does.
    """
    total = sum(weights, Decimal(0))
    if len(set(weights)) <= 1 or total <= 0 or min(weights) < 0:
        return split(amount, len(weights), currency)
    unit = Decimal(1).scaleb(-minor_digits(currency))
    exact = [amount * weight / total for weight in weights]
    shares = [value.quantize(unit, rounding=ROUND_DOWN) for value in exact]
    left = int((amount - sum(shares, Decimal(0))) / unit)  # whole units, of the amount's sign
    step = unit if left > 0 else -unit
    order = sorted(range(len(weights)), key=lambda n: -abs(exact[n] - shares[n]))
    for n in order[: abs(left)]:
        shares[n] += step
    return shares


def format_amount(amount: Decimal, currency: str = "USD") -> str:
    """The amount as a plain decimal string exact to the minor unit ("12.50")."""
    return str(quantize(amount, currency))


def check_currency(code: str) -> str:
    """Return the upper-cased ISO code or raise ValueError for an unknown one."""
    normalised = code.strip().upper()
    if normalised not in CURRENCIES:
        raise ValueError(f"unknown currency code {code!r} (expected an ISO 4217 code such as USD, EUR)")
    return normalised


def to_decimal(value: object) -> Decimal | None:
    """Decimal from an API value that may be a string, int, float-looking string or null."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise MoneyParseError(f"not an amount: {value!r}")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise MoneyParseError(f"not an amount: {value!r}") from exc


def parse_money(text: str | None, *, decimal_comma: bool | None = None) -> Money | None:
    """Parse a money cell such as `$1,097`, `AU $3,000.00`, `EUR 90,00` or `45`.

    Returns None for a missing value (empty, `N/A`, `--`). The currency is None-free: when the
    cell carries no code or symbol the returned currency is the empty string; so it is for a symbol
    several currencies write (`$`, `¥`: see SHARED_SYMBOLS), which is kept in `symbol`. `decimal_comma`
    forces the separator rule; None infers it from the cell (a comma followed by exactly two
    digits at the end with no later dot is a decimal comma).
    """
    if text is None:
        return None
    raw = text.strip().replace("\u00a0", " ").replace("\u202f", " ")  # no-break spaces group digits
    if raw.upper() in MISSING_TOKENS:
        return None
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1].strip()
    if raw.startswith("-"):
        negative, raw = not negative, raw[1:].strip()
    match = _PREFIX.match(raw)
    code = symbol = ""
    if match:
        if match.group("code"):
            code = match.group("code")
        sym = match.group("sym")
        if sym and not code:
            code = _SYMBOLS.get(sym) or ""
            symbol = "" if code else sym
        raw = raw[match.end() :]
    suffix = re.search(r"\s*([A-Z]{3}|[€£$¥])$", raw)
    if suffix:
        token = suffix.group(1)
        if not code:
            code = (_SYMBOLS.get(token) or "") if token in _SYMBOLS else token
            symbol = symbol or ("" if code else token)
        raw = raw[: suffix.start()]
    if raw.startswith("-"):
        negative, raw = not negative, raw[1:]
    raw = raw.replace(" ", "").replace("'", "")
    if code == "AU":
        code = "AUD"
    elif code in {"US", "C", "CA"}:
        code = {"US": "USD", "C": "CAD", "CA": "CAD"}[code]
    if code:
        symbol = ""
    if code and code not in CURRENCIES:
        raise MoneyParseError(
            f"unknown currency {code!r} in {text!r}", "unknown currency code (expected e.g. USD, EUR)"
        )
    amount = parse_number(raw, decimal_comma)
    if negative:
        amount = -amount
    return Money(amount, code, symbol)


def parse_number(raw: str, decimal_comma: bool | None) -> Decimal:
    """A plain number with thousands separators (`1,234.5`, `1.234,5`), the separators as in parse_money."""
    if not raw or not re.fullmatch(r"[0-9.,]+", raw):
        raise MoneyParseError(f"not an amount: {raw!r}")
    if decimal_comma is None:
        if _DOT_GROUPS.fullmatch(raw):
            raise MoneyParseError(f"ambiguous amount: {raw!r}", _AMBIGUOUS)
        decimal_comma = bool(re.search(r",\d{1,2}$", raw)) and "." not in raw[raw.rfind(",") :]
        if decimal_comma and re.fullmatch(r"\d{1,3}(,\d{3})+", raw):
            decimal_comma = False
    if not _NUMBER[decimal_comma].fullmatch(raw):
        separator = "a decimal comma" if decimal_comma else "a decimal point"
        raise MoneyParseError(f"not an amount: {raw!r}", f"not an amount written with {separator}")
    if decimal_comma:
        raw = raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", "")
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise MoneyParseError(f"not an amount: {raw!r}") from exc
