"""StockX seller sales reports (2025 and 2022 layouts): payout is the truth, fees kept line by line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from soleflip_cli.importers.base import SaleRecord
from soleflip_cli.importers.stockx import ADJUSTMENT
from tests.importers.conftest import FIXTURES, parse_path


def _sales(path: Path) -> list[SaleRecord]:
    fmt, records, errors = parse_path(path)
    assert fmt == "stockx" and errors == []
    return [r for r in records if isinstance(r, SaleRecord)]


def test_2025_layout_quoting_multiline_and_fees() -> None:
    sales = _sales(FIXTURES / "stockx-2025.csv")
    assert [s.line for s in sales] == [2, 4, 6, 8, 10]  # each record spans two lines
    first = sales[0]
    assert first.external_id == "70000001-70000001"
    assert first.sold_at == datetime(2025, 3, 1, 18, 30, tzinfo=UTC)
    assert first.payout_date == datetime(2025, 3, 4, 9, 54, 57, tzinfo=UTC)
    assert (first.sku, first.size, first.currency) == ("DD1391-100", "10", "EUR")
    assert first.item_name == "Nike Dunk Low Retro White Black Panda"
    assert [(f.name, f.kind, f.amount) for f in first.fees] == [
        ("Seller Fee", "transaction", Decimal("10.80")),
        ("Payment Processing", "processing", Decimal("3.60")),
    ]
    assert first.buyer_country == "Germany"
    assert sum(s.sale_price for s in sales) == Decimal("774.00")
    assert sum(s.payout or 0 for s in sales) == Decimal("671.60")
    for sale in sales:  # fee lines always explain listing - payout exactly
        assert sale.sale_price - (sale.payout or 0) == sale.fees_total


def test_unlisted_minimum_fee_and_rounding_become_adjustments() -> None:
    sales = {s.external_id: s for s in _sales(FIXTURES / "stockx-2025.csv")}
    minimum = sales["70000002-70000002"]
    assert [(f.name, f.amount) for f in minimum.fees] == [
        ("Payment Processing", Decimal("1.35")),
        ("Shipping Fee", Decimal("5.00")),
        (ADJUSTMENT, Decimal("8.00")),
    ]
    rounding = sales["70000004-70000004"]
    assert rounding.fees[-1] == type(rounding.fees[-1])(ADJUSTMENT, "other", Decimal("-0.01"))


def test_missing_style_and_size() -> None:
    book = {s.external_id: s for s in _sales(FIXTURES / "stockx-2025.csv")}["70000003-70000003"]
    assert book.sku is None and book.size is None


def test_2022_layout_with_bom_and_crlf() -> None:
    sales = _sales(FIXTURES / "stockx-2022.csv")
    assert [s.external_id for s in sales] == ["39397482-39297241", "39393910-39293669"]
    assert sales[0].fees_total == Decimal("11.51") and sales[0].payout == Decimal("105.49")
    assert sales[1].buyer_country is None  # the 2022 layout has no buyer columns


def test_bad_cells_are_reported_per_cell(write: Callable[..., Path]) -> None:
    text = (FIXTURES / "stockx-2025.csv").read_text(encoding="utf-8")
    text = text.replace("2025-03-01 18:30:00 +00", "01/03/2025").replace(",120,EUR,", ",-120,EUR,")
    text = text.replace("70000004-70000004", "70000001-70000001")
    fmt, records, errors = parse_path(write(text))
    assert len(records) == 3
    assert [(e.line, e.column, e.value, e.reason) for e in errors] == [
        (2, "Sale Date", "01/03/2025", "not a date like 2022-07-13 09:54:57 +00"),
        (2, "Listing Price", "-120", "must not be negative"),
        (8, "Order Number", "70000001-70000001", "duplicate order (first on line 2)"),
    ]
