"""Fee schedules against hand-computed cases and the fee lines of a real StockX export."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest

from soleflip_cli.errors import ConfigError, UsageError
from soleflip_cli.fees import (
    PLATFORMS,
    FeeLine,
    breakeven_price,
    compute_fees,
    fee_terms,
    parse_rate,
    validate_overrides,
)
from tests.conftest import SAMPLES

STOCKX_SAMPLE = SAMPLES / "stockx-seller-report-2025-sample.csv"


def lines(platform: str, price: str, currency: str = "USD", **table: Any) -> list[tuple[str, str]]:
    breakdown = compute_fees(platform, D(price), currency, {platform: table} if table else None)
    return [(line.name, str(line.amount)) for line in breakdown.fees]


def test_stockx_level_1_is_the_default() -> None:
    result = compute_fees("stockx", D("250"), "USD")
    assert result.fees == (
        FeeLine("transaction_fee", D("0.09"), D("22.50")),
        FeeLine("payment_processing", D("0.03"), D("7.50")),
        FeeLine("shipping", None, D("5.00")),
    )
    assert (result.total_fees, result.payout, result.price) == (D("35.00"), D("215.00"), D("250.00"))


@pytest.mark.parametrize(
    ("level", "fee"), [(1, "22.50"), (2, "21.25"), (3, "20.00"), (4, "18.75"), (5, "17.50")]
)
def test_stockx_seller_levels(level: int, fee: str) -> None:
    assert lines("stockx", "250", level=level)[0] == ("transaction_fee", fee)


def test_stockx_bonuses_only_from_level_3() -> None:
    bonuses = ["quick_ship", "successful_ship"]
    assert lines("stockx", "200", level=5, bonuses=bonuses)[0] == ("transaction_fee", "10.00")  # 5 %
    assert lines("stockx", "200", level=2, bonuses=bonuses)[0] == ("transaction_fee", "17.00")  # 8.5 %
    assert lines("stockx", "200", level=3, bonuses="quick_ship")[0] == ("transaction_fee", "14.00")


def test_stockx_minimum_applies_to_transaction_fee_alone() -> None:
    # 9 % of 40 = 3.60 < USD 5 minimum; processing stays 3 % of the price.
    assert lines("stockx", "40") == [
        ("minimum_transaction_fee", "5.00"),
        ("payment_processing", "1.20"),
        ("shipping", "5.00"),
    ]
    assert compute_fees("stockx", D("40"), "USD").payout == D("28.80")
    # Exactly at the minimum the percentage line is used: 9 % of 55.56 = 5.0004.
    assert lines("stockx", "55.56")[0] == ("transaction_fee", "5.00")


def test_stockx_eur_and_regions() -> None:
    assert lines("stockx", "100", "EUR") == [
        ("transaction_fee", "9.00"),
        ("payment_processing", "3.00"),
        ("shipping", "4.50"),
    ]
    assert lines("stockx", "100", "EUR", region="FR")[2] == ("shipping", "7.00")
    assert lines("stockx", "48.94", "EUR", level=2)[0] == ("minimum_transaction_fee", "5.00")
    assert lines("stockx", "8000", "JPY") == [
        ("minimum_transaction_fee", "800"),
        ("payment_processing", "240"),
        ("shipping", "1200"),
    ]
    with pytest.raises(ConfigError, match=r"\[fees.stockx\] key 'region': DE is paid out in EUR, not USD"):
        compute_fees("stockx", D("100"), "USD", {"stockx": {"region": "DE"}})
    with pytest.raises(ConfigError, match="key 'minimum_fee': no StockX minimum .* SEK"):
        compute_fees("stockx", D("100"), "SEK")
    assert lines("stockx", "1000", "SEK", minimum_fee=50, shipping="60")[2] == ("shipping", "60.00")


def test_stockx_versions_carry_their_dates() -> None:
    old = fee_terms("stockx", "USD", {"stockx": {"version": "2023-07-01"}})
    new = fee_terms("stockx", "USD")
    assert (old.version.isoformat(), old.shipping) == ("2023-07-01", D("4.00"))
    assert (new.version.isoformat(), new.shipping) == ("2026-03-01", D("5.00"))
    assert new.checked.isoformat() == "2026-11-27"
    with pytest.raises(ConfigError, match="key 'version': no schedule effective 2020-01-01"):
        fee_terms("stockx", "USD", {"stockx": {"version": "2020-01-01"}})


def test_the_schedule_in_force_on_a_day() -> None:
    assert fee_terms("stockx", "USD", on=date(2026, 2, 28)).version.isoformat() == "2023-07-01"
    assert fee_terms("stockx", "USD", on=date(2026, 3, 1)).shipping == D("5.00")
    assert fee_terms("alias", "USD", on=date(2024, 5, 9)).version.isoformat() == "2020-02-27"
    assert fee_terms("alias", "USD", on=date(2019, 1, 1)).version.isoformat() == "2020-02-27"  # the oldest
    pinned = fee_terms("stockx", "USD", {"stockx": {"version": "2026-03-01"}}, on=date(2024, 1, 1))
    assert pinned.version.isoformat() == "2026-03-01"


def test_every_number_can_be_overridden() -> None:
    table = {"transaction_rate": "6.5%", "processing_rate": 0.025, "minimum_fee": "8", "shipping": 0}
    assert lines("stockx", "139", "EUR", **table) == [
        ("transaction_fee", "9.04"),  # 9.035 rounds half up
        ("payment_processing", "3.48"),
        ("shipping", "0.00"),
    ]


def test_alias_commission_seller_fee_and_cash_out() -> None:
    # 9.5 % of 250 = 23.75; US seller fee 5; 2.9 % of the 221.25 withdrawn = 6.41625.
    assert lines("alias", "250") == [("commission", "23.75"), ("seller_fee", "5.00"), ("cash_out", "6.42")]
    assert compute_fees("alias", D("250"), "USD").payout == D("214.83")
    assert lines("alias", "100", rating=60, location="DE", cash_out=False) == [
        ("commission", "20.00"),
        ("seller_fee", "12.00"),
    ]
    assert lines("alias", "100", location="BR")[1] == ("seller_fee", "30.00")
    with pytest.raises(ConfigError, match="key 'seller_fee': Alias charges its seller fee in USD"):
        compute_fees("alias", D("100"), "EUR")
    assert lines("alias", "100", "EUR", seller_fee="11")[1] == ("seller_fee", "11.00")


def test_ebay_150_threshold() -> None:
    assert lines("ebay", "149.99") == [("final_value_fee", "20.40"), ("per_order_fee", "0.40")]
    assert compute_fees("ebay", D("149.99"), "USD").payout == D("129.19")
    assert lines("ebay", "150") == [("final_value_fee", "12.00")]
    assert compute_fees("ebay", D("150"), "USD").payout == D("138.00")
    assert lines("ebay", "200", store=True) == [("final_value_fee", "14.00")]
    assert lines("ebay", "200", below_standard="true") == [("final_value_fee", "28.00")]
    with pytest.raises(ConfigError, match="key 'threshold': the eBay schedule is for USD"):
        compute_fees("ebay", D("100"), "EUR")
    assert lines("ebay", "100", "EUR", threshold=150, per_order_fee="0.35")[1] == ("per_order_fee", "0.35")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"stockx": {"levle": 3}}, r"\[fees.stockx\] key 'levle': unknown setting \(valid: version, level"),
        ({"stockx": {"level": 6}}, "key 'level': must be a seller level from 1 to 5 \\(got 6\\)"),
        ({"stockx": {"level": True}}, "key 'level'"),
        ({"stockx": {"processing_rate": 3}}, "key 'processing_rate': must be a fraction"),
        ({"stockx": {"shipping": "-1"}}, "key 'shipping': must be a non-negative amount"),
        ({"stockx": {"bonuses": ["fast"]}}, "key 'bonuses'"),
        ({"alias": {"location": "Germany"}}, r"\[fees.alias\] key 'location': must be a two-letter"),
        ({"ebay": {"store": "maybe"}}, r"\[fees.ebay\] key 'store': must be true or false"),
        ({"goat": {}}, r"\[fees.goat\]: unknown marketplace"),
        ({"stockx": 3}, r"\[fees.stockx\] must be a table"),
    ],
)
def test_bad_overrides_name_the_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        validate_overrides(table)
    assert caught.value.exit_code == 2


def test_unknown_platform_and_bad_price() -> None:
    with pytest.raises(UsageError, match="unknown marketplace 'goat'"):
        compute_fees("goat", D("100"), "USD")
    with pytest.raises(UsageError, match="price must be positive"):
        compute_fees("stockx", D("0"), "USD")
    with pytest.raises(UsageError, match="unknown currency"):
        compute_fees("stockx", D("10"), "XXX")


def test_parse_rate() -> None:
    assert (
        parse_rate("15%") == D("0.15") and parse_rate(0.2) == D("0.2") and parse_rate("0.035") == D("0.035")
    )
    for bad in ("abc", "100%", -0.1, True):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_breakeven_hand_computed() -> None:
    # StockX: 0.88 p - 5 >= 180 -> p >= 210.227...; eBay: 0.92 p >= 180 -> 195.652...
    assert breakeven_price("stockx", D("180"), "USD") == D("210.23")
    assert breakeven_price("ebay", D("180"), "USD") == D("195.65")
    # With a 15 % margin on price: 0.73 p - 5 >= 180 -> 253.42...
    assert breakeven_price("stockx", D("180"), "USD", margin=D("0.15")) == D("253.43")
    # With a 20 % ROI: 0.88 p - 5 >= 216 -> 251.13...
    assert breakeven_price("stockx", D("180"), "USD", roi=D("0.20")) == D("251.13")
    # eBay below 150: 0.864 p - 0.40 >= 100 -> p >= 116.2037, but at 116.20 the fee rounds down
    # (13.6 % = 15.8032 -> 15.80), so 116.20 already pays exactly 100.00.
    assert breakeven_price("ebay", D("100"), "USD") == D("116.20")
    assert breakeven_price("stockx", D("18000"), "JPY") == D("21819")


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("cost", ["0.5", "37", "99.99", "131.11", "180", "1234.56"])
def test_breakeven_is_the_lowest_covering_price(platform: str, cost: str) -> None:
    for margin, roi in ((None, None), (D("0.1"), None), (None, D("0.25"))):
        price = breakeven_price(platform, D(cost), "USD", margin=margin, roi=roi)
        need = D(cost) * (1 + (roi or 0))

        def ok(p: D, need: D = need, margin: D | None = margin) -> bool:
            return compute_fees(platform, p, "USD").payout >= need + (margin or 0) * p

        assert ok(price)
        assert not any(ok(price - D(k) / 100) for k in range(1, 4) if price - D(k) / 100 > 0)


def test_breakeven_rejects_impossible_targets() -> None:
    with pytest.raises(UsageError, match="not both"):
        breakeven_price("stockx", D("100"), "USD", margin=D("0.1"), roi=D("0.1"))
    with pytest.raises(UsageError, match="no price covers the cost on stockx"):
        breakeven_price("stockx", D("100"), "USD", margin=D("0.9"))


def _sample_rows() -> list[dict[str, str]]:
    if not STOCKX_SAMPLE.exists():
        pytest.skip(f"real StockX export sample not found at {STOCKX_SAMPLE}")
    with STOCKX_SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_real_stockx_export_fee_lines() -> None:
    """2022 EU seller: 6.5 % (level 4 with both bonuses, then), EUR 8 minimum, per-order shipping."""
    rows = _sample_rows()
    assert len(rows) == 6
    exact_payouts = 0
    for row in rows:
        price = D(row["Listing Price"])
        shipping = D(row["Shipping Fee"] or "0")
        table = {"transaction_rate": "0.065", "minimum_fee": "8", "shipping": shipping}
        result = compute_fees("stockx", price, row["Listing Price Currency"], {"stockx": table})
        got = {line.name: line.amount for line in result.fees}
        assert got["payment_processing"] == D(row["Payment Processing"])
        assert got["shipping"] == shipping
        payout = D(row["Total Gross Amount (Total Payout)"])
        if row["Seller Fee"]:
            assert got["transaction_fee"] == D(row["Seller Fee"])
        else:  # the export leaves the minimum fee out: it is what the payout is short of
            expected = price - payout - D(row["Payment Processing"]) - shipping
            assert got["minimum_transaction_fee"] == expected == D("8")
        export_total = sum(
            (D(row[c] or "0") for c in ("Seller Fee", "Payment Processing", "Shipping Fee")), D(0)
        )
        if row["Seller Fee"] and price - export_total != payout:
            # The export's own columns are a cent off its payout (189 - 12.29 - 5.67 = 171.04, paid 171.05).
            assert abs(result.payout - payout) == D("0.01")
        else:
            assert result.payout == payout
            exact_payouts += 1
    assert exact_payouts == 5
