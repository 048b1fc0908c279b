"""`soleflip report` and `soleflip fx` through the CLI on SQLite and PostgreSQL: output, files, errors."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from soleflip_cli import db
from soleflip_cli.models import FxRate, InventoryItem, Sale
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant
from tests.conftest import Cli


@pytest.fixture
def filled(cli: Cli) -> Cli:
    """Two counted sales (one in EUR, one without cost basis), one returned, one pair in stock."""
    assert cli("db", "upgrade").exit_code == 0
    engine = db.make_engine(cli.url or "")
    with Session(engine) as s:
        product = get_or_create_product(s, sku="DZ5485-612", name="Jordan 1 High", brand="Jordan")
        variant = get_or_create_variant(s, product, "10")
        sold = InventoryItem(
            product_id=product.id,
            variant_id=variant.id,
            purchase_price=Decimal("150.00"),
            purchase_currency="USD",
            purchase_date=date(2024, 2, 20),
            status="sold",
        )
        held = InventoryItem(
            product_id=product.id,
            variant_id=variant.id,
            purchase_price=Decimal("99.99"),
            purchase_currency="USD",
            purchase_date=date(2024, 1, 10),
        )
        s.add_all([sold, held])
        s.flush()
        common = {"product_id": product.id, "variant_id": variant.id, "sku": product.sku, "size": "10"}
        s.add_all(
            [
                Sale(
                    platform="stockx",
                    external_id="A",
                    sold_at=datetime(2024, 3, 1, 10, tzinfo=UTC),
                    sale_price=Decimal("200.00"),
                    fees_total=Decimal("18.65"),
                    payout=Decimal("181.35"),
                    currency="USD",
                    inventory_item_id=sold.id,
                    **common,
                ),
                Sale(
                    platform="alias",
                    external_id="B",
                    sold_at=datetime(2024, 3, 15, tzinfo=UTC),
                    sale_price=Decimal("100.00"),
                    payout=Decimal("90.00"),
                    currency="EUR",
                    **common,
                ),
                Sale(
                    platform="ebay",
                    external_id="C",
                    sold_at=datetime(2024, 4, 1, tzinfo=UTC),
                    sale_price=Decimal("50.00"),
                    currency="USD",
                    status="returned",
                    **common,
                ),
                FxRate(rate_date=date(2024, 3, 14), base="EUR", quote="USD", rate=Decimal("1.08")),
            ]
        )
        s.commit()
    engine.dispose()
    return cli


SUMMARY = {
    "orders": 2,
    "units": 2,
    "gross": "308.00",
    "fees": "29.45",
    "payout": "278.55",
    "vat": "0.00",
    "cogs": "150.00",
    "profit": "31.35",
    "margin_pct": "15.7",
    "roi_pct": "20.9",
    "avg_days_to_sell": "10.0",
    "sell_through_pct": "50.0",
    "no_cost_basis": 1,
    "no_cost_basis_payout": "97.20",
    "no_fee_data": 0,
    "returned": 1,
    "cancelled": 0,
    "currency": "USD",
    "period_from": None,
    "period_to": None,
    "platform": None,
}


def test_summary_json_is_exact(filled: Cli) -> None:
    result = filled("report", "summary", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == SUMMARY
    assert "1 sale(s) have no cost basis (payout 97.20 USD)" in " ".join(result.stderr.split())


def test_summary_period_platform_and_currency(filled: Cli) -> None:
    march = json.loads(
        filled("report", "summary", "--month", "2024-03", "--platform", "STOCKX", "--json").stdout
    )
    assert (march["orders"], march["payout"], march["period_from"], march["period_to"]) == (
        1,
        "181.35",
        "2024-03-01",
        "2024-03-31",
    )
    missing = filled("report", "summary", "--currency", "EUR")
    assert missing.exit_code == 1
    assert "no USD->EUR exchange rate on or before 2024-02-20" in missing.stderr
    assert "soleflip fx set USD EUR RATE --date 2024-02-20" in missing.stderr
    assert filled("report", "summary", "--year", "2024", "--month", "2024-03").exit_code == 2
    assert filled("report", "summary", "--currency", "XXX").exit_code == 2


def test_breakdown_json_csv_and_output_file(filled: Cli, tmp_path: Path) -> None:
    data = json.loads(filled("report", "breakdown", "--by", "platform", "--json").stdout)
    assert data["by"] == "platform" and data["total"]["payout"] == "278.55"
    assert [g["group"] for g in data["groups"]] == ["stockx", "alias", "ebay"]
    assert sum(Decimal(g["payout"]) for g in data["groups"]) == Decimal("278.55")
    target = tmp_path / "months.csv"
    result = filled("report", "breakdown", "--by", "month", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [(r["group"], r["payout"], r["returned"]) for r in rows] == [
        ("2024-03", "278.55", "0"),
        ("2024-04", "0.00", "1"),
    ]


def test_an_interrupted_report_keeps_the_earlier_output_file_whole(
    filled: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C or SIGTERM while the ledger is written: the last complete one stays, nothing half-written."""
    from soleflip_cli import render

    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "ledger.csv"
    assert filled("report", "tax", "--year", "2024", "--output", str(target)).exit_code == 0
    complete = target.read_text()

    def interrupted(*args: object, stream: io.StringIO, **kwargs: object) -> None:
        stream.write("row_type,date,sku\nsale,2024-03-01,")  # half a ledger
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "render_rows", interrupted)
    result = filled("report", "tax", "--year", "2024", "--output", str(target))
    assert result.exit_code == 130
    assert target.read_text() == complete and [p.name for p in target.parent.iterdir()] == ["ledger.csv"]


