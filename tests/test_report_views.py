"""The BI views (migration 0003) read the same numbers as `soleflip report`."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from soleflip_cli.services import report
from tests.report_book import build_book


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_monthly_kpis_view_agrees_with_breakdown(session: Session) -> None:
    build_book(session, currencies=("USD",))
    months = {g.group: g for g in report.breakdown(session, by="month", currency="USD").rows}
    view = session.execute(
        text("SELECT * FROM v_monthly_kpis WHERE currency = 'USD' ORDER BY month")
    ).mappings()
    rows = list(view)
    assert [r["month"] for r in rows] == sorted(months)
    for row in rows:
        cli = months[row["month"]]
        assert (row["orders"], row["units"], row["no_cost_basis"], row["returned"], row["cancelled"]) == (
            cli.orders,
            cli.units,
            cli.no_cost_basis,
            cli.returned,
            cli.cancelled,
        )
        for name in ("gross", "fees", "payout", "vat", "cogs", "profit"):
            assert _money(row[name]) == getattr(cli, name), (row["month"], name)
        assert row["cost_in_other_currency"] == 0


def test_sales_enriched_and_inventory_status_agree(session: Session) -> None:
    build_book(session, currencies=("USD",))
    platforms = {g.group: g for g in report.breakdown(session, by="platform", currency="USD").rows}
    view = session.execute(
        text(
            "SELECT platform, COUNT(*) AS n, SUM(payout) AS payout, SUM(profit) AS profit "
            "FROM v_sales_enriched "
            "WHERE status_class = 'sale' GROUP BY platform"
        )
    )
    for platform, n, payout, profit in view:
        assert (n, _money(payout), _money(profit)) == (
            platforms[platform].orders,
            platforms[platform].payout,
            platforms[platform].profit,
        )
    held = session.execute(
        text(
            "SELECT COUNT(*) FROM v_inventory_status "
            "WHERE sale_id IS NULL AND status NOT IN ('removed', 'personal')"
        )
    ).scalar()
    summary = report.summarize(session, currency="USD")
    sold = summary.orders - summary.no_cost_basis
    assert summary.sell_through_pct == (Decimal(sold) * 100 / (sold + held)).quantize(Decimal("0.1"))
