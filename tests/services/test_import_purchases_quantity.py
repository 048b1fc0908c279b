"""Purchases re-import: a row's quantity is what is owned; sold pairs stay, with a warning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.models import InventoryItem, Supplier
from soleflip_cli.services.import_ import ImportResult, import_file
from soleflip_cli.services.inventory import plan_removal, remove_pairs

HEADER = "sku,name,size,cost,currency,purchase_date,supplier,location,condition,quantity\n"
ROW = "DD1391-100,Nike Dunk Low Panda,10,{cost},EUR,2024-01-01,Nike SNKRS,Shelf A,new,{quantity}\n"
ALIAS = (
    "USERNAME,ORDER_NUMBER,SKU,SIZE,NAME,PRODUCT_PRICE_CENTS_SALE_PRICE,CREDIT_DATE,PURCHASED_DATE\n"
    "me,586612181,DD1391 100,10,Dunk Low 'Panda',150,20/3/24,18/3/24\n"
    "me,586612182,DD1391 100,10,Dunk Low 'Panda',150,21/3/24,19/3/24\n"
)
Import = Callable[..., ImportResult]


@pytest.fixture
def run(session: Session, tmp_path: Path) -> Import:
    """Import CSV text (a purchases row by default) and return the result."""

    def _run(quantity: int = 1, cost: str = "100.00", text: str | None = None) -> ImportResult:
        path = tmp_path / "purchases.csv"
        path.write_text(text or HEADER + ROW.format(cost=cost, quantity=quantity), encoding="utf-8")
        return import_file(session, path, options=ImportOptions(base_currency="EUR"))

    return _run


def _statuses(session: Session) -> list[str]:
    return list(session.scalars(select(InventoryItem.status).order_by(InventoryItem.source_key)))


def _counts(result: ImportResult) -> tuple[int, int, int]:
    return result.inserted, result.updated, result.unchanged


def test_a_raised_quantity_brings_back_the_pair_a_lowered_one_retired(session: Session, run: Import) -> None:
    assert _counts(run(quantity=2)) == (1, 0, 0)
    assert _counts(run(quantity=1)) == (0, 1, 0)
    assert _statuses(session) == ["in_stock", "removed"]
    again = run(quantity=2)
    assert (_counts(again), again.warnings) == ((0, 1, 0), ())
    assert _statuses(session) == ["in_stock", "in_stock"]
    assert _counts(run(quantity=2)) == (0, 0, 1)  # the same file twice: nothing changes
    assert _statuses(session) == ["in_stock", "in_stock"]


def test_a_raised_quantity_also_adds_pairs_never_made(session: Session, run: Import) -> None:
    run(quantity=2)
    run(quantity=1)
    assert _counts(run(quantity=3)) == (0, 1, 0)
    assert _statuses(session) == ["in_stock", "in_stock", "in_stock"]


def test_a_pair_removed_by_hand_stays_removed(session: Session, run: Import) -> None:
    run(quantity=2)
    second = session.scalars(select(InventoryItem.id).order_by(InventoryItem.source_key)).all()[1]
    remove_pairs(session, plan_removal(session, [second], force=False))
    assert _counts(run(quantity=2, cost="95.00")) == (0, 1, 0)
    assert _statuses(session) == ["in_stock", "removed"]


def test_a_lowered_quantity_with_sold_pairs_warns_and_keeps_them(session: Session, run: Import) -> None:
    run(quantity=2)
    assert run(text=ALIAS).matched == 2
    lowered = run(quantity=1)
    assert _counts(lowered) == (0, 1, 0)
    assert _statuses(session) == ["sold", "sold"]
    [warning] = lowered.warnings
    assert warning.startswith("line 2: quantity 1, but 1 more pair(s) of this row stay: ")
    assert "(sold); sold, returned, consigned and personal pairs are never removed" in warning
    again = run(quantity=1)
    assert (_counts(again), again.warnings) == ((0, 0, 1), ())


def test_a_lowered_quantity_retires_only_unsold_pairs(session: Session, run: Import) -> None:
    run(quantity=3)
    alias = ALIAS.replace("586612182", "586612183").split("\n")
    assert run(text="\n".join([alias[0], alias[2], ""])).matched == 1  # the oldest pair, number 1
    lowered = run(quantity=1)
    assert (_counts(lowered), lowered.warnings) == ((0, 1, 0), ())
    assert _statuses(session) == ["sold", "removed", "removed"]


def test_a_column_no_field_reads_is_a_warning(run: Import) -> None:
    """`shelf` for `location`: the pairs are imported, the column is named as left out."""
    result = run(text="sku,size,cost,purchase_date,shelf\nDD1391-100,10,100,2024-01-01,B2\n")
    assert (result.inserted, result.warnings) == (1, ("column(s) not read, left out: 'shelf'",))


def test_a_supplier_is_one_whatever_the_case(run: Import, session: Session) -> None:
    text = (
        "sku,size,cost,purchase_date,supplier\n"
        "DD1391-100,10,100,2024-01-01,Zalando\n"
        "DD1391-100,10,100,2024-01-02,zalando \n"
        "DD1391-100,10,100,2024-01-03,ZALANDO\n"
    )
    assert run(text=text).inserted == 3
    assert session.scalars(select(Supplier.name)).all() == ["Zalando"]
    pairs = session.scalars(select(InventoryItem.supplier_id)).all()
    assert len(pairs) == 3 and len(set(pairs)) == 1
