"""Sales consume pairs FIFO by product and size, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from soleflip_cli.models import InventoryItem, Product, Sale, Variant
from soleflip_cli.services.matching import match_sales
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant


def _pair(session: Session, variant_id: int, product_id: int, day: int) -> InventoryItem:
    item = InventoryItem(
        product_id=product_id,
        variant_id=variant_id,
        purchase_price=Decimal("100.00"),
        purchase_currency="USD",
        purchase_date=date(2024, 1, day),
    )
    session.add(item)
    session.flush()
    return item


def _sale(external_id: str, product_id: int, variant_id: int, sold_at: datetime) -> Sale:
    return Sale(
        platform="stockx",
        external_id=external_id,
        product_id=product_id,
        variant_id=variant_id,
        sold_at=sold_at,
        sale_price=Decimal("300"),
        currency="USD",
    )


def test_fifo_match_and_no_cost_basis(session: Session) -> None:
    product = get_or_create_product(session, sku="dm7866 200", name="Travis Scott")
    assert product.sku == "DM7866-200"
    v10 = get_or_create_variant(session, product, "10")
    assert get_or_create_variant(session, product, "US 10.0").id == v10.id
    newer = _pair(session, v10.id, product.id, 5)
    older = _pair(session, v10.id, product.id, 2)
    sales = [_sale(str(n), product.id, v10.id, datetime(2024, 2, n, tzinfo=UTC)) for n in (1, 2, 3)]
    session.add_all(sales)
    session.flush()
    assert match_sales(session) == 2
    session.expire_all()
    assert sales[0].inventory_item_id == older.id
    assert sales[1].inventory_item_id == newer.id
    assert sales[2].inventory_item_id is None  # no cost basis, stays visible
    assert {older.status, newer.status} == {"sold"}
    assert match_sales(session) == 0


def test_a_sale_takes_only_a_pair_bought_by_its_day(session: Session) -> None:
    product = get_or_create_product(session, sku="DJ6188-101", name="Dunk")
    variant = get_or_create_variant(session, product, "10.5")
    bought_on_3rd = _pair(session, variant.id, product.id, 3)
    bought_on_20th = _pair(session, variant.id, product.id, 20)
    sales = [
        _sale(f"early-{day}", product.id, variant.id, datetime(2024, 1, day, 23, 30, tzinfo=UTC))
        for day in (1, 3, 10)
    ]
    session.add_all(sales)
    session.flush()
    assert match_sales(session) == 1
    session.expire_all()
    # The 1st: nothing bought yet; the 3rd: the pair bought that day; the 10th: the other pair came later.
    assert [s.inventory_item_id for s in sales] == [None, bought_on_3rd.id, None]
    assert (bought_on_3rd.status, bought_on_20th.status) == ("sold", "in_stock")
    late = _sale("late", product.id, variant.id, datetime(2024, 1, 20, tzinfo=UTC))
    session.add(late)
    session.flush()
    assert match_sales(session) == 1
    session.expire_all()
    assert late.inventory_item_id == bought_on_20th.id


def _january_and_march_pairs(session: Session) -> tuple[Product, Variant, InventoryItem, InventoryItem]:
    """A product's size 10 with a pair bought on 2024-01-05 and one on 2024-03-05."""
    product = get_or_create_product(session, sku="DD1391-100", name="Dunk")
    variant = get_or_create_variant(session, product, "10")
    january, march = _pair(session, variant.id, product.id, 5), _pair(session, variant.id, product.id, 25)
    march.purchase_date = date(2024, 3, 5)
    return product, variant, january, march


def test_an_earlier_sale_imported_later_takes_the_older_pair_from_a_later_csv_sale(session: Session) -> None:
    product, variant, january, march = _january_and_march_pairs(session)
    april = _sale("april", product.id, variant.id, datetime(2024, 4, 1, tzinfo=UTC))
    synced = _sale("synced", product.id, variant.id, datetime(2024, 4, 2, tzinfo=UTC))
    synced.source = "api"  # a synced sale may be of a listed pair: never moved
    session.add_all([april, synced])
    session.flush()
    assert match_sales(session) == 2  # april takes January's pair, the synced sale March's
    february = _sale("february", product.id, variant.id, datetime(2024, 2, 1, tzinfo=UTC))
    session.add(february)
    session.flush()
    # An older export: February's sale takes January's pair, as if the files came in date order;
    # April's is left without one (the synced sale keeps March's).
    assert match_sales(session, [february.id]) == 1
    session.expire_all()
    assert (february.inventory_item_id, april.inventory_item_id, synced.inventory_item_id) == (
        january.id,
        None,
        march.id,
    )
    assert (february.cost_date, april.cost_date) == (date(2024, 1, 5), None)
    synced.status, synced.inventory_item_id, march.status = "cancelled", None, "in_stock"
    session.flush()
    assert match_sales(session, [april.id]) == 1
    session.expire_all()
    assert (april.inventory_item_id, april.cost_date, march.status) == (march.id, date(2024, 3, 5), "sold")


def test_fifo_again_moves_a_later_csv_sale_to_the_newer_pair_in_stock(session: Session) -> None:
    product, variant, january, march = _january_and_march_pairs(session)
    april = _sale("april", product.id, variant.id, datetime(2024, 4, 1, tzinfo=UTC))
    session.add(april)
    session.flush()
    assert match_sales(session) == 1
    february = _sale("february", product.id, variant.id, datetime(2024, 2, 1, tzinfo=UTC))
    session.add(february)
    session.flush()
    assert match_sales(session, [february.id]) == 1
    session.expire_all()
    assert (february.inventory_item_id, april.inventory_item_id) == (january.id, march.id)
    assert (january.status, march.status) == ("sold", "sold")


def test_sales_beyond_one_in_list_match_fifo_in_date_order(session: Session) -> None:
    """1,300 sales given in reverse date order (three IN lists): FIFO still runs by date over all."""
    from soleflip_cli.services.product_cache import IN_CHUNK

    product = get_or_create_product(session, sku="DD1391-100", name="Panda")
    variant = get_or_create_variant(session, product, "10")
    count = 2 * IN_CHUNK + 300
    items = [
        InventoryItem(
            product_id=product.id,
            variant_id=variant.id,
            purchase_price=Decimal(100 + n % 50),
            purchase_currency="USD",
            purchase_date=date(2020, 1, 1) + timedelta(days=n),
        )
        for n in range(count)
    ]
    sales = [
        _sale(f"s{n}", product.id, variant.id, datetime(2020, 1, 2, tzinfo=UTC) + timedelta(days=n))
        for n in range(count)
    ]
    session.add_all([*items, *sales])
    session.flush()
    newest_first = [sale.id for sale in reversed(sales)]
    # The first pair is gone: each sale takes the next one, and the last sale finds none left.
    session.delete(items[0])
    session.flush()
    assert match_sales(session, newest_first) == count - 1
    session.expire_all()
    assert sales[0].inventory_item_id == items[1].id
    assert [s.inventory_item_id for s in sales[1:-1]] == [i.id for i in items[2:]]
    assert sales[-1].inventory_item_id is None
    assert sales[500].cost_price == items[501].purchase_price  # the cost follows the pair (trigger)
    assert {i.status for i in items[1:]} == {"sold"}
