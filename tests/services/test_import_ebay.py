"""eBay orders and payments reports in either order: fees and payouts attach to the right sales."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.models import PaymentTransaction, Sale
from soleflip_cli.services.import_ import import_file
from tests.importers.conftest import FIXTURES

ORDERS, PAYMENTS = FIXTURES / "ebay-orders.csv", FIXTURES / "ebay-transactions.csv"
# (payout, fees, fee lines): fees are price - payout, the buyer's shipping a credit line of its own.
EXPECTED = {
    "12-11111-11111:110000000001": (Decimal("118.26"), Decimal("16.74"), 5),
    "12-22222-22222:110000000002": (Decimal("170.90"), Decimal("79.10"), 4),
    "12-22222-22222:110000000003": (Decimal("929.60"), Decimal("70.40"), 3),
}


def _sales(session: Session) -> dict[str, tuple[Decimal | None, Decimal | None, int]]:
    session.expire_all()
    sales = session.scalars(select(Sale).where(Sale.platform == "ebay"))
    return {s.external_id: (s.payout, s.fees_total, len(s.fees)) for s in sales}


@pytest.mark.parametrize("orders_first", [True, False])
def test_fees_attach_whichever_report_comes_first(session: Session, orders_first: bool) -> None:
    first, second = (ORDERS, PAYMENTS) if orders_first else (PAYMENTS, ORDERS)
    a = import_file(session, first, options=ImportOptions())
    b = import_file(session, second, options=ImportOptions())
    assert (a.attached, b.attached) == ((0, 3) if orders_first else (0, 3))
    assert _sales(session) == EXPECTED
    assert (
        session.scalar(select(func.count()).where(PaymentTransaction.sale_id.is_(None))) == 1
    )  # the payout line
    again = [import_file(session, p, options=ImportOptions()) for p in (ORDERS, PAYMENTS)]
    assert [(r.inserted, r.updated, r.unchanged, r.attached) for r in again] == [(0, 0, 3, 0), (0, 0, 6, 0)]
    assert _sales(session) == EXPECTED


def test_changed_order_line_keeps_its_fees(session: Session, tmp_path: object) -> None:
    import_file(session, ORDERS, options=ImportOptions())
    import_file(session, PAYMENTS, options=ImportOptions())
    path = tmp_path / "orders.csv"  # type: ignore[operator]
    path.write_text(ORDERS.read_text(encoding="utf-8-sig").replace("$135.00", "$136.00"), encoding="utf-8")
    result = import_file(session, path, options=ImportOptions())
    assert (result.updated, result.unchanged, result.attached) == (1, 2, 1)
    assert _sales(session) == EXPECTED


LABEL = (
    '"Sep 11, 2026",Shipping label,12-22222-22222,--,--,--,--,--,--,--,-18.40,USD,--,--,--,--,--,--,--,--,'
    "--,--,--,--,--,--,--,--,--,--,--,--,--,--,--,USD,--,--,USPS Priority Mail\n"
)


def test_an_order_label_is_shared_by_the_orders_items(session: Session, tmp_path: Path) -> None:
    """A label has no item: it is shared by the order's two items instead of all charged to the first."""
    text = PAYMENTS.read_text(encoding="utf-8-sig")
    path = tmp_path / "payments.csv"
    path.write_text(text.replace('"Sep 20, 2026",Refund', LABEL + '"Sep 20, 2026",Refund'), encoding="utf-8")
    import_file(session, ORDERS, options=ImportOptions())
    import_file(session, path, options=ImportOptions())
    sales = _sales(session)
    assert sales["12-22222-22222:110000000002"] == (Decimal("161.70"), Decimal("88.30"), 5)  # 170.90 - 9.20
    assert sales["12-22222-22222:110000000003"] == (Decimal("920.40"), Decimal("79.60"), 4)  # 929.60 - 9.20


WHOLE_ORDER = (
    '"Sep 10, 2026",Order,12-22222-22222,--,--,--,--,--,--,--,"1,150.50",USD,"Sep 12, 2026",--,--,--,--,'
    '--,--,--,--,2,"1,250.00",20.00,--,--,-0.80,-118.70,--,--,--,--,--,--,"1,270.00",USD,--,--,--\n'
)


def test_an_order_line_without_its_items_is_shared_by_their_prices(session: Session, tmp_path: Path) -> None:
    """One Order line for a whole order of a $250 and a $1,000 pair: each gets its price's share."""
    kept = PAYMENTS.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    text = "".join(line for line in kept if "12-22222-22222" not in line) + WHOLE_ORDER
    path = tmp_path / "payments.csv"
    path.write_text(text, encoding="utf-8")
    import_file(session, ORDERS, options=ImportOptions())
    import_file(session, path, options=ImportOptions())
    sales = _sales(session)
    # 1,150.50 in 250 : 1,000 (fees: the price less that); a 50:50 split would pay the $250 pair 575.25
    assert sales["12-22222-22222:110000000002"][:2] == (Decimal("230.10"), Decimal("19.90"))
    assert sales["12-22222-22222:110000000003"][:2] == (Decimal("920.40"), Decimal("79.60"))


WHOLE_REFUND = (
    '"Sep 20, 2026",Refund,12-22222-22222,--,--,--,--,--,--,--,"-1,270.00",USD,--,--,--,--,--,--,--,--,--,'
    "--,--,--,--,--,--,--,--,--,--,--,--,--,--,USD,--,--,Order cancelled by the buyer\n"
)


def test_a_refund_of_a_whole_order_refunds_each_of_its_pairs(session: Session, tmp_path: Path) -> None:
    """A refund without an item of the order's total (its pairs and shipping): every pair is refunded."""
    kept = PAYMENTS.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    text = "".join(line for line in kept if "12-22222-22222" not in line) + WHOLE_ORDER + WHOLE_REFUND
    path = tmp_path / "payments.csv"
    path.write_text(text, encoding="utf-8")
    import_file(session, ORDERS, options=ImportOptions())
    import_file(session, path, options=ImportOptions())
    session.expire_all()
    order = session.scalars(select(Sale).where(Sale.external_id.startswith("12-22222-22222:"))).all()
    # 1,270.00 refunds the $1,000 pair, then the $250 one, and the $20 of shipping goes to the last pair
    assert sorted((s.sale_price, s.status, s.payout) for s in order) == [
        (Decimal("250.00"), "refunded", Decimal("-19.90")),  # 230.10 - 250.00
        (Decimal("1000.00"), "refunded", Decimal("-99.60")),  # 920.40 - 1,020.00
    ]
