"""Dated marketplace fee schedules (StockX, Alias/GOAT, eBay) and the checked `[fees.*]` overrides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal as D
from decimal import InvalidOperation
from typing import Any

from soleflip_cli.errors import ConfigError

PLATFORMS = ("stockx", "alias", "ebay")
ZERO = D(0)
_KEYS: dict[str, tuple[str, ...]] = {
    "stockx": (
        "version",
        "level",
        "transaction_rate",
        "bonuses",
        "processing_rate",
        "minimum_fee",
        "region",
        "shipping",
    ),
    "alias": ("version", "location", "rating", "commission_rate", "seller_fee", "cash_out_rate", "cash_out"),
    "ebay": ("version", "threshold", "high_rate", "low_rate", "per_order_fee", "store", "below_standard"),
}
BONUSES = ("quick_ship", "successful_ship")


# When these tables were last checked against the sources named in each schedule.
CHECKED = date(2026, 11, 27)


@dataclass(frozen=True)
class StockXSchedule:
    """StockX seller fees: transaction fee by seller level, processing, minimum fee, shipping."""

    effective: date
    checked: date
    source: str
    level_rates: tuple[D, D, D, D, D]
    processing_rate: D
    # Minimum transaction fee by payout currency; applies to the transaction fee alone.
    minimum_fee: dict[str, D]
    # Seller shipping deduction by currency (the usual region of that currency).
    shipping: dict[str, D]
    # Seller shipping by country (ISO 3166 alpha-2) when `region` is configured: (currency, amount).
    region_shipping: dict[str, tuple[str, D]]
    # Levels that earn the -1 point performance bonuses (quick / successful shipping).
    bonus_levels: tuple[int, ...] = (3, 4, 5)
    bonus_rate: D = D("0.01")


@dataclass(frozen=True)
class AliasSchedule:
    """Alias/GOAT: commission by seller rating, seller fee by seller location (USD), cash-out fee."""

    effective: date
    checked: date
    source: str
    # (lowest rating, commission rate), best tier first.
    rating_tiers: tuple[tuple[int, D], ...]
    seller_fee: dict[str, D]
    other_seller_fee: D
    cash_out_rate: D
    currency: str = "USD"


@dataclass(frozen=True)
class EbaySchedule:
    """eBay athletic shoes: final value fee by price band and a per-order fee below the threshold."""

    effective: date
    checked: date
    source: str
    threshold: D
    high_rate: D
    low_rate: D
    per_order_fee: D
    store_high_rate: D
    store_low_rate: D
    below_standard_surcharge: D
    currency: str = "USD"
    notes: tuple[str, ...] = field(default_factory=tuple)


_MIN_FEE = {
    # FEES-HELP [V]; USD and EUR from CALC-MIN / FEE-RULES and a real EUR payout [O].
    "USD": D("5.00"),
    "EUR": D("5.00"),
    "AUD": D("7.50"),
    "CAD": D("7.00"),
    "HKD": D("45.00"),
    "JPY": D("800"),
    "MXN": D("100.00"),
    "NZD": D("16.00"),
    "SGD": D("7.00"),
    "KRW": D("7500"),
    "CHF": D("4.50"),
    # GBP is only in an older secondary table (CALC-MIN) [U].
    "GBP": D("4.50"),
}
_REGION_SHIPPING = {
    # CALC-MIN secondary per-country table [U]; US from YAHOO-COMPLEX [O].
    "US": ("USD", D("4.00")),
    "GB": ("GBP", D("4.00")),
    "DE": ("EUR", D("5.00")),
    "NL": ("EUR", D("5.00")),
    "BE": ("EUR", D("5.00")),
    "AT": ("EUR", D("5.00")),
    "LU": ("EUR", D("5.00")),
    "PL": ("EUR", D("5.00")),
    "FR": ("EUR", D("7.00")),
    "IT": ("EUR", D("7.00")),
    "ES": ("EUR", D("8.00")),
    "CA": ("CAD", D("6.00")),
    "HK": ("HKD", D("48.00")),
    "JP": ("JPY", D("1200")),
}
_SHIPPING = {"USD": D("4.00"), "EUR": D("4.50"), "GBP": D("4.00"), "CAD": D("6.00"), "HKD": D("48.00")}
_SHIPPING_JPY = {"JPY": D("1200")}

STOCKX: tuple[StockXSchedule, ...] = (
    StockXSchedule(
        effective=date(2023, 7, 1),
        checked=CHECKED,
        source="stockx.com/help fees for sellers (levels, 3% processing, minimums); SR-2023 (July 2023 "
        "levels); US $4 shipping since Oct 2021 (news); EU EUR 4.50 from a real payout",
        level_rates=(D("0.09"), D("0.085"), D("0.08"), D("0.075"), D("0.07")),
        processing_rate=D("0.03"),
        minimum_fee=_MIN_FEE,
        shipping=_SHIPPING | _SHIPPING_JPY,
        region_shipping=_REGION_SHIPPING,
    ),
    StockXSchedule(
        effective=date(2026, 3, 1),
        checked=CHECKED,
        source="as 2023-07-01, with US seller shipping raised to $5 on 1 Mar 2026 (secondary fee-rules "
        "table verified 2026-08-20; uncertain)",
        level_rates=(D("0.09"), D("0.085"), D("0.08"), D("0.075"), D("0.07")),
        processing_rate=D("0.03"),
        minimum_fee=_MIN_FEE,
        shipping=_SHIPPING | _SHIPPING_JPY | {"USD": D("5.00")},
        region_shipping=_REGION_SHIPPING | {"US": ("USD", D("5.00"))},
    ),
)

_GOAT_TIERS = ((90, D("0.095")), (70, D("0.15")), (50, D("0.20")), (0, D("0.25")))
_GOAT_SELLER_FEE = (
    {"US": D("5")}
    | dict.fromkeys(("GB", "IE", "LU", "NL", "BE", "FR", "DE"), D("12"))
    | {"HK": D("15")}
    | dict.fromkeys(("CA", "AT", "SE", "IT", "FI", "PT", "ES", "DK"), D("20"))
    | dict.fromkeys(("CN", "GU"), D("25"))
)

ALIAS: tuple[AliasSchedule, ...] = (
    AliasSchedule(
        effective=date(2020, 2, 27),
        checked=CHECKED,
        source="goat.com/fees-old (commission 9.5% + location seller fee, rating tiers); "
        "support.flightclub.com (2.9% cash-out)",
        rating_tiers=_GOAT_TIERS,
        seller_fee=_GOAT_SELLER_FEE,
        other_seller_fee=D("30"),
        cash_out_rate=D("0.029"),
    ),
    AliasSchedule(
        effective=date(2024, 5, 10),
        checked=CHECKED,
        source="alias.org/fees updated 10 May 2024 (9.5% + seller fee, same rating tiers, 2.9% cash-out); "
        "its location table was not captured, so the 2020 GOAT table stands in",
        rating_tiers=_GOAT_TIERS,
        seller_fee=_GOAT_SELLER_FEE,
        other_seller_fee=D("30"),
        cash_out_rate=D("0.029"),
    ),
)

EBAY: tuple[EbaySchedule, ...] = (
    EbaySchedule(
        effective=date(2022, 9, 27),
        checked=CHECKED,
        source="pages.ebay.com fee overview (13.6% + $0.40 per order); athletic shoes >= $150 at 8% "
        "with no per-order fee from a secondary source (uncertain)",
        threshold=D("150.00"),
        high_rate=D("0.08"),
        low_rate=D("0.136"),
        per_order_fee=D("0.40"),
        store_high_rate=D("0.07"),
        store_low_rate=D("0.127"),
        below_standard_surcharge=D("0.06"),
    ),
)


def parse_rate(value: object) -> D:
    """A fraction from `0.15`, `"0.15"` or `"15%"`; ValueError unless 0 <= rate < 1."""
    if isinstance(value, bool):
        raise ValueError(f"not a rate: {value!r}")
    text = str(value).strip()
    try:
        rate = D(text[:-1].strip()) / 100 if text.endswith("%") else D(text)
    except InvalidOperation:
        raise ValueError(
            f"not a rate: {value!r} (use a fraction such as 0.03 or a percentage '3%')"
        ) from None
    if not ZERO <= rate < 1:
        raise ValueError(f"rate {value!r} is out of range (use a fraction such as 0.03 or a percentage '3%')")
    return rate


def problem(platform: str, key: str, message: str) -> ConfigError:
    """A ConfigError naming the `[fees.<platform>]` key at fault."""
    return ConfigError(
        f"config [fees.{platform}] key {key!r}: {message}",
        hint="fix it in config.toml (see config.example.toml and `soleflip price fees`)",
    )


def _money(value: object) -> D:
    if isinstance(value, bool):
        raise ValueError
    amount = D(str(value).strip())
    if not amount.is_finite() or amount < 0:
        raise ValueError
    return amount


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise ValueError


def _bonuses(value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ValueError
    names = tuple(str(item).strip() for item in items if str(item).strip())
    if any(name not in BONUSES for name in names):
        raise ValueError
    return names


def _version(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip())


def _country(value: object) -> str:
    text = str(value).strip().upper()
    if len(text) != 2 or not text.isalpha():
        raise ValueError
    return "GB" if text == "UK" else text


def _int(low: int, high: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not low <= (number := int(str(value).strip())) <= high:
            raise ValueError
        return number

    return parse


_PARSERS: dict[str, tuple[Callable[[object], Any], str]] = {
    "version": (_version, "must be the effective date of a schedule, e.g. 2023-07-01"),
    "level": (_int(1, 5), "must be a seller level from 1 to 5"),
    "rating": (_int(0, 100), "must be a seller rating from 0 to 100"),
    "bonuses": (_bonuses, "must be a list of quick_ship, successful_ship"),
    "region": (_country, "must be a two-letter country code such as US, DE, GB"),
    "location": (_country, "must be a two-letter country code such as US, DE, GB"),
    "cash_out": (_bool, "must be true or false"),
    "store": (_bool, "must be true or false"),
    "below_standard": (_bool, "must be true or false"),
}


def read_overrides(platform: str, overrides: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """The parsed `[fees.<platform>]` table; ConfigError naming the key on any bad value."""
    table = (overrides or {}).get(platform) or {}
    if not isinstance(table, Mapping):
        raise ConfigError(f"config [fees.{platform}] must be a table of settings")
    parsed: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _KEYS[platform]:
            raise problem(platform, key, f"unknown setting (valid: {', '.join(_KEYS[platform])})")
        parser, message = _PARSERS.get(key, (_money, "must be a non-negative amount such as 5.00"))
        if key.endswith("_rate"):
            parser, message = parse_rate, "must be a fraction such as 0.03 or a percentage '3%'"
        try:
            parsed[key] = parser(value)
        except (ValueError, TypeError, InvalidOperation):
            raise problem(platform, key, f"{message} (got {value!r})") from None
    return parsed


def validate_overrides(overrides: Mapping[str, Mapping[str, Any]] | None) -> None:
    """Check every `[fees.*]` table: known marketplaces, known keys, valid values."""
    for platform in overrides or {}:
        if platform not in PLATFORMS:
            raise ConfigError(
                f"config [fees.{platform}]: unknown marketplace (expected {', '.join(PLATFORMS)})"
            )
        read_overrides(platform, overrides)
