"""sales.cost_* always equal the matched pair's purchase price, currency and date (triggers of 0005)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from soleflip_cli.models import InventoryItem, Sale
from soleflip_cli.services.inventory import (
    PairChanges,
    Purchase,
    add_pairs,
    edit_pair,
    plan_removal,
    remove_pairs,
)
from soleflip_cli.services.inventory_sale import SaleRequest, sell_pair
from soleflip_cli.services.matching import match_sales
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant

TODAY = date(2025, 6, 30)


def _costs(session: Session) -> dict[int, tuple[Any, ...]]:
    session.flush()
    rows = session.execute(text("SELECT id, cost_price, cost_currency, cost_date FROM sales"))
    return {row[0]: (_money(row[1]), row[2], _day(row[3])) for row in rows}


def _expected(session: Session) -> dict[int, tuple[Any, ...]]:
    rows = session.execute(
        text(
            "SELECT s.id, i.purchase_price, i.purchase_currency, i.purchase_date "
            "FROM sales s LEFT JOIN inventory_items i ON i.id = s.inventory_item_id"
        )
    )
    return {row[0]: (_money(row[1]), row[2], _day(row[3])) for row in rows}


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _day(value: Any) -> date | None:
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value))


def _assert_follow(session: Session) -> dict[int, tuple[Any, ...]]:
    costs = _costs(session)
    assert costs == _expected(session)
    return costs


def _pair(session: Session, variant: Any, cost: str, currency: str, day: date) -> int:
    return session.scalars(
        insert(InventoryItem).returning(InventoryItem.id),
        [
            {
                "product_id": variant.product_id,
                "variant_id": variant.id,
                "purchase_price": Decimal(cost),
                "purchase_currency": currency,
                "purchase_date": day,
                "status": "in_stock",
            }
        ],
    ).one()


def _sale(session: Session, variant: Any, external_id: str, item_id: int | None = None) -> Sale:
    sale = Sale(
        platform="stockx",
        external_id=external_id,
        product_id=variant.product_id,
        variant_id=variant.id,
        sold_at=datetime(2025, 6, 20, 15, tzinfo=UTC),
        sale_price=Decimal("300"),
        currency="USD",
        inventory_item_id=item_id,
    )
    session.add(sale)
    session.flush()
    return sale


def test_linking_relinking_editing_and_deleting_pairs(session: Session) -> None:
    variant = get_or_create_variant(session, get_or_create_product(session, sku="DZ5485-612"), "10")
    a = _pair(session, variant, "180.10", "USD", date(2025, 1, 2))
    b = _pair(session, variant, "150.00", "EUR", date(2025, 2, 3))
    c = _pair(session, variant, "99.99", "GBP", date(2025, 3, 4))
    linked = _sale(session, variant, "linked", a)
    unlinked = _sale(session, variant, "unlinked")
    session.execute(  # a cost without a pair is cleared on insert
        insert(Sale),
        [
            {
                "platform": "ebay",
                "external_id": "stray",
                "sold_at": datetime(2025, 6, 1, tzinfo=UTC),
                "sale_price": Decimal("10"),
                "currency": "USD",
                "cost_price": Decimal("5"),
                "cost_currency": "USD",
                "cost_date": date(2025, 1, 1),
            }
        ],
    )
    costs = _assert_follow(session)
    assert costs[linked.id] == (Decimal("180.10"), "USD", date(2025, 1, 2))
    assert costs[unlinked.id] == (None, None, None)

    session.execute(update(Sale).where(Sale.id == unlinked.id).values(inventory_item_id=b))
    session.execute(update(Sale).where(Sale.id == linked.id).values(inventory_item_id=c))
    costs = _assert_follow(session)
    assert costs[unlinked.id] == (Decimal("150.00"), "EUR", date(2025, 2, 3))
    assert costs[linked.id] == (Decimal("99.99"), "GBP", date(2025, 3, 4))

    session.execute(
        update(InventoryItem)
        .where(InventoryItem.id.in_([a, b]))
        .values(purchase_price=Decimal("111.11"), purchase_currency="CHF", purchase_date=date(2024, 12, 1))
    )
    assert _assert_follow(session)[unlinked.id] == (Decimal("111.11"), "CHF", date(2024, 12, 1))

    session.execute(delete(InventoryItem).where(InventoryItem.id == c))  # ON DELETE SET NULL
    assert _assert_follow(session)[linked.id] == (None, None, None)
    session.execute(update(Sale).where(Sale.id == unlinked.id).values(inventory_item_id=None))
    assert set(_assert_follow(session).values()) == {(None, None, None)}


def test_inventory_services_keep_sale_costs(session: Session) -> None:
    variant = get_or_create_variant(session, get_or_create_product(session, sku="FD2596-021"), "9.5")
    early = _sale(session, variant, "early")
    purchase = Purchase(
        sku="FD2596-021", size="9.5", cost=Decimal("120"), currency="EUR", purchase_date=date(2025, 6, 1)
    )
    first = add_pairs(session, purchase, today=TODAY).pairs[0]["id"]  # matches the earlier sale
    assert _assert_follow(session)[early.id] == (Decimal("120.00"), "EUR", date(2025, 6, 1))

    edit_pair(
        session, first, PairChanges(cost=Decimal("125.50"), purchase_date=date(2025, 5, 30)), today=TODAY
    )
    assert _assert_follow(session)[early.id] == (Decimal("125.50"), "EUR", date(2025, 5, 30))

    second = add_pairs(session, purchase, today=TODAY).pairs[0]["id"]
    remove_pairs(session, plan_removal(session, [first], force=True))  # the sale moves to `second`
    assert _assert_follow(session)[early.id] == (Decimal("120.00"), "EUR", date(2025, 6, 1))

    third = add_pairs(session, purchase, today=TODAY).pairs[0]["id"]
    sold = sell_pair(
        session,
        third,
        SaleRequest(price=Decimal("200"), platform="local"),
        fee_overrides=None,
        today=TODAY,
        now=datetime(2025, 6, 30, 12, tzinfo=UTC),
    )
    costs = _assert_follow(session)
    assert costs[sold.sale.id] == (Decimal("120.00"), "EUR", date(2025, 6, 1))
    assert session.scalar(select(Sale.inventory_item_id).where(Sale.id == early.id)) == second

    late = _sale(session, variant, "late")
    fourth = add_pairs(session, purchase, today=TODAY).pairs[0]["id"]
    session.execute(update(Sale).where(Sale.id == late.id).values(inventory_item_id=None))
    session.execute(update(InventoryItem).where(InventoryItem.id == fourth).values(status="in_stock"))
    assert match_sales(session, [late.id]) == 1
    assert _assert_follow(session)[late.id] == (Decimal("120.00"), "EUR", date(2025, 6, 1))
