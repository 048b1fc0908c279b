"""The import service on SQLite and PostgreSQL: idempotent re-import, matching, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.models import ImportBatch, InventoryItem, MarketSale, Product, Sale, SaleFee, Supplier
from soleflip_cli.services.import_ import ImportResult, import_file
from tests.importers.conftest import FIXTURES

OPTIONS = ImportOptions(base_currency="USD")


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _run(session: Session, path: Path, **kwargs: object) -> ImportResult:
    return import_file(session, path, options=OPTIONS, **kwargs)  # type: ignore[arg-type]


def _counts(result: ImportResult) -> tuple[int, int, int, int, int]:
    return result.rows, result.inserted, result.updated, result.unchanged, result.rejected


@pytest.fixture
def tmp_csv(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "edited.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_stockx_import_and_reimport(session: Session, tmp_csv: Callable[[str, str], Path]) -> None:
    first = _run(session, FIXTURES / "stockx-2025.csv")
    assert (first.format, first.target, _counts(first)) == ("stockx", "sales", (5, 5, 0, 0, 0))
    assert first.batch_id is not None and first.written and first.errors == ()
    sale = session.scalars(select(Sale).where(Sale.external_id == "70000002-70000002")).one()
    assert (sale.platform, sale.sale_price, sale.payout, sale.fees_total) == (
        "stockx",
        Decimal("45.00"),
        Decimal("30.65"),
        Decimal("14.35"),
    )
    assert [(f.name, f.amount, f.currency) for f in sale.fees][-1] == (
        "Unlisted fees (listing - payout)",
        Decimal("8.00"),
        "EUR",
    )
    product = session.get(Product, sale.product_id)
    assert product is not None and (product.sku, product.brand, product.model) == (
        "1191A266-102",
        "ASICS",
        "Gel-Lyte III",
    )
    assert session.scalar(select(func.sum(Sale.payout))) == Decimal("671.60")
    again = _run(session, FIXTURES / "stockx-2025.csv")
    assert _counts(again) == (5, 0, 0, 5, 0)
    assert again.previous_batch == first.batch_id
    edited = (
        (FIXTURES / "stockx-2025.csv").read_text(encoding="utf-8").replace(",30.65,EUR,45,", ",31.65,EUR,45,")
    )
    edited = edited.replace(",45,EUR,30.65,EUR,", ",45,EUR,31.65,EUR,")
    changed = _run(session, tmp_csv(edited, "edited.csv"))
    assert _counts(changed) == (5, 0, 1, 4, 0)
    session.expire_all()
    assert (sale.payout, sale.fees_total, sale.fees[-1].amount) == (
        Decimal("31.65"),
        Decimal("13.35"),
        Decimal("7.00"),
    )
    assert _count(session, Sale) == 5 and _count(session, SaleFee) == 12
    assert _count(session, ImportBatch) == 3


def test_purchases_then_sales_consume_pairs_fifo(
    session: Session, tmp_csv: Callable[[str, str], Path]
) -> None:
    bought = _run(session, FIXTURES / "purchases.csv")
    assert _counts(bought) == (4, 4, 0, 0, 0)
    assert _count(session, InventoryItem) == 5  # quantity 2 on the first row
    assert sorted(session.scalars(select(Supplier.name))) == ["Nike SNKRS", "StockX"]
    sold = _run(session, FIXTURES / "stockx-2025.csv")
    assert sold.matched == 2  # the Panda in size 10 and the Travis Scott in 10.5 (12W / 10.5M)
    panda = session.scalars(select(Sale).where(Sale.sku == "DD1391-100")).one()
    assert panda.inventory_item is not None and panda.inventory_item.status == "sold"
    assert panda.inventory_item.source_key is not None and panda.inventory_item.source_key.endswith(":1#1")
    unmatched = session.scalars(select(Sale).where(Sale.sku == "1191A266-102")).one()
    assert unmatched.inventory_item_id is None  # no cost basis, still visible
    assert _count(session, InventoryItem) == 5


def test_sales_first_then_purchases_match(session: Session) -> None:
    _run(session, FIXTURES / "stockx-2025.csv")
    bought = _run(session, FIXTURES / "purchases.csv")
    assert bought.matched == 2
    assert session.scalar(select(func.count()).where(Sale.inventory_item_id.is_not(None))) == 2


def test_purchases_reimport_updates_cost_and_quantity(
    session: Session, tmp_csv: Callable[[str, str], Path]
) -> None:
    _run(session, FIXTURES / "purchases.csv")
    text = (FIXTURES / "purchases.csv").read_text(encoding="utf-8")
    text = text.replace(
        "10,110.00,USD,2024-03-01,Nike SNKRS,Shelf A,new,2,",
        "10,105.00,USD,2024-03-01,Nike SNKRS,Shelf C,new,1,",
    )
    text = text.replace(
        "M2002RFA,New Balance 2002R Sandstone Magnet,10,140,USD,2024-03-03,,,,,",
        "M2002RFA,New Balance 2002R Sandstone Magnet,10,140,USD,2024-03-03,,,,3,",
    )
    result = _run(session, tmp_csv(text, "edited.csv"))
    assert _counts(result) == (4, 0, 2, 2, 0)
    pairs = {p.source_key: p for p in session.scalars(select(InventoryItem))}
    assert len(pairs) == 7
    first = next(
        p for k, p in pairs.items() if k and k.endswith(":1#1") and p.purchase_price == Decimal("105.00")
    )
    assert first.location == "Shelf C"
    assert sorted(p.status for p in pairs.values()) == ["in_stock"] * 6 + ["removed"]


def test_bad_row_rejects_the_whole_file(session: Session, tmp_csv: Callable[[str, str], Path]) -> None:
    text = (FIXTURES / "purchases.csv").read_text(encoding="utf-8").replace("2024-03-03", "2024-13-03")
    result = _run(session, tmp_csv(text, "bad.csv"))
    assert _counts(result) == (4, 0, 0, 0, 1)
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (4, "Purchase_Date", "not a date like 2024-03-15: '2024-13-03'")
    ]
    assert (result.batch_id, result.written) == (None, False)
    assert _count(session, InventoryItem) == 0 and _count(session, ImportBatch) == 0
    assert _count(session, Product) == 0
    skipped = _run(session, tmp_csv(text, "bad.csv"), skip_bad_rows=True)
    assert _counts(skipped) == (4, 3, 0, 0, 1) and skipped.written
    assert _count(session, InventoryItem) == 4


def test_dry_run_counts_but_writes_nothing(session: Session) -> None:
    result = _run(session, FIXTURES / "stockx-2025.csv", dry_run=True)
    assert _counts(result) == (5, 5, 0, 0, 0)
    assert (result.batch_id, result.written) == (None, False)
    assert _count(session, Sale) == 0 and _count(session, ImportBatch) == 0 and _count(session, Product) == 0


def test_contest_market_sales(session: Session) -> None:
    result = _run(session, FIXTURES / "contest.csv")
    assert (result.target, _counts(result)) == ("market_sales", (6, 6, 0, 0, 0))
    assert _count(session, MarketSale) == 6 and _count(session, Sale) == 0
    assert session.scalar(select(func.sum(MarketSale.sale_price))) == Decimal("4832.00")
    beluga = session.scalars(select(Product).where(Product.name.like("%Beluga"))).one()
    assert (beluga.product_key, beluga.brand, beluga.model) == (
        "name:adidas yeezy boost 350 low v2 beluga",
        "adidas",
        "Yeezy Boost 350 V2",
    )
    assert (beluga.retail_price, beluga.retail_currency, str(beluga.release_date)) == (
        Decimal("220.00"),
        "USD",
        "2016-09-24",
    )
    again = _run(session, FIXTURES / "contest.csv")
    assert _counts(again) == (6, 0, 0, 6, 0)
    assert _count(session, MarketSale) == 6 and _count(session, Product) == 5


def test_unreadable_file_is_a_result_not_a_crash(session: Session, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = _run(session, empty)
    assert [(e.line, e.message) for e in result.errors] == [(1, "the file is empty")]
    assert (result.rows, result.batch_id) == (0, None)


def test_overlapping_contest_files(session: Session, tmp_csv: Callable[[str, str], Path]) -> None:
    lines = (FIXTURES / "contest.csv").read_text().splitlines()
    part = tmp_csv("\n".join(lines[:4]) + "\n", "part.csv")  # the header and the first 3 rows
    assert _counts(_run(session, part)) == (3, 3, 0, 0, 0)
    assert _counts(_run(session, FIXTURES / "contest.csv")) == (6, 3, 0, 3, 0)
    assert _count(session, MarketSale) == 6


def test_a_file_whose_path_is_longer_than_the_batch_column_keeps_its_end(
    session: Session, tmp_path: Path
) -> None:
    """PostgreSQL refused a path over 500 characters (a traceback); SQLite stored it whole."""
    folder = tmp_path.joinpath(*["d" * 200] * 3)
    folder.mkdir(parents=True)
    path = folder / "stockx-2022.csv"
    path.write_bytes((FIXTURES / "stockx-2022.csv").read_bytes())
    result = _run(session, path, name=str(path))
    session.commit()
    assert result.written and len(str(path)) > 600
    stored = session.scalars(select(ImportBatch.file_name)).one()
    assert len(stored) == 500 and stored.startswith("…d") and stored.endswith("/stockx-2022.csv")


def test_a_sale_with_a_size_no_format_reads_is_a_warning(
    session: Session, tmp_csv: Callable[[str, str], Path]
) -> None:
    """It is stored as printed but can take no pair: the user hears why it has no cost basis."""
    text = (FIXTURES / "stockx-2022.csv").read_text(encoding="utf-8-sig")
    assert text.count("Reverse Panda,10.5,") == 1
    result = _run(
        session, tmp_csv(text.replace("Reverse Panda,10.5,", "Reverse Panda,10.5 narrow,"), "x.csv")
    )
    assert result.written and result.warnings == (
        "1 sale(s) have a size soleflip cannot read ('10.5 narrow'): stored as printed, they take no pair "
        "in stock (no cost basis)",
    )
