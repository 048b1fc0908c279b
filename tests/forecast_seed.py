"""Deterministic market sales, own sales and stock for the forecast service and CLI tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from soleflip_cli.models import InventoryItem, MarketSale, Sale
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant

FIRST_DAY = date(2024, 1, 1)
DAYS = 220
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)  # 2024-08-07


def seed_market(session: Session) -> dict[str, int]:
    """Two products over 220 days: AA1111-001 sizes 9 (every other day) and 10 (2 a day), BB2222-002."""
    yeezy = get_or_create_product(session, sku="AA1111-001", name="Yeezy Test", brand="Yeezy")
    offwhite = get_or_create_product(session, sku="BB2222-002", name="Off-White Test", brand="Off-White")
    nine = get_or_create_variant(session, yeezy, "9")
    ten = get_or_create_variant(session, yeezy, "10")
    ow_ten = get_or_create_variant(session, offwhite, "10")
    rows = []
    for day in range(DAYS):
        when = FIRST_DAY + timedelta(days=day)
        plan = [(yeezy.id, ten.id, "300.00")] * 2
        if day % 2 == 0:
            plan.append((yeezy.id, nine.id, "280.50"))
        if day % 7 in (5, 6) or day % 3 == 0:
            plan.append((offwhite.id, ow_ten.id, "500.00"))
        rows += [
            {
                "source": "test",
                "row_key": f"{day}-{n}",
                "product_id": product_id,
                "variant_id": variant_id,
                "sale_date": when,
                "sale_price": Decimal(price),
                "currency": "USD",
            }
            for n, (product_id, variant_id, price) in enumerate(plan)
        ]
    session.execute(insert(MarketSale), rows)
    session.flush()
    return {"yeezy": yeezy.id, "offwhite": offwhite.id, "nine": nine.id, "ten": ten.id}


def seed_own(session: Session) -> dict[str, int]:
    """Own sales of AA1111-001 size 10 every third day (late evening in New York), pairs in stock."""
    product = get_or_create_product(session, sku="AA1111-001", name="Yeezy Test", brand="Yeezy")
    ten = get_or_create_variant(session, product, "10")
    nine = get_or_create_variant(session, product, "9")
    sold_pairs = []
    for n in range(50):
        pair = InventoryItem(
            product_id=product.id,
            variant_id=ten.id,
            purchase_price=Decimal("220.00"),
            purchase_currency="USD",
            purchase_date=FIRST_DAY + timedelta(days=3 * n),
            status="sold",
        )
        sold_pairs.append(pair)
    session.add_all(sold_pairs)
    session.flush()
    sales = [
        {
            "platform": "stockx",
            "external_id": f"order-{n}",
            "product_id": product.id,
            "variant_id": ten.id,
            "sku": "AA1111-001",
            "size": "10",
            "quantity": 1,
            # 23:30 in New York is the next day in UTC.
            "sold_at": datetime(2024, 1, 1, 4, 30, tzinfo=UTC) + timedelta(days=3 * n + 10),
            "sale_price": Decimal("320.00"),
            "payout": Decimal("290.00"),
            "currency": "USD",
            "inventory_item_id": pair.id,
        }
        for n, pair in enumerate(sold_pairs)
    ]
    session.execute(insert(Sale), sales)
    stock = [
        InventoryItem(
            product_id=product.id,
            variant_id=variant.id,
            purchase_price=Decimal("230.00"),
            purchase_currency="USD",
            purchase_date=date(2024, 6, 1),
            status=status,
        )
        for variant, status in ((ten, "in_stock"), (ten, "listed"), (nine, "in_stock"), (ten, "sold"))
    ]
    session.add_all(stock)
    session.flush()
    return {"product": product.id, "ten": ten.id, "nine": nine.id}
