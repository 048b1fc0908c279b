"""`soleflip supplier add|list|show|edit|stats`; account passwords live in the keyring, never the database."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import Cli, MemoryKeyring
from tests.inventory_helpers import ago, db_session, ok

SECRET = "hunter2-correct-horse"  # noqa: S105 - a test password


def test_add_list_show_edit(cli: Cli) -> None:
    added = ok(
        cli,
        "supplier",
        "add",
        "Nike SNKRS",
        "--kind",
        "raffle",
        "--website",
        "https://nike.com",
        "--email",
        "me@example.com",
        "--notes",
        "app only",
    )
    created_at = added.pop("created_at")
    assert added == {
        "id": 1,
        "name": "Nike SNKRS",
        "kind": "raffle",
        "website": "https://nike.com",
        "account_email": "me@example.com",
        "notes": "app only",
        "pairs": 0,
        "password_stored": False,
    }
    assert created_at.endswith("Z")
    ok(cli, "supplier", "add", "Kith")
    assert [s["name"] for s in ok(cli, "supplier", "list")] == ["Kith", "Nike SNKRS"]
    assert "password_stored" not in ok(cli, "supplier", "list")[0]
    edited = ok(cli, "supplier", "edit", "nike snkrs", "--name", "SNKRS", "--kind", "retail", "--notes", "")
    assert (edited["name"], edited["kind"], edited["notes"]) == ("SNKRS", "retail", None)
    shown = ok(cli, "supplier", "show", "1")
    assert shown["name"] == "SNKRS" and shown["stats"] == [
        {
            "currency": None,
            "pairs": 0,
            "spend": "0.00",
            "sold": 0,
            "realised_profit": None,
            "avg_roi_pct": None,
            "avg_days_to_sell": None,
            "sold_unpriced": 0,
        },
    ]


def test_bad_supplier_input(cli: Cli) -> None:
    ok(cli, "supplier", "add", "Kith")
    duplicate = cli("supplier", "add", "KITH")
    assert duplicate.exit_code == 1 and "already exists (ID 1)" in duplicate.stderr
    assert cli("supplier", "add", "Flea", "--kind", "market").exit_code == 2
    assert cli("supplier", "add", "  ").exit_code == 2
    assert cli("supplier", "show", "Ghost").exit_code == 1
    assert cli("supplier", "edit", "Kith").exit_code == 2
    assert cli("supplier", "stats", "Ghost").exit_code == 1
    ok(cli, "supplier", "add", "Solebox")
    clash = cli("supplier", "edit", "solebox", "--name", "kith")
    assert clash.exit_code == 1 and "already exists" in clash.stderr
    assert [s["name"] for s in ok(cli, "supplier", "list")] == ["Kith", "Solebox"]


def test_names_match_whatever_their_letters_case_on_both_databases(cli: Cli) -> None:
    """SQLite's lower() knew ASCII only: `über kicks` missed `ÜBER KICKS` and became a second supplier."""
    ok(cli, "supplier", "add", "ÜBER KICKS")
    assert ok(cli, "supplier", "show", "über kicks")["name"] == "ÜBER KICKS"
    clash = cli("supplier", "add", "Über Kicks")
    assert clash.exit_code == 1 and "already exists (ID 1)" in clash.stderr


def test_password_goes_to_the_keyring_only(cli: Cli, isolated: MemoryKeyring) -> None:
    added = ok(cli, "supplier", "add", "END.", "--password-stdin", input=SECRET + "\n")
    assert added["password_stored"] is True
    assert isolated.store[("soleflip", "supplier:1:password")] == SECRET
    with db_session(cli) as session:
        for table in ("suppliers", "inventory_items", "sales"):
            dump = repr(session.execute(text(f"SELECT * FROM {table}")).all())  # noqa: S608 - fixed names
            assert SECRET not in dump
    shown = cli("supplier", "show", "END.")
    assert SECRET not in shown.stdout + shown.stderr
    no_tty = cli("supplier", "edit", "END.", "--password")
    assert no_tty.exit_code == 2 and "--password-stdin" in no_tty.stderr
    ok(cli, "supplier", "edit", "END.", "--password-stdin", input="new-one\n")
    assert isolated.store[("soleflip", "supplier:1:password")] == "new-one"
    assert ok(cli, "supplier", "edit", "END.", "--clear-password")["password_stored"] is False
    assert ("soleflip", "supplier:1:password") not in isolated.store
    empty = cli("supplier", "add", "Nobody", "--password-stdin", input="\n")
    assert empty.exit_code == 2 and [s["name"] for s in ok(cli, "supplier", "list")] == ["END."]


def test_stats_per_supplier(cli: Cli) -> None:
    ok(cli, "supplier", "add", "SNKRS")
    ok(cli, "supplier", "add", "Kith")
    add = ["inventory", "add", "--sku", "DM7866-200", "--size", "10"]
    ok(cli, *add, "--cost", "100", "--date", ago(30), "--supplier", "SNKRS", "-n", "3")
    ok(cli, *add, "--cost", "200", "--date", ago(30), "--supplier", "SNKRS", "--currency", "EUR")
    ok(cli, *add, "--cost", "50", "--date", ago(5), "-n", "2")
    ok(cli, "inventory", "sell", "1", "--price", "150", "--platform", "local", "--date", ago(20))
    ok(
        cli,
        "inventory",
        "sell",
        "2",
        "--price",
        "125",
        "--platform",
        "local",
        "--fees",
        "5",
        "--date",
        ago(10),
    )
    ok(cli, "inventory", "sell", "3", "--price", "90", "--platform", "local", "--currency", "GBP")
    ok(cli, "inventory", "remove", "5", "--yes")
    assert ok(cli, "supplier", "stats") == [
        {
            "supplier_id": 2,
            "supplier": "Kith",
            "currency": None,
            "pairs": 0,
            "spend": "0.00",
            "sold": 0,
            "realised_profit": None,
            "avg_roi_pct": None,
            "avg_days_to_sell": None,
            "sold_unpriced": 0,
        },
        {
            "supplier_id": 1,
            "supplier": "SNKRS",
            "currency": "EUR",
            "pairs": 1,
            "spend": "200.00",
            "sold": 0,
            "realised_profit": None,
            "avg_roi_pct": None,
            "avg_days_to_sell": None,
            "sold_unpriced": 0,
        },
        # Profit (50 + 20) and ROI (50 %, 20 %) only over same-currency sales; the GBP sale is counted apart.
        {
            "supplier_id": 1,
            "supplier": "SNKRS",
            "currency": "USD",
            "pairs": 3,
            "spend": "300.00",
            "sold": 3,
            "realised_profit": "70.00",
            "avg_roi_pct": "35.0",
            "avg_days_to_sell": "20.0",
            "sold_unpriced": 1,
        },
        {
            "supplier_id": None,
            "supplier": None,
            "currency": "USD",
            "pairs": 1,
            "spend": "50.00",
            "sold": 0,
            "realised_profit": None,
            "avg_roi_pct": None,
            "avg_days_to_sell": None,
            "sold_unpriced": 0,
        },
    ]
    assert ok(cli, "supplier", "stats", "kith")[0]["pairs"] == 0
    table = cli("supplier", "stats")
    assert table.exit_code == 0 and "(no supplier)" in table.stdout