def test_an_output_link_is_followed_and_its_file_keeps_its_mode(filled: Cli, tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    ledger = tmp_path / "shared" / "ledger-2024.csv"
    ledger.write_text("old\n")
    ledger.chmod(0o600)  # tax data
    link = tmp_path / "ledger.csv"
    link.symlink_to(ledger)
    assert filled("report", "tax", "--year", "2024", "--output", str(link)).exit_code == 0
    assert link.is_symlink() and ledger.read_text().startswith("row_type,")
    assert ledger.stat().st_mode & 0o777 == 0o600


def test_output_to_a_pipe_is_written_as_it_comes(filled: Cli) -> None:
    """`--output >(gzip > ledger.csv.gz)` passes /dev/fd/N: no file to put a sibling beside."""
    read, write = os.pipe()
    try:
        result = filled("report", "summary", "--json", "--output", f"/dev/fd/{write}")
        os.close(write)
        with os.fdopen(read) as pipe:
            assert result.exit_code == 0 and json.loads(pipe.read())["orders"] >= 1
    finally:
        for fd in (read, write):
            with contextlib.suppress(OSError):
                os.close(fd)


def test_output_to_dev_stdout_writes_where_stdout_goes(filled: Cli, tmp_path: Path) -> None:
    """`{ echo header; soleflip report ... --output /dev/stdout; } >> log`: the log keeps what it had."""
    log = tmp_path / "log.txt"
    log.write_text("line1\n")
    command = [sys.executable, "-m", "soleflip_cli", "--db", filled.url or "", "report", "summary"]
    with log.open("a") as out:
        done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [*command, "--format", "csv", "--output", "/dev/stdout"],
            stdout=out,
            stderr=subprocess.PIPE,
            env={**os.environ, "SOLEFLIP_HOME": str(tmp_path / "home")},
            check=False,
        )
    assert done.returncode == 0, done.stderr
    text = log.read_text()
    assert text.startswith("line1\n") and "orders" in text.splitlines()[1]


