"""An order line of several pairs: one sale per pair, each consuming a pair, money shared to the cent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.models import InventoryItem, Sale
from soleflip_cli.money import share_by, split
from soleflip_cli.services.import_ import import_file
from tests.importers.conftest import FIXTURES

LINE = "12-11111-11111:110000000001"
PURCHASES = (
    "sku,size,cost,currency,purchase_date\n"
    "DD1391-100,10,60,USD,2026-08-01\nDD1391-100,10,65,USD,2026-08-02\nDD1391-100,10,70,USD,2026-08-03\n"
)


def _two_pairs_ordered(tmp_path: Path) -> Path:
    """The eBay orders fixture with its first line sold twice ($135.00 each)."""
    text = (FIXTURES / "ebay-orders.csv").read_text(encoding="utf-8-sig")
    assert text.count(",1,$135.00,$14.00,") == 1
    path = tmp_path / "orders-quantity.csv"
    path.write_text(text.replace(",1,$135.00,$14.00,", ",2,$135.00,$14.00,"), encoding="utf-8")
    return path


def _line_sales(
    session: Session,
) -> list[tuple[str, Decimal, Decimal | None, Decimal | None, int, Decimal | None]]:
    session.expire_all()
    sales = session.scalars(select(Sale).where(Sale.external_id.startswith(LINE)).order_by(Sale.external_id))
    return [(s.external_id, s.sale_price, s.payout, s.fees_total, s.quantity, s.cost_price) for s in sales]


@pytest.mark.parametrize("orders_first", [True, False])
def test_each_pair_of_a_line_is_a_sale_with_its_own_pair_and_share(
    session: Session, tmp_path: Path, orders_first: bool
) -> None:
    purchases = tmp_path / "purchases.csv"
    purchases.write_text(PURCHASES, encoding="utf-8")
    orders, payments = _two_pairs_ordered(tmp_path), FIXTURES / "ebay-transactions.csv"
    import_file(session, purchases, options=ImportOptions())
    for path in (orders, payments) if orders_first else (payments, orders):
        import_file(session, path, options=ImportOptions())
    # The order line's net 130.76, its fees 0.40 + 17.56 + 0.28 and the buyer's shipping -14.00 are
    # halved, and so is the order's shipping label (12.50, no item). Each sale takes its own pair,
    # oldest first.
    assert _line_sales(session) == [
        (LINE, Decimal("135.00"), Decimal("59.13"), Decimal("8.37"), 1, Decimal("60.00")),
        (f"{LINE} (pair 2)", Decimal("135.00"), Decimal("59.13"), Decimal("8.37"), 1, Decimal("65.00")),
    ]
    stock = session.scalars(select(InventoryItem.status).order_by(InventoryItem.purchase_price)).all()
    assert stock == ["sold", "sold", "in_stock"]
    again = [import_file(session, p, options=ImportOptions()) for p in (orders, payments)]
    assert [(r.inserted, r.updated, r.attached) for r in again] == [(0, 0, 0), (0, 0, 0)]
    assert len(_line_sales(session)) == 2


def test_a_line_imported_as_one_sale_before_is_split_on_reimport(session: Session, tmp_path: Path) -> None:
    orders = _two_pairs_ordered(tmp_path)
    import_file(session, orders, options=ImportOptions())
    # The line as an older version stored it: one sale of two pairs.
    old = session.scalars(select(Sale).where(Sale.external_id.startswith(LINE))).all()
    session.delete(old[1])
    old[0].quantity, old[0].sale_price, old[0].content_hash = 2, Decimal("270.00"), "before"
    session.flush()
    result = import_file(session, orders, options=ImportOptions())
    assert (result.inserted, result.updated) == (1, 1)
    assert [(s[0], s[1], s[4]) for s in _line_sales(session)] == [
        (LINE, Decimal("135.00"), 1),
        (f"{LINE} (pair 2)", Decimal("135.00"), 1),
    ]


@pytest.mark.parametrize(
    ("amount", "parts", "currency", "shares"),
    [
        ("100.01", 3, "USD", ["33.35", "33.33", "33.33"]),
        ("-0.41", 2, "USD", ["-0.21", "-0.20"]),
        ("1001", 2, "JPY", ["501", "500"]),
        ("270.00", 2, "USD", ["135.00", "135.00"]),
    ],
)
def test_split_shares_add_up_to_the_amount(amount: str, parts: int, currency: str, shares: list[str]) -> None:
    result = split(Decimal(amount), parts, currency)
    assert result == [Decimal(s) for s in shares] and sum(result) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "weights", "currency", "shares"),
    [
        ("270.00", ["200", "100"], "USD", ["180.00", "90.00"]),
        ("100.00", ["1", "1", "1"], "USD", ["33.34", "33.33", "33.33"]),  # equal weights: as split
        ("10.00", ["1", "2", "3", "4"], "USD", ["1.00", "2.00", "3.00", "4.00"]),
        ("-18.40", ["250", "1000"], "USD", ["-3.68", "-14.72"]),
        ("0.05", ["1", "1", "2"], "USD", ["0.01", "0.01", "0.03"]),  # the cent left: the largest remainder
        ("-0.05", ["2", "1", "2"], "USD", ["-0.02", "-0.01", "-0.02"]),
        ("1001", ["1", "2"], "JPY", ["334", "667"]),
        ("9.99", ["0", "0"], "USD", ["5.00", "4.99"]),  # no usable weights: as split
    ],
)
def test_shares_by_weight_add_up_to_the_amount(
    amount: str, weights: list[str], currency: str, shares: list[str]
) -> None:
    result = share_by(Decimal(amount), [Decimal(w) for w in weights], currency)
    assert result == [Decimal(s) for s in shares] and sum(result) == Decimal(amount)


def test_a_lowered_quantity_cancels_the_pairs_it_no_longer_covers(session: Session, tmp_path: Path) -> None:
    purchases = tmp_path / "purchases.csv"
    purchases.write_text(PURCHASES, encoding="utf-8")
    import_file(session, purchases, options=ImportOptions())
    three = tmp_path / "three.csv"
    text = (FIXTURES / "ebay-orders.csv").read_text(encoding="utf-8-sig")
    three.write_text(text.replace(",1,$135.00,$14.00,", ",3,$135.00,$14.00,"), encoding="utf-8")
    import_file(session, three, options=ImportOptions())
    assert [s[0] for s in _line_sales(session)] == [LINE, f"{LINE} (pair 2)", f"{LINE} (pair 3)"]
    result = import_file(session, _two_pairs_ordered(tmp_path), options=ImportOptions())
    assert (result.inserted, result.updated) == (0, 3)  # two pairs worked out again, the third cancelled
    session.expire_all()
    statuses = session.scalars(
        select(Sale.status).where(Sale.external_id.startswith(LINE)).order_by(Sale.external_id)
    ).all()
    assert statuses == ["completed", "completed", "cancelled"]
    stock = session.scalars(select(InventoryItem.status).order_by(InventoryItem.purchase_price)).all()
    assert stock == ["sold", "sold", "in_stock"]  # the third pair is back
    again = import_file(session, _two_pairs_ordered(tmp_path), options=ImportOptions())
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    restored = import_file(session, three, options=ImportOptions())  # the quantity back up to 3
    assert (restored.inserted, restored.updated) == (0, 3)
    session.expire_all()
    statuses = session.scalars(
        select(Sale.status).where(Sale.external_id.startswith(LINE)).order_by(Sale.external_id)
    ).all()
    assert statuses == ["completed", "completed", "completed"]
    assert session.scalars(select(InventoryItem.status)).all() == ["sold", "sold", "sold"]


def test_an_id_of_the_form_kept_for_pairs_is_a_row_error(session: Session, tmp_path: Path) -> None:
    text = (FIXTURES / "ebay-orders.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "orders.csv"
    path.write_text(text.replace("110000000001", "110000000001 (pair 2)"), encoding="utf-8")
    result = import_file(session, path, options=ImportOptions())
    assert (result.written, [(e.line, e.reason) for e in result.errors]) == (
        False,
        [(4, "ends like the ids soleflip gives the pairs of an order line of several")],
    )
