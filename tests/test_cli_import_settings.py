"""`soleflip import csv` with the user's settings and the warnings an import gives."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import Cli
from tests.importers.conftest import FIXTURES

ALIAS = (
    "USERNAME,ORDER_NUMBER,SKU,SIZE,NAME,PRODUCT_PRICE_CENTS_SALE_PRICE,CREDIT_DATE,PURCHASED_DATE\n"
    "me,1001,DM7866 200,10,Travis Scott x Air Jordan 1 Low,399,5/2/24,1/2/24\n"
)
PURCHASES = "sku,size,cost,currency,purchase_date,quantity\nDM7866-200,10,180,USD,2024-01-05,{quantity}\n"


def test_alias_fees_follow_the_configured_fee_settings(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "alias.csv"
    path.write_text(ALIAS, encoding="utf-8")
    env = {"SOLEFLIP_FEES__ALIAS__LOCATION": "DE"}
    quoted = cli("price", "fees", "--platform", "alias", "--price", "399", "--json", env=env)
    quote = json.loads(quoted.stdout)
    assert cli("import", "csv", str(path), env=env).exit_code == 0
    summary = json.loads(cli("report", "summary", "--json", env=env).stdout)
    assert (summary["payout"], summary["no_fee_data"]) == (quote["payout"], 0) == ("338.97", 0)


def test_a_kept_sold_pair_is_a_warning_on_stderr(cli: Cli, tmp_path: Path) -> None:
    purchases, alias = tmp_path / "purchases.csv", tmp_path / "alias.csv"
    alias.write_text(ALIAS + ALIAS.splitlines()[1].replace("me,1001", "me,1002") + "\n", encoding="utf-8")
    purchases.write_text(PURCHASES.format(quantity=2), encoding="utf-8")
    assert cli("import", "csv", str(purchases), str(alias)).exit_code == 0  # both pairs sold
    purchases.write_text(PURCHASES.format(quantity=1), encoding="utf-8")
    lowered = cli("import", "csv", str(purchases), "--json")
    assert lowered.exit_code == 0, lowered.stderr
    said = " ".join(lowered.stderr.split())
    assert "purchases.csv: line 2: quantity 1, but 1 more pair(s) of this row stay" in said
    assert "sold, returned, consigned and personal pairs are never removed" in said
    assert "line 2" not in lowered.stdout


def test_a_bad_mapping_is_refused_before_a_database_is_made(cli_nodb: Cli, tmp_path: Path) -> None:
    home = Path(os.environ["SOLEFLIP_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[import.mappings.shop]\ncolumns = { price = "P" }\n')
    path = tmp_path / "shop.csv"
    path.write_text("P\n10\n")
    result = cli_nodb("import", "csv", str(path), "--mapping", "shop")
    assert result.exit_code == 2 and "[import.mappings.shop] columns: unknown field(s) price" in result.stderr
    assert "Creating the database schema" not in result.stderr and not list(home.glob("*.db"))


def test_an_unfinished_mapping_refuses_only_a_file_no_format_fits(cli: Cli, tmp_path: Path) -> None:
    """The other files of the run are imported and reported; the unfinished mapping is named."""
    home = Path(os.environ["SOLEFLIP_HOME"])
    (home / "config.toml").write_text(
        '[import.mappings.wip]\ntarget = "sales"\ncolumns = { external_id = "Order", sold_at = "When" }\n'
    )
    unknown = tmp_path / "shop.csv"
    unknown.write_text("Order,When\n1,2024-01-02\n")
    result = cli("import", "csv", str(FIXTURES / "alias.csv"), str(unknown), "--json")
    assert result.exit_code == 2
    alias, refused = json.loads(result.stdout)
    assert alias["inserted"] > 0 and alias["batch_id"] is not None
    assert (
        "a mapping that cannot work: [import.mappings.wip] columns: map a column to sale_price"
        in (refused["errors"][0]["message"])
    )
