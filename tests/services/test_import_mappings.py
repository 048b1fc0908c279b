"""Mapped files: each mapping's purchases and orders are its own, whatever another mapping holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from soleflip_cli.config import MappingSettings
from soleflip_cli.errors import ConfigError
from soleflip_cli.importers import ImportOptions
from soleflip_cli.importers.generic import GenericImporter
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
OTHER = SHOP_A.model_copy(update={"platform": "other"})
OPTIONS = ImportOptions(
    mappings={"footlocker": BUYS, "nike": BUYS, "shopA": SHOP_A, "shopB": SHOP_B, "other": OTHER}
)


def test_the_same_purchase_from_two_shops_mappings_is_two_pairs(session: Session, tmp_path: Path) -> None:
    """Without a supplier column only the mapping tells Foot Locker's pair from Nike's: it keys the rows."""
    for name, cost in (("footlocker", "110.00"), ("nike", "100.00")):
        path = tmp_path / f"{name}.csv"
        path.write_text(f"Style,Size,Paid,Day\nDD1391-100,10,{cost},2024-01-05\n")
        assert import_file(session, path, fmt="generic", mapping=name, options=OPTIONS).inserted == 1
    again = import_file(session, tmp_path / "nike.csv", fmt="generic", mapping="nike", options=OPTIONS)
    assert again.unchanged == 1
    costs = session.scalars(select(InventoryItem.purchase_price).order_by(InventoryItem.id)).all()
    assert [str(c) for c in costs] == ["110.00", "100.00"]


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


def test_sales_a_mapping_stored_on_other_before_move_to_its_name_when_it_imports_again(
    session: Session, tmp_path: Path
) -> None:
    """Before, a mapping without `platform` stored its sales on `other`: found again, not duplicated."""
    a = tmp_path / "a.csv"
    a.write_text(
        "Order,Day,Style,Price\n1001,2024-01-01,DM7866-200,100.00\n1002,2024-01-02,DM7866-200,120.00\n"
    )
    import_file(session, a, fmt="generic", mapping="shopA", options=OPTIONS)
    session.execute(update(Sale).values(platform="other"))  # as the earlier code stored them
    again = import_file(session, a, fmt="generic", mapping="shopA", options=OPTIONS)
    assert (again.inserted, again.unchanged) == (0, 2)
    assert session.scalars(select(Sale.platform)).all() == ["shopa", "shopa"]


def test_a_mapping_set_to_platform_other_keeps_its_sales_there(session: Session, tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    a.write_text("Order,Day,Style,Price\n1001,2024-01-01,DM7866-200,100.00\n")
    import_file(session, a, fmt="generic", mapping="other", options=OPTIONS)
    again = import_file(session, a, fmt="generic", mapping="other", options=OPTIONS)
    assert (again.inserted, again.unchanged) == (0, 1)
    assert session.scalars(select(Sale.platform)).all() == ["other"]


def test_a_mapping_name_too_long_for_a_platform_needs_one() -> None:
    long_name = "shopify_store_germany_orders_export"
    with pytest.raises(ConfigError, match="by default the mapping's name\\) is longer than 30 characters"):
        GenericImporter(long_name, SHOP_A, base_currency="USD", today=None)
    GenericImporter(
        long_name, SHOP_A.model_copy(update={"platform": "shopify"}), base_currency="USD", today=None
    )


def test_auto_reads_a_file_several_formats_fit_as_it_was_read_before(
    session: Session, tmp_path: Path
) -> None:
    """Its rows are keyed by the format: another one would import every pair again."""
    path = tmp_path / "buys.csv"
    path.write_text("Style,Size,Paid,Day,cost,date\nA-1,10,100,2024-01-05,100,2024-01-05\n")
    assert import_file(session, path, fmt="purchases", options=OPTIONS).inserted == 1
    again = import_file(session, path, options=OPTIONS)  # purchases, footlocker and nike all fit
    assert (again.format, again.inserted, again.unchanged) == ("purchases", 0, 1)
    path.write_text(path.read_text() + "A-1,11,100,2024-01-06,100,2024-01-06\n")  # a newer version?
    newer = import_file(session, path, options=OPTIONS)  # or another file of that name: never silently
    assert newer.error_count == 1 and newer.failure is not None
    assert newer.failure.hint == "pass --format purchases, as a file of this name was imported with before"
    again = import_file(session, path, fmt="purchases", options=OPTIONS)
    assert (again.inserted, again.unchanged) == (1, 1)


def test_auto_refuses_a_new_file_several_formats_fit(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    path.write_text("Style,Size,Paid,Day,cost,date\nA-1,10,100,2024-01-05,100,2024-01-05\n")
    result = import_file(session, path, options=OPTIONS)
    assert (
        result.error_count == 1
        and "fits several formats (purchases, generic:footlocker" in result.errors[0].reason
    )


def test_a_file_of_a_name_a_mapping_read_is_hinted_with_it(session: Session, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    header = "Style,Size,Paid,Day,cost,date\n"
    (tmp_path / "a" / "buys.csv").write_text(header + "A-1,10,100,2024-01-05,100,2024-01-05\n")
    (tmp_path / "b" / "buys.csv").write_text(header + "B-2,10,100,2024-01-05,100,2024-01-05\n")
    first = import_file(session, tmp_path / "a" / "buys.csv", fmt="generic", mapping="nike", options=OPTIONS)
    assert first.inserted == 1
    other = import_file(session, tmp_path / "b" / "buys.csv", options=OPTIONS)
    assert other.failure is not None and other.failure.hint is not None
    assert other.failure.hint.startswith("pass --mapping nike,")
