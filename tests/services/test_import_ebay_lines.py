"""eBay payments lines that are not plain costs: holds, payouts in another currency, refunds' fee credits."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions
from soleflip_cli.models import Sale
from soleflip_cli.services.import_ import import_file
from tests.importers.conftest import FIXTURES

ORDERS, PAYMENTS = FIXTURES / "ebay-orders.csv", FIXTURES / "ebay-transactions.csv"
FIRST = "12-11111-11111:110000000001"  # $135.00; its order line nets 130.76 USD, its label costs 12.50
PAID = Decimal("118.26")
HOLD = {  # the whole order line's money held until delivery: no cost of the sale
    "Transaction creation date": "Sep 4, 2026",
    "Type": "Hold",
    "Order number": "12-11111-11111",
    "Item ID": "110000000001",
    "Net amount": "-130.76",
    "Transaction currency": "USD",
    "Reason for hold": "Awaiting delivery confirmation",
}


def _with(tmp_path: Path, *extra: dict[str, str], change: dict[str, str] | None = None) -> Path:
    """The fixture's payments report with its first Order line changed and extra lines appended."""
    text = PAYMENTS.read_text(encoding="utf-8-sig").splitlines()
    at = next(n for n, line in enumerate(text) if line.startswith("Transaction creation date"))
    header = next(csv.reader([text[at]]))
    rows = list(csv.reader(text[at + 1 :]))
    if change:
        rows[0] = [change.get(column, cell) for column, cell in zip(header, rows[0], strict=True)]
    rows += [[line.get(column, "--") for column in header] for line in extra]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "payments.csv"
    path.write_text("\n".join(text[: at + 1]) + "\n" + out.getvalue(), encoding="utf-8")
    return path


def _payout(session: Session, external_id: str = FIRST) -> tuple[Decimal | None, Decimal | None, str]:
    session.expire_all()
    sale = session.scalars(select(Sale).where(Sale.external_id == external_id)).one()
    return sale.payout, sale.fees_total, sale.status


def test_a_hold_on_an_order_delays_its_money_and_costs_nothing(session: Session, tmp_path: Path) -> None:
    import_file(session, ORDERS, options=ImportOptions())
    result = import_file(session, _with(tmp_path, HOLD), options=ImportOptions())
    assert result.errors == () and result.attached == 3
    assert _payout(session) == (PAID, Decimal("16.74"), "completed")


def test_a_line_paid_out_in_another_currency_is_converted_back_with_its_rate(
    session: Session, tmp_path: Path
) -> None:
    """USD sale, GBP payout: the Net amount is in pounds (130.76 x 0.79), the fee cells in dollars."""
    gbp = {"Net amount": "103.30", "Payout currency": "GBP", "Exchange rate": "0.79"}
    import_file(session, ORDERS, options=ImportOptions())
    import_file(session, _with(tmp_path, change=gbp), options=ImportOptions())
    assert _payout(session) == (PAID, Decimal("16.74"), "completed")
    missing = import_file(
        session, _with(tmp_path, change={**gbp, "Exchange rate": "--"}), options=ImportOptions()
    )
    assert missing.written is False
    [error] = missing.errors
    assert (error.column, error.line) == ("Exchange rate", 6)
    assert "net amount is in GBP and the transaction in USD" in error.message


def test_a_line_in_another_currency_than_its_sale_is_kept_apart_and_named(
    session: Session, tmp_path: Path
) -> None:
    euros = {"Net amount": "121.11", "Payout currency": "EUR", "Transaction currency": "EUR"}
    import_file(session, ORDERS, options=ImportOptions())
    result = import_file(session, _with(tmp_path, change=euros), options=ImportOptions())
    assert result.written and result.attached == 2  # nor is its label: the order's money stays unknown
    assert _payout(session) == (None, None, "completed")
    [warning] = result.warnings
    assert "ebay payment lines of 1 order(s) are in another currency than their sale" in warning
    assert warning.endswith(": 12-11111-11111")


def test_the_fees_a_refund_credits_back_go_with_the_refunded_pair(session: Session, tmp_path: Path) -> None:
    """Two pairs at $250 on one line; one comes back: the 19.35 fee credit is that pair's, not shared."""
    orders = tmp_path / "orders.csv"
    text = ORDERS.read_text(encoding="utf-8-sig")
    orders.write_text(text.replace(",1,$250.00,", ",2,$250.00,"), encoding="utf-8")
    refund = {
        "Transaction creation date": "Sep 20, 2026",
        "Type": "Refund",
        "Order number": "12-22222-22222",
        "Item ID": "110000000002",
        "Net amount": "-230.65",
        "Gross transaction amount": "-250.00",
        "Final Value Fee - variable": "19.35",
        "Transaction currency": "USD",
    }
    lines = _with(tmp_path, refund, change={})
    without_partial = [line for line in lines.read_text().splitlines() if "Partial refund" not in line]
    lines.write_text("\n".join(without_partial) + "\n", encoding="utf-8")
    import_file(session, orders, options=ImportOptions())
    import_file(session, lines, options=ImportOptions())
    kept, back = (_payout(session, f"12-22222-22222:110000000002{n}") for n in ("", " (pair 2)"))
    # Each half of the order line (net 220.90; fees 0.40 + 38.70 less the buyer's 10.00 shipping).
    assert kept == (Decimal("110.45"), Decimal("14.55"), "completed")
    assert back == (Decimal("-120.20"), Decimal("245.20"), "refunded")  # 110.45 - 250.00 + 19.35


def test_a_hold_counted_by_an_older_version_is_taken_out_when_the_report_comes_again(
    session: Session, tmp_path: Path
) -> None:
    """Its line changes on re-import (no fee line now): the order is worked out again without it."""
    from sqlalchemy import update

    from soleflip_cli.models import PaymentTransaction

    import_file(session, ORDERS, options=ImportOptions())
    path = _with(tmp_path, HOLD)
    import_file(session, path, options=ImportOptions())
    session.execute(  # as an older version stored it: a fee line, its content hash, its sale's payout
        update(PaymentTransaction)
        .where(PaymentTransaction.type == "Hold")
        .values(content_hash="old", fee_lines='[{"name": "Hold", "kind": "other", "amount": "130.76"}]')
    )
    session.execute(update(Sale).where(Sale.external_id == FIRST).values(payout=Decimal("-12.50")))
    result = import_file(session, path, options=ImportOptions())
    assert result.updated == 1
    assert _payout(session) == (PAID, Decimal("16.74"), "completed")


def test_a_payout_line_in_another_currency_needs_no_rate(session: Session, tmp_path: Path) -> None:
    payout = {
        "Transaction creation date": "Sep 21, 2026",
        "Type": "Payout",
        "Net amount": "-900.00",
        "Payout currency": "GBP",
        "Transaction currency": "USD",
    }
    result = import_file(session, _with(tmp_path, payout), options=ImportOptions())
    assert result.errors == () and result.written
