"""`soleflip forecast` through the CLI on SQLite and PostgreSQL: JSON shapes, tables, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from soleflip_cli import db
from tests.conftest import Cli
from tests.forecast_seed import seed_market, seed_own
from tests.test_startup import HEAVY, PROBE

METRICS = {"rmsse", "mase", "wape", "bias", "coverage_80", "coverage_95"}


def _seed(cli: Cli, *seeders: Callable[[Session], Any]) -> None:
    assert cli.url is not None
    engine = db.make_engine(cli.url)
    db.ensure_schema(engine, lambda _message: None)
    with db.session_scope(engine) as session:
        for seeder in seeders:
            seeder(session)
    engine.dispose()


def test_backtest_json_has_one_object_per_level(cli: Cli) -> None:
    _seed(cli, seed_market)
    result = cli(
        "forecast",
        "backtest",
        "--source",
        "market",
        "--by",
        "sku",
        "--by",
        "total",
        "--windows",
        "2",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    levels = json.loads(result.stdout)
    assert [level["by"] for level in levels] == ["sku", "total"]
    sku = levels[0]
    assert set(sku) == {
        "by",
        "source",
        "as_of",
        "horizon",
        "windows",
        "series",
        "chosen_method",
        *METRICS,
        "seasonal_naive_rmsse",
        "ratio_to_seasonal_naive",
        "window_choices",
        "methods",
        "note",
    }
    assert (sku["source"], sku["as_of"], sku["horizon"], sku["windows"], sku["series"]) == (
        "market",
        "2024-08-07",
        28,
        2,
        2,
    )
    assert [w["first_day"] for w in sku["window_choices"]] == ["2024-06-13", "2024-07-11"]
    methods = {m["method"]: m for m in sku["methods"]}
    assert set(methods) == {
        "seasonal_naive",
        "moving_mean",
        "croston_sba",
        "tsb",
        "blend",
        "damped_tsb",
        "damped_mean",
        "damped_blend",
        "arima",  # two series: few enough for ARIMA
        "arima_tsb",
    }
    assert set(methods["tsb"]) == {"method", *METRICS, "ratio_to_seasonal_naive", "fallbacks", "seconds"}
    assert methods["seasonal_naive"]["ratio_to_seasonal_naive"] == 1.0
    assert sku["seasonal_naive_rmsse"] == methods["seasonal_naive"]["rmsse"]
    assert sku["chosen_method"] in methods and isinstance(sku["rmsse"], float)
    assert {"arima", "arima_tsb"} <= {m["method"] for m in levels[1]["methods"]}


def test_backtest_table_and_too_short_history(cli: Cli) -> None:
    _seed(cli, seed_market)
    result = cli("forecast", "backtest", "--source", "market", "--by", "sku", "--as-of", "2024-03-01")
    assert result.exit_code == 0, result.stderr
    assert "not enough history: a series needs 112 days of sales" in " ".join(result.stdout.split())
    result = cli(
        "forecast", "backtest", "--source", "market", "--by", "sku", "--as-of", "2024-03-01", "--json"
    )
    (level,) = json.loads(result.stdout)
    assert (level["series"], level["chosen_method"], level["rmsse"], level["methods"]) == (0, None, None, [])


def test_sales_json_rows(cli: Cli) -> None:
    _seed(cli, seed_market)
    result = cli("forecast", "sales", "--source", "market", "--by", "brand", "--horizon", "2", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["brand"], r["period"]) for r in rows] == [
        ("Off-White", "2024-08-08"),
        ("Off-White", "2024-08-09"),
        ("Yeezy", "2024-08-08"),
        ("Yeezy", "2024-08-09"),
    ]
    assert set(rows[0]) == {
        "brand",
        "sku",
        "name",
        "size",
        "period",
        "units",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
        "revenue",
        "revenue_lower_95",
        "revenue_upper_95",
        "currency",
        "method",
        "note",
    }
    assert rows[0]["currency"] == "USD" and isinstance(rows[0]["revenue"], str)
    assert rows[0]["revenue"].split(".")[1].isdigit() and len(rows[0]["revenue"].split(".")[1]) == 2
    assert "brand: " in result.stderr and "chosen on" in result.stderr


def test_sales_table_and_csv(cli: Cli) -> None:
    _seed(cli, seed_market)
    table = cli(
        "forecast", "sales", "--source", "market", "--by", "sku-size", "--sku", "AA1111-001", "--horizon", "1"
    )
    assert table.exit_code == 0, table.stderr
    assert "Forecast by sku-size (day)" in table.stdout and "AA1111-001" in table.stdout
    csv_out = cli(
        "forecast", "sales", "--source", "market", "--by", "total", "--freq", "month", "--format", "csv"
    )
    assert csv_out.exit_code == 0, csv_out.stderr
    header, row = csv_out.stdout.splitlines()
    assert header.startswith("period,units,lower_80,upper_80,lower_95,upper_95,revenue,currency")
    assert row.startswith("2024-08-01,")


def test_stock_json(cli: Cli) -> None:
    _seed(cli, seed_own)
    result = cli("forecast", "stock", "--as-of", "2024-06-30", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["source"], data["as_of"], data["horizon_days"], data["skipped_sales"]) == (
        "own",
        "2024-06-30",
        28,
        0,
    )
    assert [(r["size"], r["pairs"], r["cost"]) for r in data["stock"]] == [
        ("10", 2, "460.00"),
        ("9", 1, "230.00"),
    ]
    assert (
        data["stock"][1]["days_to_sell"] is None and data["stock"][1]["note"] == "this size has no own sales"
    )
    (best,) = data["restock"]
    assert {
        k: best[k] for k in ("sku", "sold", "avg_days_to_sell", "cost", "payout", "profit", "currency", "roi")
    } == {
        "sku": "AA1111-001",
        "sold": 50,
        "avg_days_to_sell": 10.0,
        "cost": "11000.00",
        "payout": "14500.00",
        "profit": "3500.00",
        "currency": "USD",
        "roi": 0.3182,
    }
    table = cli("forecast", "stock", "--as-of", "2024-06-30")
    assert "Stock: days to sell" in table.stdout and "Restock: best ROI per 30 days" in table.stdout


def test_no_sales_is_an_error_with_a_tip(cli: Cli) -> None:
    result = cli("forecast", "sales")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Error: there are no own sales up to" in result.stderr
    assert "soleflip import csv" in result.stderr
    market = cli("forecast", "backtest", "--source", "market")
    assert market.exit_code == 1 and "no market sales" in market.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["sales", "--by", "colour"],
        ["sales", "--freq", "year"],
        ["backtest", "--windows", "0"],
        ["stock", "--source", "x"],
    ],
)
def test_bad_options_are_usage_errors(cli_nodb: Cli, args: list[str]) -> None:
    result = cli_nodb("forecast", *args)
    assert result.exit_code == 2


def test_forecast_help_imports_nothing_heavy() -> None:
    probe = PROBE.format(args=["forecast", "sales", "--help"], heavy=HEAVY)
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
