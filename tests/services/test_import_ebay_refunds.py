"""eBay refunds: a partial one lowers the payout; one that covers the price makes the sale refunded."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.models import InventoryItem, Sale
from soleflip_cli.services.import_ import import_file
from soleflip_cli.services.import_payments import refunds_by_pair
from tests.importers.conftest import FIXTURES

ORDERS, PAYMENTS = FIXTURES / "ebay-orders.csv", FIXTURES / "ebay-transactions.csv"
LINE = "12-22222-22222:110000000002"  # sold for 250.00; the fixture refunds 50.00 of it
PARTIAL = ",-50.00,USD,--,--,--,--,--,110000000002,"
PURCHASES = "sku,size,cost,currency,purchase_date\nDH6927-111,10.5,200,USD,2026-08-01\n"


def _payments(tmp_path: Path, refund: str) -> Path:
    text = PAYMENTS.read_text(encoding="utf-8-sig")
    assert text.count(PARTIAL) == 1
    path = tmp_path / "payments.csv"
    path.write_text(text.replace(PARTIAL, PARTIAL.replace("-50.00", refund)), encoding="utf-8")
    return path


def _state(session: Session) -> tuple[str, int | None, str]:
    session.expire_all()
    sale = session.scalars(select(Sale).where(Sale.external_id == LINE)).one()
    pair = session.scalars(select(InventoryItem.status)).one()
    return sale.status, sale.inventory_item_id, pair


def test_a_refund_of_the_whole_price_makes_the_sale_refunded_and_frees_its_pair(
    session: Session, tmp_path: Path
) -> None:
    purchases = tmp_path / "purchases.csv"
    purchases.write_text(PURCHASES, encoding="utf-8")
    import_file(session, purchases, options=ImportOptions())
    import_file(session, ORDERS, options=ImportOptions())
    import_file(session, _payments(tmp_path, "-50.00"), options=ImportOptions())
    status, pair_id, pair = _state(session)
    assert (status, pair_id is not None, pair) == ("completed", True, "sold")  # partial: still a sale
    result = import_file(session, _payments(tmp_path, "-260.00"), options=ImportOptions())
    assert result.updated == 1  # the refund line; both sales of its order are worked out again
    assert _state(session) == ("refunded", None, "in_stock")
    import_file(session, _payments(tmp_path, "-50.00"), options=ImportOptions())  # the export corrected
    status, pair_id, pair = _state(session)
    assert (status, pair_id is not None, pair) == ("completed", True, "sold")


@pytest.mark.parametrize(
    ("amount", "given"),
    [
        ("105.00", ["0", "0", "105.00"]),  # one pair and its shipping
        ("205.00", ["0", "100.00", "105.00"]),
        ("20.00", ["0", "0", "20.00"]),  # a partial refund
        ("310.00", ["100.00", "100.00", "110.00"]),
    ],
)
def test_a_refund_of_a_line_of_several_pairs_refunds_whole_pairs_from_the_last(
    amount: str, given: list[str]
) -> None:
    prices = [Decimal("100.00")] * 3
    assert refunds_by_pair(Decimal(amount), prices) == [Decimal(g) for g in given]


def test_one_pair_of_three_refunded_is_refunded_alone(session: Session, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    text = (FIXTURES / "ebay-orders.csv").read_text(encoding="utf-8-sig")
    orders.write_text(text.replace(",1,$250.00,", ",3,$250.00,"), encoding="utf-8")
    import_file(session, orders, options=ImportOptions())
    import_file(session, _payments(tmp_path, "-260.00"), options=ImportOptions())
    session.expire_all()
    sales = session.scalars(select(Sale).where(Sale.external_id.startswith(LINE)).order_by(Sale.external_id))
    assert [(s.external_id, s.status, s.fees_total) for s in sales] == [
        (LINE, "completed", Decimal("9.70")),  # the order line's fees 39.10 less shipping 10.00, shared
        (f"{LINE} (pair 2)", "completed", Decimal("9.70")),
        (f"{LINE} (pair 3)", "refunded", Decimal("269.70")),  # and the whole refund
    ]


# The usual full refund: the price and shipping back to the buyer, the final value fees credited back.
CREDITED = (
    '"Sep 20, 2026",Refund,12-22222-22222,--,--,--,--,--,--,--,-220.90,USD,--,--,--,--,--,110000000002,'
    "2000000000002,--,--,--,-250.00,-10.00,--,--,0.40,38.70,--,--,--,--,--,--,-260.00,USD,--,--,Buyer return"
)


def _credited(tmp_path: Path) -> Path:
    text = PAYMENTS.read_text(encoding="utf-8-sig").splitlines()
    refund = next(n for n, row in enumerate(text) if ",Refund," in row)
    path = tmp_path / "payments.csv"
    path.write_text("\n".join([*text[:refund], CREDITED, *text[refund + 1 :]]) + "\n", encoding="utf-8")
    return path


def test_a_full_refund_that_credits_the_fees_back_is_a_refund(session: Session, tmp_path: Path) -> None:
    """Net −220.90 is less than the 250.00 price, yet the buyer got everything back: the sale is refunded."""
    purchases = tmp_path / "purchases.csv"
    purchases.write_text(PURCHASES, encoding="utf-8")
    import_file(session, purchases, options=ImportOptions())
    import_file(session, ORDERS, options=ImportOptions())
    import_file(session, _credited(tmp_path), options=ImportOptions())
    assert _state(session) == ("refunded", None, "in_stock")
    sale = session.scalars(select(Sale).where(Sale.external_id == LINE)).one()
    assert (sale.payout, sale.fees_total) == (Decimal("0.00"), Decimal("250.00"))  # price - payout
    lines = sorted((f.name, f.amount) for f in sale.fees)
    assert lines == [
        ("Final Value Fee - fixed", Decimal("-0.40")),  # credited back
        ("Final Value Fee - fixed", Decimal("0.40")),
        ("Final Value Fee - variable", Decimal("-38.70")),
        ("Final Value Fee - variable", Decimal("38.70")),
        ("Refund", Decimal("260.00")),  # the price and its shipping
        ("Shipping paid by the buyer", Decimal("-10.00")),
    ]


def test_credited_fees_on_a_line_of_several_pairs_follow_the_shares(session: Session, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    text = (FIXTURES / "ebay-orders.csv").read_text(encoding="utf-8-sig")
    orders.write_text(text.replace(",1,$250.00,", ",3,$250.00,"), encoding="utf-8")
    import_file(session, orders, options=ImportOptions())
    import_file(session, _credited(tmp_path), options=ImportOptions())
    session.expire_all()
    sales = list(
        session.scalars(select(Sale).where(Sale.external_id.startswith(LINE)).order_by(Sale.external_id))
    )
    assert [s.status for s in sales] == ["completed", "completed", "refunded"]
    assert sum((s.payout or Decimal(0) for s in sales), Decimal(0)) == Decimal("0.00")  # 220.90 - 220.90
