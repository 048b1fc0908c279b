"""Report totals on the real sample exports (via `soleflip import csv`) equal pandas on the raw files."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest

from tests.conftest import SAMPLES, Cli

STOCKX = SAMPLES / "stockx-seller-report-2025-sample.csv"
ALIAS = SAMPLES / "alias-sales-report-sample.csv"


def _sum(series: pd.Series) -> Decimal:
    return sum((Decimal(str(v)) for v in series.dropna()), Decimal(0)).quantize(Decimal("0.01"))


@pytest.mark.skipif(
    not (STOCKX.exists() and ALIAS.exists()), reason="the real samples in ../shared/data are absent"
)
def test_summary_of_real_samples_equals_pandas(cli: Cli) -> None:
    for path in (STOCKX, ALIAS):
        assert cli("import", "csv", str(path), "--json").exit_code == 0
    stockx = pd.read_csv(STOCKX, dtype=str, keep_default_na=False).replace("", None)
    got = json.loads(cli("report", "summary", "--platform", "stockx", "--currency", "EUR", "--json").stdout)
    listing, payout = _sum(stockx["Listing Price"]), _sum(stockx["Total Gross Amount (Total Payout)"])
    assert (got["orders"], got["gross"], got["payout"], got["fees"]) == (
        len(stockx),
        str(listing),
        str(payout),
        str(listing - payout),
    )
    assert (got["no_cost_basis"], got["cogs"], got["profit"]) == (len(stockx), "0.00", "0.00")
    alias = pd.read_csv(ALIAS, dtype=str)
    got = json.loads(cli("report", "summary", "--platform", "alias", "--currency", "USD", "--json").stdout)
    price = _sum(alias["PRODUCT_PRICE_CENTS_SALE_PRICE"])
    assert (got["orders"], got["gross"], got["no_cost_basis"]) == (len(alias), str(price), len(alias))
    # Alias exports carry no fees: they come from the built-in schedule (see test_real_samples.py).
    assert (got["no_fee_data"], got["fees"], got["payout"]) == (0, "238.06", "1404.94")
    months = json.loads(cli("report", "breakdown", "--by", "month", "--platform", "alias", "--json").stdout)
    assert sum(Decimal(g["gross"]) for g in months["groups"]) == price