def test_a_file_the_user_may_not_write_is_refused(
    filled: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the shell refuses `> ledger.csv` on a read-only file (root may write anything, so faked here)."""
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("old\n")
    from soleflip_cli.cli import report

    monkeypatch.setattr(report, "_writable", lambda path: False)
    result = filled("report", "summary", "--output", str(ledger))
    assert result.exit_code == 2 and "cannot write: Permission denied" in result.stderr
    assert ledger.read_text() == "old\n"


def test_breakdown_table_with_chart(filled: Cli) -> None:
    result = filled("report", "breakdown", "--by", "month", "--chart")
    assert result.exit_code == 0
    assert "total" in result.stdout and "Chart (USD)" in result.stdout and "█" in result.stdout
    plain = filled("report", "breakdown", "--by", "month")
    assert "Chart" not in plain.stdout  # not a terminal


def test_plot_png(filled: Cli, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "chart.png"
    result = filled("report", "breakdown", "--by", "month", "--plot", str(target), "--json")
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Saved {target} (history only: " in " ".join(result.stderr.split())  # 2 months: no forecast
    assert filled("report", "breakdown", "--by", "brand", "--plot", str(target)).exit_code == 2


def test_plot_without_matplotlib_is_a_clear_error(
    filled: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = filled("report", "breakdown", "--by", "month", "--plot", str(tmp_path / "x.png"))
    assert result.exit_code == 1
    assert "matplotlib, which is not installed" in result.stderr and "soleflip[plot]" in result.stderr


def test_top_and_tax(filled: Cli) -> None:
    top = json.loads(filled("report", "top", "--by", "roi", "--json").stdout)
    assert top == [
        {
            "side": "best",
            "rank": 1,
            "sku": "DZ5485-612",
            "orders": 1,
            "payout": "181.35",
            "cogs": "150.00",
            "profit": "31.35",
            "roi_pct": "20.9",
            "avg_days_to_sell": "10.0",
            "currency": "USD",
        }
    ]
    ledger = json.loads(filled("report", "tax", "--year", "2024", "--json").stdout)
    assert [s["order_id"] for s in ledger["sales"]] == ["A", "B"]
    assert ledger["sales"][1]["original_currency"] == "EUR" and ledger["sales"][1]["payout"] == "97.20"
    assert ledger["totals"]["profit"] == "31.35"
    assert ledger["inventory"] == {"on": "2024-12-31", "pairs": 1, "cost": "99.99"}
    rows = list(
        csv.DictReader(io.StringIO(filled("report", "tax", "--year", "2024", "--format", "csv").stdout))
    )
    assert [r["row_type"] for r in rows] == ["sale", "sale", "total", "inventory"]
    assert rows[2]["fees"] == "29.45" and rows[3]["cost"] == "99.99"


def test_fx_set_list_import(cli: Cli, tmp_path: Path) -> None:
    assert cli("fx", "set", "eur", "usd", "1.084", "--date", "2024-03-01", "--json").exit_code == 0
    file = tmp_path / "rates.csv"
    file.write_text("Date,Base,Quote,Rate\n2024-03-01,EUR,USD,1.09\n2024-03-04,GBP,USD,1.27\n")
    imported = json.loads(cli("fx", "import", str(file), "--json").stdout)
    assert (imported["inserted"], imported["updated"], imported["unchanged"]) == (1, 1, 0)
    listed = json.loads(cli("fx", "list", "--base", "EUR", "--json").stdout)
    assert listed == [
        {"rate_date": "2024-03-01", "base": "EUR", "quote": "USD", "rate": "1.09000000", "source": "import"}
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("date,base,quote,rate\n2024-03-01,EUR,USD,-1\n")
    result = cli("fx", "import", str(bad))
    assert result.exit_code == 2 and "line 2" in result.stderr
    assert cli("fx", "set", "EUR", "EUR", "1").exit_code == 2
    assert len(json.loads(cli("fx", "list", "--json").stdout)) == 2


def test_the_largest_amount_converts_exactly_on_both_databases(cli: Cli) -> None:
    """399,999,999.99 (just under money.MAX_AMOUNT) in EUR, JPY and KWD (an inverse rate, 3 decimals):
    64-bit integer SQL overflowed on PostgreSQL beyond about 4.6 * 10^7 units (KWD) or 9 * 10^8."""
    top = "399999999.99"
    added = cli(
        "inventory",
        "add",
        "--sku",
        "DD1391-100",
        "--size",
        "10",
        "--cost",
        top,
        "--date",
        "2024-03-01",
        "--no-lookup",
        "--json",
    )
    assert added.exit_code == 0, added.stderr
    pair_id = json.loads(added.stdout)[0]["id"]
    sold = cli(
        "inventory", "sell", str(pair_id), "--price", top, "--platform", "local", "--date", "2024-03-02"
    )
    assert sold.exit_code == 0, sold.stderr
    for base, quote, rate in (
        ("USD", "EUR", "0.92345678"),
        ("USD", "JPY", "156.12345678"),
        ("KWD", "USD", "3.25"),
    ):
        assert cli("fx", "set", base, quote, rate, "--date", "2024-03-01").exit_code == 0
    gross = {}
    for currency in ("EUR", "JPY", "KWD"):
        result = cli("report", "summary", "--currency", currency, "--json")
        assert result.exit_code == 0 and result.exception is None, result.stderr
        gross[currency] = json.loads(result.stdout)["gross"]
    # Decimal: 399999999.99 * 0.92345678, * 156.12345678, / 3.25; each rounded half away from zero.
    assert gross == {"EUR": "369382711.99", "JPY": "62449382710", "KWD": "123076923.074"}
    refused = cli(
        "inventory", "add", "--sku", "DD1391-100", "--size", "10", "--cost", "400000000", "--no-lookup"
    )
    assert refused.exit_code == 2 and "too large" in refused.stderr


def test_fee_line_names_become_snake_case_keys() -> None:
    from soleflip_cli.services.report_tax import fee_keys

    names = ["Final Value Fee - fixed", "cash_out (estimated)", "Final value fee: fixed", "€"]
    assert fee_keys(names) == {
        "Final Value Fee - fixed": "fee_final_value_fee_fixed",
        "cash_out (estimated)": "fee_cash_out_estimated",
        "Final value fee: fixed": "fee_final_value_fee_fixed_2",
        "€": "fee_other",
    }
