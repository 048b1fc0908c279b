"""Mapped files: one purchase is one set of pairs under any mapping; each shop's orders are its own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli.config import MappingSettings
from soleflip_cli.importers import ImportOptions
from soleflip_cli.models import InventoryItem, Sale
from soleflip_cli.services.import_ import import_file

BUYS = MappingSettings(
    target="purchases", columns={"sku": "Style", "size": "Size", "cost": "Paid", "purchase_date": "Day"}
)
SHOP_A = MappingSettings(
    columns={"external_id": "Order", "sold_at": "Day", "sku": "Style", "sale_price": "Price"}
)
SHOP_B = MappingSettings(
    columns={"external_id": "Bestellung", "sold_at": "Datum", "sku": "Artikel", "sale_price": "Preis"}
)
OPTIONS = ImportOptions(mappings={"buys": BUYS, "buys_2024": BUYS, "shopA": SHOP_A, "shopB": SHOP_B})


def test_a_purchase_is_the_same_pairs_under_a_renamed_mapping_or_the_purchases_format(
    session: Session, tmp_path: Path
) -> None:
    mapped = tmp_path / "mapped.csv"
    mapped.write_text("Style,Size,Paid,Day\nDM7866-200,10,100.00,2024-01-01\n")
    plain = tmp_path / "plain.csv"
    plain.write_text("sku,size,cost,purchase date\nDM7866-200,10,100.00,2024-01-01\n")
    first = import_file(session, mapped, fmt="generic", mapping="buys", options=OPTIONS)
    renamed = import_file(session, mapped, fmt="generic", mapping="buys_2024", options=OPTIONS)
    builtin = import_file(session, plain, fmt="purchases", options=OPTIONS)
    assert (first.inserted, renamed.unchanged, builtin.unchanged) == (1, 1, 1)
    assert session.scalar(select(func.count()).select_from(InventoryItem)) == 1


def test_two_shops_without_a_platform_keep_their_own_order_1001(session: Session, tmp_path: Path) -> None:
    """A sales mapping's platform defaults to its name: shop B's order 1001 is not shop A's."""
    a = tmp_path / "a.csv"
    a.write_text("Order,Day,Style,Price\n1001,2024-01-01,DM7866-200,100.00\n")
    b = tmp_path / "b.csv"
    b.write_text("Bestellung,Datum,Artikel,Preis\n1001,2024-02-01,DD1391-100,250.00\n")
    import_file(session, a, fmt="generic", mapping="shopA", options=OPTIONS)
    second = import_file(session, b, fmt="generic", mapping="shopB", options=OPTIONS)
    assert (second.inserted, second.updated) == (1, 0)
    sales = session.execute(select(Sale.platform, Sale.external_id, Sale.sale_price).order_by(Sale.platform))
    assert [(p, e, str(price)) for p, e, price in sales] == [
        ("shopa", "1001", "100.00"),
        ("shopb", "1001", "250.00"),
    ]
