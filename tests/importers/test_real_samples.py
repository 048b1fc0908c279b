"""The real exports in ../shared/data: exact row counts and totals to the cent (skipped when absent)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from soleflip_cli.errors import UsageError
from soleflip_cli.importers.base import MarketSaleRecord, SaleRecord
from tests.conftest import SAMPLES, SHARED_DATA
from tests.importers.conftest import parse_path


def _real(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real sample {path} is not on this machine (../shared/data)")
    return path


def test_stockx_2025_sample() -> None:
    fmt, records, errors = parse_path(_real(SAMPLES / "stockx-seller-report-2025-sample.csv"))
    sales = [r for r in records if isinstance(r, SaleRecord)]
    assert (fmt, len(sales), errors) == ("stockx", 6, [])
    assert {s.currency for s in sales} == {"EUR"}
    assert sum(s.sale_price for s in sales) == Decimal("693.00")
    assert sum(s.payout or 0 for s in sales) == Decimal("613.18")
    assert sum(s.fees_total or 0 for s in sales) == Decimal("79.82")
    assert sum(1 for s in sales if s.sku is None) == 1


def test_stockx_2022_header_is_detected() -> None:
    assert parse_path(_real(SAMPLES / "stockx-seller-report-2022-header.csv")) == ("stockx", [], [])


def test_alias_sample() -> None:
    fmt, records, errors = parse_path(_real(SAMPLES / "alias-sales-report-sample.csv"))
    sales = [r for r in records if isinstance(r, SaleRecord)]
    assert (fmt, len(sales), errors) == ("alias", 8, [])
    assert sum(s.sale_price for s in sales) == Decimal("1643.00")
    # Fees from the schedule, checked by hand row by row (e.g. 565: 53.68 + 5.00 + 14.68 = 73.36).
    assert sum(s.fees_total or 0 for s in sales) == Decimal("238.06")
    assert sum(s.payout or 0 for s in sales) == Decimal("1404.94")
    assert {s.sku for s in sales} >= {"DM7866-200", "M2002RFA", "1203A305-003"}


@pytest.mark.slow
def test_contest_file() -> None:
    fmt, records, errors = parse_path(_real(SHARED_DATA / "stockx-contest-2019.csv"))
    rows = [r for r in records if isinstance(r, MarketSaleRecord)]
    assert (fmt, len(rows), errors) == ("contest", 99_956, [])
    assert sum(r.sale_price for r in rows) == Decimal("44643820.00")
    assert len({r.row_key for r in rows}) == 99_956
    assert len({r.name for r in rows}) == 50
    assert (min(r.sale_date for r in rows).isoformat(), max(r.sale_date for r in rows).isoformat()) == (
        "2017-09-01",
        "2019-02-13",
    )


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("ebay-orders-report-header-80col.csv", "ebay-orders"),
        ("ebay-orders-report-header-82col.csv", "ebay-orders"),
        ("ebay-transaction-report-header.csv", "ebay-transactions"),
    ],
)
def test_ebay_headers_are_detected(name: str, fmt: str) -> None:
    assert parse_path(_real(SAMPLES / name)) == (fmt, [], [])


def test_shopify_needs_a_mapping() -> None:
    with pytest.raises(UsageError, match="cannot tell the export format"):
        parse_path(_real(SAMPLES / "shopify-orders-export-header.csv"))
