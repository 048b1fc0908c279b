"""Suggestion rules one by one, on hand-built facts (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from soleflip_cli.fees import fee_terms
from soleflip_cli.pricing import (
    Decision,
    MarketQuote,
    PairFacts,
    PricingPolicy,
    best_decision,
    decide,
    market_candidate,
)

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
STOCKX = fee_terms("stockx", "USD")  # level 1: 9 % + 3 % + $5 shipping
EBAY = fee_terms("ebay", "USD")
POLICY = PricingPolicy(
    strategy="match-lowest",
    min_margin=D(0),
    undercut_step=D(1),
    markdown=((30, D("0.03")), (60, D("0.06")), (90, D("0.10"))),
    max_cut_per_run=D("0.10"),
    condition_adjustments={"used": D("-0.25"), "new-defects": D("-0.10")},
    box_adjustments={"damaged": D("-0.05")},
    stale_days=7,
)
PAIR = PairFacts(
    cost=D("100"),
    currency="USD",
    condition="new",
    box_condition="good",
    days_in_stock=5,
    current_ask=None,
    reference_ask=None,
)
QUOTE = MarketQuote(
    source="stockx",
    currency="USD",
    observed_at=NOW - timedelta(hours=3),
    lowest_ask=D("200"),
    highest_bid=D("180"),
    sell_faster=D("190"),
    earn_more=D("210"),
)


def run(
    strategy: str = "match-lowest",
    platform: str = "stockx",
    quote: MarketQuote | None = QUOTE,
    **pair: object,
) -> Decision:
    terms = EBAY if platform == "ebay" else STOCKX
    return decide(platform, terms, replace(PAIR, **pair), quote, replace(POLICY, strategy=strategy), NOW)


def test_floor_is_fee_aware_breakeven_rounded_up_to_a_whole_ask() -> None:
    # payout 0.88 p - 5 >= 100 -> p >= 119.32 -> StockX asks are whole units: 120.
    assert run().floor == D("120")
    with_margin = decide("stockx", STOCKX, PAIR, QUOTE, replace(POLICY, min_margin=D("0.10")), NOW)
    assert with_margin.floor == D("135")  # 0.78 p - 5 >= 100 -> 134.62


def test_missing_market_data_is_said_not_guessed() -> None:
    result = run(quote=None)
    assert (result.ask, result.flag) == (None, "no_market_data")
    assert "sync stockx --market" in result.reason


def test_stale_market_data_is_not_used() -> None:
    result = run(quote=replace(QUOTE, observed_at=NOW - timedelta(days=8)))
    assert (result.ask, result.flag) == (None, "stale_market_data")
    assert "8 days old (limit 7)" in result.reason
    assert run(quote=replace(QUOTE, observed_at=NOW - timedelta(days=7))).ask == D("200")


def test_match_lowest_with_payout_profit_roi() -> None:
    result = run()
    # 200 - 18.00 - 6.00 - 5.00 = 171.00
    assert (result.ask, result.payout, result.profit, result.roi) == (
        D("200"),
        D("171.00"),
        D("71.00"),
        D("0.71"),
    )
    assert result.flag is None and result.reason == "match-lowest: lowest ask 200"


def test_beat_lowest_undercuts_by_one_step() -> None:
    result = run("beat-lowest")
    assert result.ask == D("199") and result.reason == "beat-lowest: lowest ask 200 - 1"


def test_own_lowest_ask_is_held_not_undercut_again() -> None:
    result = run("beat-lowest", current_ask=D("195"), days_in_stock=120, condition="used")
    assert result.ask == D("195")
    assert "already the lowest ask" in result.reason and "used" not in result.reason


def test_sell_faster_earn_more_and_max_profit() -> None:
    assert run("sell-faster").ask == D("190")
    assert run("earn-more").ask == D("210")
    result = run("max-profit")
    assert result.ask == D("210") and "the earn-more amount 210" in result.reason
    missing = run("sell-faster", quote=replace(QUOTE, sell_faster=None))
    assert (missing.ask, missing.flag) == (None, "no_candidate")
    only_bid = replace(QUOTE, lowest_ask=None, sell_faster=None, earn_more=None)
    assert market_candidate("max-profit", only_bid, D(1), None)[0] == D("180")


def test_condition_and_box_adjustments() -> None:
    used = run(condition="used")
    assert used.ask == D("150") and "used -25%" in used.reason
    both = run(condition="used", box_condition="damaged")
    assert both.ask == D("142")  # 200 x 0.75 x 0.95 = 142.5, rounded down to a whole ask
    assert "damaged box -5%" in both.reason


@pytest.mark.parametrize(("days", "ask"), [(29, "200"), (30, "194"), (65, "188"), (400, "180")])
def test_aging_markdown_steps(days: int, ask: str) -> None:
    assert run(days_in_stock=days).ask == D(ask)


def test_max_cut_per_run_limits_the_drop_from_the_current_ask() -> None:
    result = run("beat-lowest", current_ask=D("250"))
    assert result.ask == D("225") and "cut limited to -10% of 250 per run" in result.reason
    # A cut already applied today counts: the reference is the ask before it.
    again = run("beat-lowest", current_ask=D("225"), reference_ask=D("250"))
    assert again.ask == D("225")


def test_never_below_the_floor() -> None:
    result = run(quote=replace(QUOTE, lowest_ask=D("110")))
    assert (result.ask, result.flag) == (D("120"), "below_floor")
    assert "110 is below the floor 120" in result.reason
    assert result.payout is not None and result.payout >= PAIR.cost


def test_ebay_snaps_up_to_the_150_fee_band() -> None:
    result = run(platform="ebay", quote=replace(QUOTE, lowest_ask=D("146")))
    # 146: 13.6 % + 0.40 -> 125.74; 150: 8 % -> 138.00
    assert (result.ask, result.payout) == (D("150.00"), D("138.00"))
    assert "snapped up to 150.00 (lower fee band nets 12.26 more)" in result.reason
    assert run(platform="ebay", quote=replace(QUOTE, lowest_ask=D("139.99"))).ask == D("139.99")


def test_best_decision_nets_the_most() -> None:
    a = run()
    b = run(platform="ebay")
    assert best_decision([a, b]) is b  # eBay nets 184.00 at 200 vs StockX 171.00
    assert best_decision([run(quote=None)]) is None
