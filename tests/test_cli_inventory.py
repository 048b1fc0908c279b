"""`soleflip inventory add|list|edit|move|remove` through the CLI on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import Cli
from tests.inventory_helpers import ago, catalog, ok
from tests.test_startup import HEAVY, PROBE


def _row(id_: int, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": id_,
        "sku": "DM7866-200",
        "name": None,
        "brand": None,
        "size": "10",
        "condition": "new",
        "box": "good",
        "status": "in_stock",
        "cost": "180.00",
        "currency": "USD",
        "purchase_date": ago(0),
        "days_in_stock": 0,
        "location": None,
        "supplier": None,
    }
    row.update(changes)
    return row


def _all(cli: Cli) -> list[dict[str, object]]:
    return ok(cli, "inventory", "list", "--status", "all")  # type: ignore[no-any-return]


def test_add_creates_one_row_per_pair_and_never_invents_a_name(cli: Cli) -> None:
    result = cli(
        "inventory", "add", "--sku", "dm7866 200", "--size", "US 10", "--cost", "180", "-n", "3", "--json"
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [_row(1), _row(2), _row(3)]
    assert "Added 3 pair(s) of DM7866-200 size 10 (ID 1, 2, 3)." in result.stderr
    assert "not in the catalog" in result.stderr


def test_add_takes_name_and_brand_from_the_catalog(cli: Cli) -> None:
    catalog(cli, "DD1391-100", "Nike Dunk Low Panda", "Nike")
    rows = ok(
        cli,
        "inventory",
        "add",
        "--sku",
        "DD1391-100",
        "--size",
        "9.5",
        "--cost",
        "110.5",
        "--currency",
        "eur",
        "--date",
        ago(40),
        "--condition",
        "used",
        "--box",
        "damaged",
        "--location",
        "Shelf A",
        "--notes",
        " gift ",
    )
    assert rows == [
        _row(
            1,
            sku="DD1391-100",
            name="Nike Dunk Low Panda",
            brand="Nike",
            size="9.5",
            condition="used",
            box="damaged",
            cost="110.50",
            currency="EUR",
            purchase_date=ago(40),
            days_in_stock=40,
            location="Shelf A",
        )
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--size", "10 1/2 wide"], 2, "unknown size"),
        (["--cost", "-5"], 2, "cost must be more than zero"),
        (["--cost", "0"], 2, "cost must be more than zero"),
        (["--cost", "12,5"], 2, "is not an amount"),
        (["--currency", "XYZ"], 2, "unknown currency code 'XYZ'"),
        (["--date", "2999-01-01"], 2, "is in the future"),
        (["--date", "yesterday"], 2, "is not a date"),
        (["--condition", "mint"], 2, "Invalid value for '--condition'"),
        (["--quantity", "0"], 2, "--quantity must be between 1 and 500"),
        (["--supplier", "Nobody"], 1, "no supplier named 'Nobody'"),
        (["--sku", "N/A"], 2, "SKU 'N/A' is empty or a placeholder"),
    ],
)
def test_add_rejects_bad_input_and_writes_nothing(cli: Cli, args: list[str], code: int, message: str) -> None:
    options = {"--sku": "DM7866-200", "--size": "10", "--cost": "180"}
    options.update(zip(args[::2], args[1::2], strict=True))
    result = cli("inventory", "add", *(part for pair in options.items() for part in pair))
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert _all(cli) == []


def test_list_sorts_sizes_by_system_then_number(cli: Cli) -> None:
    """Numbers sort as numbers ("9" before "10"), grouped kids, men's, women's, EU, UK (both databases)."""
    printed = [
        "10",
        "EU 44 2/3",
        "9",
        "13",
        "5Y",
        "4.5",
        "UK 9",
        "10C",
        "EU 44.5",
        "8W",
        "4",
        "3.5Y",
        "EU 44",
        "10.5",
    ]
    for size in printed:
        ok(cli, "inventory", "add", "--sku", "DD1391-100", "--size", size, "--cost", "100")
    sizes = lambda *args: [r["size"] for r in ok(cli, "inventory", "list", "--sort", "size", *args)]  # noqa: E731
    expected = [
        "10C",
        "3.5Y",
        "5Y",
        "4",
        "4.5",
        "9",
        "10",
        "10.5",
        "13",
        "8W",
        "EU44",
        "EU44.5",
        "EU442/3",
        "UK9",
    ]
    assert sizes() == expected
    assert sizes("--desc") == expected[::-1]


def test_list_filters_sorts_and_totals(cli: Cli) -> None:
    catalog(cli, "DD1391-100", "Nike Dunk Low Panda", "Nike")
    ok(cli, "supplier", "add", "SNKRS")
    ok(
        cli,
        "inventory",
        "add",
        "--sku",
        "DD1391-100",
        "--size",
        "9",
        "--cost",
        "100",
        "--date",
        ago(100),
        "--location",
        "A",
        "--supplier",
        "snkrs",
    )
    ok(cli, "inventory", "add", "--sku", "DD1391-100", "--size", "10", "--cost", "120", "--date", ago(10))
    ok(cli, "inventory", "add", "--sku", "DM7866-200", "--size", "10", "--cost", "300", "--location", "B")
    ok(cli, "inventory", "edit", "3", "--status", "personal")
    ids = lambda *args: [r["id"] for r in ok(cli, "inventory", "list", *args)]  # noqa: E731
    assert ids() == [1, 2, 3]
    assert ids("--brand", "NIKE") == [1, 2]
    assert ids("--sku", "dd1391 100", "--size", "US 10") == [2]
    assert ids("--location", "a") == [1]
    assert ids("--supplier", "SNKRS") == [1]
    assert ids("--older-than", "30") == [1]
    assert ids("--status", "personal") == [3]
    assert ids("--status", "in_stock", "--status", "personal") == [1, 2, 3]
    assert ids("--sort", "cost", "--desc") == [3, 2, 1]
    assert ids("--sort", "date") == [1, 2, 3]
    # Pair 2 has no location: last either way, on both databases (SQLite put it first ascending).
    assert ids("--sort", "location") == [1, 3, 2]
    assert ids("--sort", "location", "--desc") == [3, 1, 2]
    table = cli("inventory", "list", "--brand", "nike")
    assert table.exit_code == 0
    assert "3 pairs" not in table.stdout and "2 pairs" in table.stdout and "220.00 USD" in table.stdout
    csv_out = cli("inventory", "list", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("id,sku,name,brand,size") and len(csv_out) == 4
    assert len(cli("inventory", "list", "--format", "ndjson").stdout.splitlines()) == 3
    assert cli("inventory", "list", "--supplier", "ghost").exit_code == 1
    assert cli("inventory", "list", "--size", "huge").exit_code == 2
    assert cli("inventory", "list", "--status", "lost").exit_code == 2


def test_edit_changes_details_and_refuses_nonsense(cli: Cli) -> None:
    ok(cli, "supplier", "add", "Kith")
    ok(cli, "inventory", "add", "--sku", "DM7866-200", "--size", "10", "--cost", "180", "--location", "A")
    edited = ok(
        cli,
        "inventory",
        "edit",
        "1",
        "--cost",
        "175.5",
        "--box",
        "missing",
        "--supplier",
        "kith",
        "--location",
        "",
        "--size",
        "10.5",
        "--date",
        ago(3),
    )
    assert edited == [
        _row(
            1,
            cost="175.50",
            box="missing",
            supplier="Kith",
            size="10.5",
            purchase_date=ago(3),
            days_in_stock=3,
        )
    ]
    assert ok(cli, "inventory", "edit", "1", "--supplier", "")[0]["supplier"] is None
    nothing = cli("inventory", "edit", "1")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.stderr
    assert cli("inventory", "edit", "9", "--cost", "1").exit_code == 1
    assert cli("inventory", "edit", "1", "--status", "sold").exit_code == 2
    assert cli("inventory", "edit", "1", "--currency", "ABC").exit_code == 2
    ok(cli, "inventory", "sell", "1", "--price", "250", "--platform", "local")
    tied = cli("inventory", "edit", "1", "--size", "11")
    assert tied.exit_code == 2 and "tied to sale 1" in tied.stderr
    assert ok(cli, "inventory", "edit", "1", "--notes", "fixed cost", "--cost", "170")[0]["cost"] == "170.00"


def test_move_is_all_or_nothing(cli: Cli) -> None:
    ok(cli, "inventory", "add", "--sku", "DM7866-200", "--size", "10", "--cost", "180", "-n", "3")
    assert ok(cli, "inventory", "move", "1", "3", "--location", "Shelf B") == {
        "moved": [1, 3],
        "location": "Shelf B",
    }
    missing = cli("inventory", "move", "2", "99", "--location", "Attic")
    assert missing.exit_code == 1 and "no pair with ID 99; nothing was changed" in missing.stderr
    assert [r["location"] for r in _all(cli)] == ["Shelf B", None, "Shelf B"]
    assert cli("inventory", "move", "2", "--location", " ").exit_code == 2


def test_remove_asks_refuses_sold_pairs_and_keeps_history(cli: Cli) -> None:
    ok(cli, "inventory", "add", "--sku", "DM7866-200", "--size", "10", "--cost", "180", "-n", "3")
    no_tty = cli("inventory", "remove", "1")
    assert no_tty.exit_code == 2 and "pass --yes" in no_tty.stderr
    assert ok(cli, "inventory", "remove", "1", "--yes") == {
        "removed": [1],
        "already_removed": [],
        "unlinked_sales": [],
        "open_listings": [],
    }
    assert ok(cli, "inventory", "remove", "1", "--yes")["already_removed"] == [1]
    assert [r["id"] for r in ok(cli, "inventory", "list")] == [2, 3]
    assert [r["status"] for r in _all(cli)] == ["removed", "in_stock", "in_stock"]
    ok(cli, "inventory", "sell", "2", "--price", "250", "--platform", "local")
    refused = cli("inventory", "remove", "2", "3", "--yes")
    assert refused.exit_code == 2 and "pair 2 (sale 1)" in refused.stderr
    assert [r["status"] for r in _all(cli)] == ["removed", "sold", "in_stock"]
    forced = ok(cli, "inventory", "remove", "2", "--yes", "--force")
    # The sale is real; only the pair was wrong: it now consumes the other pair of that size.
    assert forced["unlinked_sales"] == [{"sale_id": 1, "removed_item_id": 2, "rematched_item_id": 3}]
    assert [r["status"] for r in _all(cli)] == ["removed", "removed", "sold"]
    assert cli("inventory", "remove", "7", "--yes").exit_code == 1


@pytest.mark.slow
def test_remove_asks_on_a_terminal(cli: Cli) -> None:
    """A real terminal (pty) on stdin: `n` keeps the pair, `y` removes it."""
    assert cli.url is not None
    ok(cli, "inventory", "add", "--sku", "DM7866-200", "--size", "10", "--cost", "180")
    argv = [sys.executable, "-m", "soleflip_cli", "--db", cli.url, "inventory", "remove", "1"]
    for answer, code, status in (("n", 1, "in_stock"), ("y", 0, "removed")):
        leader, follower = os.openpty()
        proc = subprocess.Popen(
            argv, stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        os.close(follower)
        os.write(leader, f"{answer}\n".encode())
        _, err = proc.communicate(timeout=120)
        os.close(leader)
        assert proc.returncode == code, err
        assert "Remove 1 pair(s): 1 (DM7866-200 size 10)? [y/N]" in err
        assert _all(cli)[0]["status"] == status


@pytest.mark.parametrize("group", ["inventory", "supplier"])
def test_help_imports_nothing_heavy(group: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=[group, "--help"], heavy=[*HEAVY, "sqlalchemy"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
    assert (
        "Example: "
        in subprocess.run(
            [sys.executable, "-m", "soleflip_cli", group, "add", "--help"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
