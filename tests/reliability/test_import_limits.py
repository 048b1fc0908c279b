"""Values the database cannot hold are bad cells on both engines (PostgreSQL used to crash the import)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli.importers.base import FeeLine, MarketSaleRecord, SaleRecord
from soleflip_cli.models import Product, Sale
from soleflip_cli.money import MAX_AMOUNT
from soleflip_cli.services.import_ import import_file
from soleflip_cli.services.import_limits import out_of_bounds
from soleflip_cli.services.products import KEY_LENGTH, product_key
from tests.conftest import Cli
from tests.importers.conftest import FIXTURES
from tests.reliability.strategies import read_table, write_table

NOW = datetime(2024, 1, 2, tzinfo=UTC)


def _stockx_with(tmp_path: Path, column: str, value: str) -> Path:
    rows = read_table((FIXTURES / "stockx-2025.csv").read_bytes())
    rows[1][rows[0].index(column)] = value
    path = tmp_path / "stockx.csv"
    path.write_bytes(write_table(rows))
    return path


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("Item", "x" * 301, "longer than 300 characters"),
        ("Order Number", "7" * 129, "longer than 128 characters"),
        ("Style", "a b" * 30, "longer than 64 characters"),
        ("Sku Size", "10" * 21, "longer than 40 characters"),
    ],
)
def test_text_too_long_for_its_column_rejects_the_row(
    session: Session, tmp_path: Path, column: str, value: str, reason: str
) -> None:
    result = import_file(session, _stockx_with(tmp_path, column, value), fmt="stockx")
    assert not result.written and session.scalar(select(func.count(Sale.id))) == 0
    assert [(e.line, e.column, e.reason) for e in result.errors] == [(2, column, reason)]


def test_money_that_only_overflows_as_a_sum_is_caught() -> None:
    big = MAX_AMOUNT - Decimal("0.01")
    sale = SaleRecord(5, "ebay", "1:2", NOW, big * 3, "USD", item_name="x", quantity=3)
    fees = (FeeLine("a", "other", big), FeeLine("b", "other", big))
    sale_with_fees = SaleRecord(6, "stockx", "9", NOW, Decimal(1), "USD", item_name="x", fees=fees)
    assert [(e.line, e.column, e.reason) for e in out_of_bounds(sale)] == [(5, "sale_price", "too large")]
    assert [(e.line, e.column) for e in out_of_bounds(sale_with_fees)] == [(6, "fees")]
    market = MarketSaleRecord(7, "k:1", "n", "10", NOW.date(), Decimal(1), "USD")
    assert out_of_bounds(market) == []


def test_long_names_get_a_hashed_key_that_fits() -> None:
    long_a, long_b = "İ" * 150 + "a", "İ" * 150 + "b"
    key_a, key_b = product_key(None, long_a), product_key(None, long_b)
    assert len(key_a) == len(key_b) == KEY_LENGTH and key_a != key_b
    assert key_a == product_key(None, long_a.lower())  # still case-insensitive
    assert product_key(None, "Nike Dunk") == "name:nike dunk"


def test_a_long_name_imports_on_both_engines(session: Session, tmp_path: Path) -> None:
    rows = read_table((FIXTURES / "contest.csv").read_bytes())
    rows[1][rows[0].index("Sneaker Name")] = "Nike-" + "İ" * 150
    path = tmp_path / "contest.csv"
    path.write_bytes(write_table(rows))
    result = import_file(session, path, fmt="contest")
    assert result.written, result.errors
    keys = session.scalars(select(Product.product_key).where(Product.name.contains("İİİ"))).all()
    assert [len(k) for k in keys] == [KEY_LENGTH]


def test_a_huge_typed_cost_is_a_usage_error(cli: Cli) -> None:
    result = cli("inventory", "add", "--sku", "DD1391-100", "--size", "10", "--cost", "9" * 30, "--no-lookup")
    assert result.exit_code == 2 and result.exception is None
    assert "too large" in result.stderr
