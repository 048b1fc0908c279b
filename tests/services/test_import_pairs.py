"""Which pair a sale holds: FIFO whatever order files come in; a pair given back goes to a waiting sale."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.config import MappingSettings
from soleflip_cli.importers import ImportOptions
from soleflip_cli.models import InventoryItem, Sale
from soleflip_cli.services.import_ import ImportResult, import_file
from tests.importers.conftest import FIXTURES

SHOP = MappingSettings(
    target="sales",
    platform="shop",
    currency="USD",
    columns={"external_id": "Order", "sold_at": "Date", "sku": "SKU", "size": "Size", "sale_price": "Price"},
)
OPTIONS = ImportOptions(mappings={"shop": SHOP})
HEADER = "Order,Date,SKU,Size,Price\n"
BUYS = (
    "sku,size,cost,currency,purchase_date\n"
    "DD1391-100,10,100,USD,2025-01-10\nDD1391-100,10,200,USD,2025-02-10\n"
)
REFUND = ",-50.00,USD,--,--,--,--,--,110000000002,"  # the eBay fixture's partial refund of a $250 pair


def _import(session: Session, path: Path, text: str | None = None) -> ImportResult:
    if text is not None:
        path.write_text(text, encoding="utf-8")
    generic = path.name.startswith("shop")
    return import_file(
        session,
        path,
        fmt="generic" if generic else "auto",
        mapping="shop" if generic else None,
        options=OPTIONS,
    )


def _costs(session: Session) -> dict[str, Decimal | None]:
    session.expire_all()
    return {s.external_id: s.cost_price for s in session.scalars(select(Sale).order_by(Sale.external_id))}


def test_a_pair_a_corrected_sale_frees_goes_to_the_sale_waiting_for_it(
    session: Session, tmp_path: Path
) -> None:
    _import(
        session,
        tmp_path / "buys.csv",
        "sku,size,cost,currency,purchase_date\nDD1391-100,10,100,USD,2024-01-05\n",
    )
    sales = HEADER + "S1,2024-02-01,DD1391-100,10,150\nS2,2024-02-02,DD1391-100,10,160\n"
    _import(session, tmp_path / "shop-1.csv", sales)
    assert _costs(session) == {"S1": Decimal("100.00"), "S2": None}  # one pair: the older sale has it
    corrected = _import(
        session,
        tmp_path / "shop-2.csv",
        sales.replace("S1,2024-02-01,DD1391-100,10,", "S1,2024-02-01,DD1391-100,11,"),
    )
    assert corrected.updated == 1
    assert _costs(session) == {"S1": None, "S2": Decimal("100.00")}  # S1 was a size 11 after all
    assert session.scalars(select(InventoryItem.status)).all() == ["sold"]


def test_a_pair_a_refund_frees_goes_to_the_sale_waiting_for_it(session: Session, tmp_path: Path) -> None:
    _import(
        session,
        tmp_path / "buys.csv",
        "sku,size,cost,currency,purchase_date\nDH6927-111,10.5,200,USD,2026-08-01\n",
    )
    _import(session, FIXTURES / "ebay-orders.csv")  # sold on eBay on Sep 10: it takes the pair
    _import(session, tmp_path / "shop.csv", HEADER + "S3,2026-09-25,DH6927-111,10.5,240\n")
    ebay = "12-22222-22222:110000000002"
    assert (_costs(session)[ebay], _costs(session)["S3"]) == (Decimal("200.00"), None)
    payments = FIXTURES.joinpath("ebay-transactions.csv").read_text(encoding="utf-8-sig")
    _import(session, tmp_path / "payments.csv", payments.replace(REFUND, REFUND.replace("-50.00", "-260.00")))
    session.expire_all()
    refunded = session.scalars(select(Sale).where(Sale.external_id == ebay)).one()
    assert (refunded.status, refunded.cost_price) == ("refunded", None)
    assert _costs(session)["S3"] == Decimal("200.00")  # the returned pair sold again
    assert session.scalars(select(InventoryItem.status)).all() == ["sold"]


def test_a_sale_corrected_to_before_its_pair_was_bought_gives_it_to_the_next(
    session: Session, tmp_path: Path
) -> None:
    buys = "sku,size,cost,currency,purchase_date\nDD1391-100,10,100,USD,2025-01-01\n"
    _import(session, tmp_path / "buys.csv", buys)
    sales = HEADER + "F1,2025-03-01,DD1391-100,10,150\nF2,2025-03-02,DD1391-100,10,160\n"
    _import(session, tmp_path / "shop-1.csv", sales)
    assert _costs(session) == {"F1": Decimal("100.00"), "F2": None}
    _import(session, tmp_path / "shop-2.csv", sales.replace("F1,2025-03-01", "F1,2024-12-01"))
    assert _costs(session) == {"F1": None, "F2": Decimal("100.00")}  # F1 was sold before the pair was bought


def test_an_earlier_sale_imported_later_takes_the_older_pair(session: Session, tmp_path: Path) -> None:
    _import(session, tmp_path / "buys.csv", BUYS)
    _import(session, tmp_path / "shop-dec.csv", HEADER + "DEC,2025-12-01,DD1391-100,10,300\n")
    assert _costs(session) == {"DEC": Decimal("100.00")}  # the only sale so far: the oldest pair
    _import(session, tmp_path / "shop-mar.csv", HEADER + "MAR,2025-03-01,DD1391-100,10,300\n")
    assert _costs(session) == {"DEC": Decimal("200.00"), "MAR": Decimal("100.00")}  # as in date order
    again = _import(session, tmp_path / "buys.csv")  # nothing left to move
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert _costs(session) == {"DEC": Decimal("200.00"), "MAR": Decimal("100.00")}


def test_either_order_of_files_ends_the_same(session: Session, tmp_path: Path) -> None:
    _import(session, tmp_path / "buys.csv", BUYS)
    _import(session, tmp_path / "shop-mar.csv", HEADER + "MAR,2025-03-01,DD1391-100,10,300\n")
    _import(session, tmp_path / "shop-dec.csv", HEADER + "DEC,2025-12-01,DD1391-100,10,300\n")
    assert _costs(session) == {"DEC": Decimal("200.00"), "MAR": Decimal("100.00")}


def test_pairs_bought_earlier_imported_later_go_to_the_oldest_sales(session: Session, tmp_path: Path) -> None:
    sales = HEADER + "JUN7,2025-06-07,DD1391-100,10,300\nJUN9,2025-06-09,DD1391-100,10,300\n"
    _import(session, tmp_path / "shop.csv", sales)
    _import(
        session,
        tmp_path / "june.csv",
        "sku,size,cost,currency,purchase_date\nDD1391-100,10,300,USD,2025-06-05\n",
    )
    assert _costs(session) == {"JUN7": Decimal("300.00"), "JUN9": None}
    _import(session, tmp_path / "buys.csv", BUYS)  # January's and February's pairs, imported last
    assert _costs(session) == {"JUN7": Decimal("100.00"), "JUN9": Decimal("200.00")}  # as in date order
    stock = session.scalars(select(InventoryItem.purchase_price).where(InventoryItem.status == "in_stock"))
    assert list(stock) == [Decimal("300.00")]
    for path in ("shop.csv", "june.csv", "buys.csv"):  # nothing moves on a re-import
        _import(session, tmp_path / path)
    assert _costs(session) == {"JUN7": Decimal("100.00"), "JUN9": Decimal("200.00")}


def test_a_sale_corrected_to_a_later_day_lets_an_earlier_one_have_the_older_pair(
    session: Session, tmp_path: Path
) -> None:
    _import(session, tmp_path / "buys.csv", BUYS)
    sales = HEADER + "S1,2025-03-01,DD1391-100,10,300\nS2,2025-04-01,DD1391-100,10,300\n"
    _import(session, tmp_path / "shop-1.csv", sales)
    assert _costs(session) == {"S1": Decimal("100.00"), "S2": Decimal("200.00")}
    _import(session, tmp_path / "shop-2.csv", sales.replace("S1,2025-03-01", "S1,2025-05-01"))
    assert _costs(session) == {"S1": Decimal("200.00"), "S2": Decimal("100.00")}  # as in date order


def test_two_sales_of_one_day_take_pairs_by_time_whichever_file_comes_first(
    session: Session, tmp_path: Path
) -> None:
    """The morning sale has the older pair, even when the evening sale was imported (and matched) first."""
    timed = SHOP.model_copy(update={"date_format": "%Y-%m-%d %H:%M"})
    options = ImportOptions(mappings={"shop": timed})
    header = "Order,Date,SKU,Size,Price\n"
    evening = header + "EVENING,2025-03-01 18:00,DD1391-100,10,300\n"
    morning = header + "MORNING,2025-03-01 09:00,DD1391-100,10,300\n"
    (tmp_path / "buys.csv").write_text(BUYS, encoding="utf-8")
    import_file(session, tmp_path / "buys.csv", options=options)
    for name, text in (("shop-evening.csv", evening), ("shop-morning.csv", morning)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        import_file(session, tmp_path / name, fmt="generic", mapping="shop", options=options)
    assert _costs(session) == {"EVENING": Decimal("200.00"), "MORNING": Decimal("100.00")}
