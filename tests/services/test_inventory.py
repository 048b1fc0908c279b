"""Inventory services on both databases: sales consume new or edited pairs (FIFO), latest quotes, choices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from soleflip_cli import choices, models
from soleflip_cli.choices import Basis
from soleflip_cli.models import MarketPrice, Sale
from soleflip_cli.services.inventory import PairChanges, Purchase, add_pairs, edit_pair
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant
from soleflip_cli.services.valuation import latest_observations

TODAY = date(2025, 6, 30)


def _sale(session: Session, variant_id: int, product_id: int, day: date, external_id: str) -> Sale:
    sale = Sale(
        platform="stockx",
        external_id=external_id,
        product_id=product_id,
        variant_id=variant_id,
        sold_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
        sale_price=Decimal("300"),
        currency="USD",
    )
    session.add(sale)
    session.flush()
    return sale


def test_new_pairs_take_earlier_imported_sales_but_never_older_ones(session: Session) -> None:
    product = get_or_create_product(session, sku="DM7866-200")
    variant = get_or_create_variant(session, product, "10")
    before = _sale(session, variant.id, product.id, date(2025, 5, 31), "before")
    after = _sale(session, variant.id, product.id, date(2025, 6, 10), "after")
    purchase = Purchase(
        sku="dm7866-200",
        size="US 10",
        cost=Decimal("180"),
        currency="usd",
        purchase_date=date(2025, 6, 1),
        quantity=2,
    )
    result = add_pairs(session, purchase, today=TODAY)
    assert result.matched_sales == 1 and not result.catalog_known
    session.expire_all()
    assert before.inventory_item_id is None
    assert after.inventory_item_id == result.pairs[0]["id"]
    statuses = [p["status"] for p in result.pairs]
    assert statuses == ["sold", "in_stock"]
    assert result.pairs[0]["days_in_stock"] == 9 and result.pairs[1]["days_in_stock"] == 29
    assert result.pairs[0]["currency"] == "USD" and result.pairs[0]["cost"] == Decimal("180.00")


def _pair(session: Session, day: date, size: str = "10", quantity: int = 1) -> list[int]:
    purchase = Purchase(
        sku="DM7866-200", size=size, cost=Decimal("180"), currency="USD", purchase_date=day, quantity=quantity
    )
    return [p["id"] for p in add_pairs(session, purchase, today=TODAY).pairs]


def _held(session: Session, *sales: Sale) -> list[int | None]:
    session.expire_all()
    return [sale.inventory_item_id for sale in sales]


def test_an_older_pair_recorded_by_hand_goes_to_the_sale_holding_a_newer_one(session: Session) -> None:
    newer = _pair(session, date(2025, 6, 5))[0]
    product = get_or_create_product(session, sku="DM7866-200")
    sale = _sale(
        session, get_or_create_variant(session, product, "10").id, product.id, date(2025, 6, 10), "s"
    )
    _pair(session, date(2025, 6, 20))  # bought after the sale: not its pair; the sale takes `newer`
    assert _held(session, sale) == [newer]
    result = add_pairs(
        session,
        Purchase(
            sku="DM7866-200", size="10", cost=Decimal("1"), currency="USD", purchase_date=date(2025, 6, 1)
        ),
        today=TODAY,
    )
    assert result.matched_sales == 1
    assert _held(session, sale) == [result.pairs[0]["id"]]  # the oldest pair, not `newer`
    assert session.get(models.InventoryItem, newer).status == "in_stock"  # type: ignore[union-attr]


def test_a_held_pair_whose_purchase_day_moves_later_gives_way_to_an_older_one(session: Session) -> None:
    product = get_or_create_product(session, sku="DM7866-200")
    variant = get_or_create_variant(session, product, "10")
    sale = _sale(session, variant.id, product.id, date(2025, 6, 10), "s")
    first = _pair(session, date(2025, 6, 1))[0]
    second = _pair(session, date(2025, 6, 5))[0]
    assert _held(session, sale) == [first]
    row = edit_pair(session, first, PairChanges(purchase_date=date(2025, 6, 7)), today=TODAY)
    assert (row["status"], _held(session, sale)) == ("in_stock", [second])
    edit_pair(session, first, PairChanges(purchase_date=date(2025, 6, 12)), today=TODAY)
    assert _held(session, sale) == [second]


def test_a_pair_edited_into_a_waiting_sales_size_or_back_to_stock_is_taken(session: Session) -> None:
    product = get_or_create_product(session, sku="DM7866-200")
    eleven = get_or_create_variant(session, product, "11")
    waiting = _sale(session, eleven.id, product.id, date(2025, 6, 10), "waiting")
    pair = _pair(session, date(2025, 6, 1))[0]
    assert _held(session, waiting) == [None]
    row = edit_pair(session, pair, PairChanges(size="11"), today=TODAY)
    assert (row["status"], _held(session, waiting)) == ("sold", [pair])
    kept = _pair(session, date(2025, 6, 1), size="12")[0]
    edit_pair(session, kept, PairChanges(status="personal"), today=TODAY)
    twelve = _sale(
        session, get_or_create_variant(session, product, "12").id, product.id, date(2025, 6, 11), "t"
    )
    assert _held(session, twelve) == [None]
    edit_pair(session, kept, PairChanges(status="in_stock"), today=TODAY)
    assert _held(session, twelve) == [kept]


def test_latest_quote_per_variant(session: Session) -> None:
    product = get_or_create_product(session, sku="DD1391-100")
    v9, v10 = (get_or_create_variant(session, product, size) for size in ("9", "10"))
    base = datetime(2025, 6, 1, tzinfo=UTC)
    purchase = Purchase(sku="DD1391-100", size="9", cost=Decimal("100"), currency="USD", purchase_date=TODAY)
    add_pairs(session, purchase, today=TODAY)
    add_pairs(session, Purchase(**{**purchase.__dict__, "size": "10"}), today=TODAY)
    rows = [
        (v9.id, "150", base),
        (v9.id, "140", base + timedelta(days=2)),
        (v9.id, "145", base + timedelta(days=2)),  # same time, later row wins
        (v9.id, None, base + timedelta(days=3)),  # no ask: skipped for the ask basis
        (v10.id, "130", base),
    ]
    session.add_all(
        MarketPrice(
            product_id=product.id,
            variant_id=vid,
            source="stockx",
            currency="USD",
            observed_at=at,
            lowest_ask=Decimal(ask) if ask else None,
            highest_bid=Decimal("1"),
        )
        for vid, ask, at in rows
    )
    session.flush()
    found = {
        vid: (seen.price, seen.observed_at)
        for vid, seen in latest_observations(session.connection(), Basis.lowest_ask, None).items()
    }
    assert found == {v9.id: (Decimal("145.00"), base + timedelta(days=2)), v10.id: (Decimal("130.00"), base)}
    assert latest_observations(session.connection(), Basis.highest_bid, "alias") == {}


def test_choices_match_the_schema() -> None:
    assert tuple(c.value for c in choices.Condition) == models.CONDITIONS
    assert tuple(b.value for b in choices.BoxCondition) == models.BOX_CONDITIONS
    assert tuple(s.value for s in choices.ItemStatus if s.value != "all") == models.ITEM_STATUSES
    assert {s.value for s in choices.EditableStatus} < set(models.ITEM_STATUSES)
