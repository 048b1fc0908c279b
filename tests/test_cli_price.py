"""`soleflip price fees|breakeven|suggest` end to end through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from soleflip_cli import db
from tests.conftest import Cli
from tests.pricing_data import NOW, add_listing, add_market, add_pair, add_stockx_sale


def seed(url: str, build: Callable[[Session], None]) -> None:
    """Migrate the CLI's database and fill it."""
    engine = db.make_engine(url)
    db.ensure_schema(engine, lambda _message: None)
    with db.session_scope(engine) as session:
        build(session)
    engine.dispose()


def write_config(text: str) -> None:
    (Path(os.environ["SOLEFLIP_HOME"]) / "config.toml").write_text(text, encoding="utf-8")


def test_fees_json_is_exact(cli_nodb: Cli) -> None:
    result = cli_nodb("price", "fees", "--platform", "stockx", "--price", "250", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "platform": "stockx",
        "price": "250.00",
        "currency": "USD",
        "fees": [
            {"name": "transaction_fee", "rate": "0.09", "amount": "22.50"},
            {"name": "payment_processing", "rate": "0.03", "amount": "7.50"},
            {"name": "shipping", "rate": None, "amount": "5.00"},
        ],
        "payout": "215.00",
    }
    assert "stockx schedule effective 2026-03-01, checked 2026-11-27" in result.stderr


def test_fees_table_csv_and_config_overrides(cli_nodb: Cli) -> None:
    write_config("[fees.stockx]\nlevel = 3\nshipping = 4.00\n[fees.ebay]\nstore = true\n")
    table = cli_nodb("price", "fees", "--price", "100", "--currency", "EUR")
    assert table.exit_code == 0
    assert "transaction_fee       8%    8.00" in table.stdout and "payout" in table.stdout
    assert table.stdout.split()[-1] == "85.00"
    ebay = cli_nodb("price", "fees", "-p", "ebay", "--price", "149.99", "--format", "csv")
    assert ebay.stdout.splitlines() == [
        "name,rate,amount",
        "final_value_fee,0.127,19.05",
        "per_order_fee,,0.40",
        "payout,,130.54",
    ]


def test_fees_errors(cli_nodb: Cli) -> None:
    assert cli_nodb("price", "fees").exit_code == 2
    bad = cli_nodb("price", "fees", "--price", "abc")
    assert bad.exit_code == 2 and "--price: not an amount" in bad.stderr
    other = cli_nodb("price", "fees", "-p", "goat", "--price", "10")
    assert other.exit_code == 2 and "unknown marketplace 'goat'" in other.stderr
    write_config("[fees.stockx]\nlevel = 9\n")
    config = cli_nodb("price", "fees", "--price", "100")
    assert config.exit_code == 2
    assert (
        "key 'fees': [fees.stockx] key 'level': must be a seller level from 1 to 5 (got 9)" in config.stderr
    )


def test_pricing_settings_are_validated(cli_nodb: Cli) -> None:
    write_config('[pricing]\nmin_margin = "150%"\n')
    result = cli_nodb("price", "breakeven", "--cost", "100")
    assert result.exit_code == 2 and "key 'pricing.min_margin'" in result.stderr


def test_breakeven_json(cli_nodb: Cli) -> None:
    result = cli_nodb("price", "breakeven", "--cost", "180", "--margin", "15%", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["platform"], r["breakeven"], r["target"], r["payout"], r["profit"]) for r in rows] == [
        ("stockx", "210.23", "253.43", "218.02", "38.02"),
        ("alias", "210.36", "253.66", "218.05", "38.05"),
        ("ebay", "195.65", "233.77", "215.07", "35.07"),
    ]
    assert rows[0] == {
        "platform": "stockx",
        "cost": "180.00",
        "currency": "USD",
        "breakeven": "210.23",
        "target": "253.43",
        "payout": "218.02",
        "profit": "38.02",
        "schedule": "2026-03-01 (checked 2026-11-27)",
        "note": None,
    }
    eur = json.loads(cli_nodb("price", "breakeven", "--cost", "180", "--currency", "EUR", "--json").stdout)
    assert eur[1]["breakeven"] is None and "seller_fee" in eur[1]["note"]
    both = cli_nodb("price", "breakeven", "--cost", "180", "--margin", "1%", "--roi", "2%")
    assert both.exit_code == 2 and "not both" in both.stderr


