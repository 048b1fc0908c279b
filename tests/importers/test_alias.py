"""Alias / GOAT sales reports: whole-dollar prices, day-first dates, spaced SKUs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from soleflip_cli.importers.base import SaleRecord
from tests.importers.conftest import FIXTURES, parse_path


def test_values() -> None:
    fmt, records, errors = parse_path(FIXTURES / "alias.csv")
    assert fmt == "alias" and errors == []
    sales = [r for r in records if isinstance(r, SaleRecord)]
    first = sales[0]
    assert (first.platform, first.external_id, first.sku) == ("alias", "100000001", "DM7866-200")
    assert first.sold_at == datetime(2024, 12, 18, tzinfo=UTC)
    assert first.payout_date == datetime(2024, 12, 20, tzinfo=UTC)
    assert (first.sale_price, first.currency, first.fees, first.payout) == (
        Decimal("399.00"),
        "USD",
        (),
        None,
    )
    assert sales[1].sold_at == datetime(2024, 12, 3, tzinfo=UTC)  # 3/12/24 is 3 December
    assert sales[3].item_name == "Gel Quantum 360 8 'Ocean Pack - Black, Aquarium'"
    assert sum(s.sale_price for s in sales) == Decimal("721.00")
