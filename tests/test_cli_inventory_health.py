"""`soleflip inventory aging|dead|value` on one shared stock, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.conftest import Cli
from tests.inventory_helpers import ago, catalog, market, ok


@pytest.fixture
def stock(cli: Cli) -> Cli:
    """Nike 9 x2 (40 days, 100), Nike 10 (10 days, 120), Jordan 10 (200 days, 300), no-brand 8 (95 days, 50).

    Market: Nike 9 stockx ask 150 (10 days old) then 140/bid 120 (1 day), alias ask 160 (newest);
    Nike 10 stockx ask 130, 30 days old (stale); Jordan 10 only in EUR; the no-brand pair has none.
    A sixth pair is sold and so is not stock.
    """
    catalog(cli, "DD1391-100", "Nike Dunk Low Panda", "Nike")
    catalog(cli, "DM7866-200", "Air Jordan 1 Low Travis Scott", "Jordan")
    for sku, size, cost, days, n in [
        ("DD1391-100", "9", "100", 40, "2"),
        ("DD1391-100", "10", "120", 10, "1"),
        ("DM7866-200", "10", "300", 200, "1"),
        ("FZ5000-100", "8", "50", 95, "1"),
        ("DD1391-100", "9", "90", 300, "1"),
    ]:
        ok(
            cli,
            "inventory",
            "add",
            "--sku",
            sku,
            "--size",
            size,
            "--cost",
            cost,
            "--date",
            ago(days),
            "-n",
            n,
        )
    ok(cli, "inventory", "sell", "6", "--price", "100", "--platform", "local")
    market(cli, "DD1391-100", "9", ask="150", days_old=10)
    market(cli, "DD1391-100", "9", ask="140", bid="120", days_old=1)
    market(cli, "DD1391-100", "9", ask="160", source="alias", days_old=0.5)
    market(cli, "DD1391-100", "10", ask="130", days_old=30)
    market(cli, "DD1391-100", "10", ask=None, bid="90", days_old=0.1)
    market(cli, "DM7866-200", "10", ask="280", currency="EUR", days_old=2)
    return cli


def test_aging_by_brand_and_total(stock: Cli) -> None:
    assert ok(stock, "inventory", "aging") == [
        {
            "brand": "Jordan",
            "bucket": ">180",
            "min_days": 181,
            "max_days": None,
            "pairs": 1,
            "cost": "300.00",
            "currency": "USD",
        },
        {
            "brand": "Nike",
            "bucket": "0-30",
            "min_days": 0,
            "max_days": 30,
            "pairs": 1,
            "cost": "120.00",
            "currency": "USD",
        },
        {
            "brand": "Nike",
            "bucket": "31-60",
            "min_days": 31,
            "max_days": 60,
            "pairs": 2,
            "cost": "200.00",
            "currency": "USD",
        },
        {
            "brand": None,
            "bucket": "91-180",
            "min_days": 91,
            "max_days": 180,
            "pairs": 1,
            "cost": "50.00",
            "currency": "USD",
        },
    ]
    totals = ok(stock, "inventory", "aging", "--by", "total")
    assert [(r["bucket"], r["pairs"], r["cost"]) for r in totals] == [
        ("0-30", 1, "120.00"),
        ("31-60", 2, "200.00"),
        ("91-180", 1, "50.00"),
        (">180", 1, "300.00"),
    ]
    assert "brand" not in totals[0]
    table = stock("inventory", "aging", "--by", "total")
    assert "total" in table.stdout and "670.00" in table.stdout


def test_aging_buckets_come_from_settings(stock: Cli) -> None:
    result = stock(
        "inventory", "aging", "--by", "total", "--json", env={"SOLEFLIP_INVENTORY__AGING_BUCKETS": "[15]"}
    )
    assert result.exit_code == 0, result.stderr
    assert '"bucket": "0-15"' in result.stdout and '"bucket": ">15"' in result.stdout


def test_dead_stock_says_why_and_fails_on_request(stock: Cli) -> None:
    dead = ok(stock, "inventory", "dead")
    assert [(d["id"], [r["rule"] for r in d["reasons"]]) for d in dead] == [
        (4, ["age"]),
        (5, ["age"]),
        (3, ["below_cost"]),
    ]
    assert dead[0]["reasons"][0]["message"] == "in stock 200 days (more than 90)"
    assert dead[2]["market_payout"] == "109.40"
    assert dead[2]["reasons"][0]["message"].startswith("payout 109.40 USD after stockx fees at the ")
    assert dead[2]["reasons"][0]["message"].endswith(" lowest ask 130.00 is below cost 120.00 USD")
    failing = stock("inventory", "dead", "--fail-on-dead", "--format", "csv")
    assert failing.exit_code == 3 and "3 pair(s) of dead stock" in failing.stderr
    assert "in stock 200 days (more than 90)" in failing.stdout
    fine = stock("inventory", "dead", "--fail-on-dead", env={"SOLEFLIP_INVENTORY__DEAD_AFTER_DAYS": "365"})
    assert fine.exit_code == 3  # pair 3 is still below cost after fees
    assert stock("inventory", "dead", "--platform", "goat").exit_code == 2


def test_value_by_brand_and_size(stock: Cli) -> None:
    rows = ok(stock, "inventory", "value")
    oldest = [row.pop("oldest_observed_at") for row in rows]
    assert rows == [
        {
            "brand": "Jordan",
            "size": "10",
            "currency": "USD",
            "pairs": 1,
            "cost": "300.00",
            "valued_pairs": 0,
            "valued_cost": "0.00",
            "market_value": None,
            "unrealised_profit": None,
            "missing_pairs": 0,
            "unvalued_pairs": 1,
            "stale_pairs": 0,
        },
        {
            "brand": "Nike",
            "size": "9",
            "currency": "USD",
            "pairs": 2,
            "cost": "200.00",
            "valued_pairs": 2,
            "valued_cost": "200.00",
            "market_value": "320.00",
            "unrealised_profit": "120.00",
            "missing_pairs": 0,
            "unvalued_pairs": 0,
            "stale_pairs": 0,
        },
        {
            "brand": "Nike",
            "size": "10",
            "currency": "USD",
            "pairs": 1,
            "cost": "120.00",
            "valued_pairs": 1,
            "valued_cost": "120.00",
            "market_value": "130.00",
            "unrealised_profit": "10.00",
            "missing_pairs": 0,
            "unvalued_pairs": 0,
            "stale_pairs": 1,
        },
        {
            "brand": None,
            "size": "8",
            "currency": "USD",
            "pairs": 1,
            "cost": "50.00",
            "valued_pairs": 0,
            "valued_cost": "0.00",
            "market_value": None,
            "unrealised_profit": None,
            "missing_pairs": 1,
            "unvalued_pairs": 0,
            "stale_pairs": 0,
        },
    ]
    assert oldest[0] is None and oldest[3] is None and oldest[2] < oldest[1]


def test_value_bases_and_platform(stock: Cli) -> None:
    def nike(*args: str) -> list[tuple[str | None, str | None]]:
        rows = ok(stock, "inventory", "value", "--by", "brand", *args)
        return [(r["market_value"], r["unrealised_profit"]) for r in rows if r["brand"] == "Nike"]

    assert nike("--platform", "stockx") == [("410.00", "90.00")]
    assert nike("--basis", "highest-bid") == [("330.00", "10.00")]
    # stockx payout at 140: 140 - 12.60 - 4.20 - 5.00 = 118.20; at 130: 109.40.
    assert nike("--basis", "payout", "--platform", "stockx") == [("345.80", "25.80")]
    unknown = stock("inventory", "value", "--basis", "payout", "--platform", "local")
    assert unknown.exit_code == 2 and "no fee schedule for 'local'" in unknown.stderr


def test_value_per_pair_streams_notes(stock: Cli) -> None:
    pairs = {p["id"]: p for p in ok(stock, "inventory", "value", "--by", "pair", "--basis", "payout")}
    assert sorted(pairs) == [1, 2, 3, 4, 5]
    assert (pairs[3]["market_value"], pairs[3]["unrealised_profit"], pairs[3]["stale"]) == (
        "109.40",
        "-10.60",
        True,
    )
    assert pairs[4]["note"] == "market data in EUR, cost in USD" and pairs[4]["market_value"] is None
    assert pairs[5]["note"] == "no market data" and pairs[5]["market_price"] is None
    assert (
        pairs[1]["source"] == "alias" and pairs[1]["market_price"] == "160.00" and pairs[1]["stale"] is False
    )
    table = stock("inventory", "value")
    assert table.exit_code == 0 and "total" in table.stdout and "Basis: lowest-ask" in table.stderr