def _days_since(days: int) -> int:
    """Days from a pair bought `days` before NOW (the test run's start) to today, as the CLI counts them."""
    return (datetime.now(UTC).date() - (NOW.date() - timedelta(days=days))).days  # 71 past midnight


def test_suggest_json_rows(cli: Cli) -> None:
    def build(session: Session) -> None:
        pair = add_pair(session, status="listed", days=70)
        add_market(session, pair, "200")
        add_listing(session, pair, "205")
        add_pair(session, size="11")

    seed(cli.url or "", build)
    result = cli("price", "suggest", "--all", "--strategy", "beat-lowest", "--min-margin", "10%", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 2
    first = rows[0]
    observed = first.pop("market_observed_at")
    assert observed.endswith("Z")
    assert first == {
        "item_id": 1,
        "pair": "Nike Dunk Low Panda",
        "sku": "DD1391-100",
        "size": "10",
        "cost": "100.00",
        "currency": "USD",
        "current_ask": "205.00",
        "suggested_ask": "187",
        "payout": "159.56",
        "profit": "59.56",
        "roi": "0.5956",
        "floor": "135",
        "market_age_days": 0,
        "strategy": "beat-lowest",
        "platform": "stockx",
        "best_platform": "ebay",
        "best_ask": "187.06",
        "best_payout": "172.10",
        "flag": None,
        "reason": f"beat-lowest: lowest ask 200.00 - 1; {_days_since(70)} days in stock -6%",
        "listing_id": 1,
    }
    assert rows[1]["flag"] == "no_market_data" and rows[1]["suggested_ask"] is None
    assert "2 pairs, 1 priced by the market, 1 flagged" in result.stderr


def test_suggest_needs_a_selection(cli: Cli) -> None:
    result = cli("price", "suggest")
    assert result.exit_code == 2 and "--item ID..., --sku S [--size Z] or --all" in result.stderr
    assert cli("price", "suggest", "--item", "x").exit_code == 2
    unread = cli("price", "suggest", "--sku", "DD1391-100", "--size", "W 6Y")
    assert unread.exit_code == 2 and "unknown size 'W 6Y'" in unread.stderr  # not a traceback
    missing = cli("price", "suggest", "--item", "5,6")
    assert missing.exit_code == 1 and "no pair in stock or listed with id 5, 6" in missing.stderr
    strategy = cli("price", "suggest", "--all", "--strategy", "cheapest")
    assert strategy.exit_code == 2 and "unknown strategy 'cheapest'" in strategy.stderr


def test_calibrate(cli: Cli) -> None:
    def build(session: Session) -> None:
        add_stockx_sale(
            session, "1-1", "134", "121.27", [("Seller Fee", "8.71"), ("Payment Processing", "4.02")]
        )
        add_stockx_sale(session, "1-2", "117", "105.49", [("Payment Processing", "3.51")])

    seed(cli.url or "", build)
    result = cli("price", "fees", "--calibrate", "--last", "5", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {row["setting"]: row for row in json.loads(result.stdout)}
    assert (
        rows["transaction_rate"]["observed"] == "0.0650" and rows["transaction_rate"]["configured"] == "0.09"
    )
    assert rows["minimum_fee"] == {
        "setting": "minimum_fee",
        "currency": "EUR",
        "configured": "5.00",
        "observed": "8.00",
        "sales": 1,
        "matching": 0,
        "difference": "3.00",
        "advice": "differs: set [fees.stockx] minimum_fee = 8.00",
    }
    assert "Differs: transaction_rate, minimum_fee" in result.stderr
    empty = cli("price", "fees", "--calibrate", "-p", "ebay")
    assert empty.exit_code == 2 and "StockX sales only" in empty.stderr
