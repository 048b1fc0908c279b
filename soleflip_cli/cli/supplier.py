"""`soleflip supplier`: where pairs are bought; account passwords go to the keyring, never the database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from soleflip_cli.choices import SupplierKind
from soleflip_cli.cli._common import (
    FormatOption,
    JsonOption,
    ManualWaitOption,
    manual_write,
    output_format,
    session,
    state,
    stdin,
    stdin_is_terminal,
)
from soleflip_cli.errors import UsageError

if TYPE_CHECKING:
    from soleflip_cli.secrets import SecretStore

app = typer.Typer(help="Suppliers: retail, raffle, reseller or private; what each one earned you.")

Ref = Annotated[str, typer.Argument(metavar="NAME|ID", help="Supplier name (any case) or ID.")]
Kind = Annotated[SupplierKind | None, typer.Option("--kind")]
Website = Annotated[str | None, typer.Option("--website")]
Email = Annotated[str | None, typer.Option("--email", help="Account e-mail at the supplier.")]
Notes = Annotated[str | None, typer.Option("--notes")]
PasswordPrompt = Annotated[
    bool,
    typer.Option(
        "--password", help="Ask for the account password (terminal only) and keep it in the keyring."
    ),
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the account password from the first line of stdin.")
]
INFO_KEYS = (
    "id",
    "name",
    "kind",
    "website",
    "account_email",
    "notes",
    "pairs",
    "password_stored",
    "created_at",
)


def _read_password(prompt: bool, from_stdin: bool) -> str | None:
    if prompt and from_stdin:
        raise UsageError("use --password or --password-stdin, not both")
    if from_stdin:
        return stdin().readline().rstrip("\r\n")
    if not prompt:
        return None
    if not stdin_is_terminal():
        raise UsageError("--password asks on a terminal; stdin is not one, so pass --password-stdin")
    value: str = typer.prompt("Account password", hide_input=True, confirmation_prompt=True, err=True)
    return value


def _store(ctx: typer.Context, *, required: bool) -> SecretStore | None:
    """The secret store; when not required, None if there is none (the password status is then unknown)."""
    from soleflip_cli.errors import AuthError
    from soleflip_cli.secrets import open_store

    loaded = state(ctx).loaded
    key = loaded.settings.secret_key.get_secret_value() if loaded.settings.secret_key else None
    try:
        return open_store(loaded.paths.data_dir, key)
    except AuthError:
        if required:
            raise
        return None


def _render_info(info: Any, fmt: Any, as_json: bool) -> None:
    from soleflip_cli import render

    render.render_object(render.jsonable(info), output_format(fmt, as_json), title=f"Supplier {info.name}")


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Supplier name, e.g. 'Nike SNKRS'.")],
    kind: Kind = SupplierKind.retail,
    website: Website = None,
    email: Email = None,
    notes: Notes = None,
    password: PasswordPrompt = False,
    password_stdin: PasswordStdin = False,
    wait: ManualWaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a supplier; an account password is kept in the OS keyring (or the encrypted file).

    Example: printf '%s\\n' "$PW" | soleflip supplier add "Nike SNKRS" --kind raffle --password-stdin
    """
    from soleflip_cli.services.suppliers import SupplierFields, add_supplier

    secret = _read_password(password, password_stdin)
    store = _store(ctx, required=secret is not None)
    details = SupplierFields(
        name=name, kind=kind.value if kind else None, website=website, account_email=email, notes=notes
    )
    with manual_write(ctx, "supplier add", wait) as s:
        info = add_supplier(s, details, store=store, password=secret)
    _render_info(info, fmt, as_json)


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = None, as_json: JsonOption = False) -> None:
    """List suppliers with the number of pairs bought from each.

    Example: soleflip supplier list --json
    """
    from soleflip_cli import render
    from soleflip_cli.services.suppliers import list_suppliers

    with session(ctx) as s:
        rows = [render.jsonable(info) for info in list_suppliers(s)]
    keys = [k for k in INFO_KEYS if k != "password_stored"]
    for row in rows:
        row.pop("password_stored")
    columns = [render.Column(k, numeric=k in {"id", "pairs"}) for k in keys]
    render.render_rows(rows, columns, output_format(fmt, as_json))


@app.command("show")
def show(ctx: typer.Context, ref: Ref, fmt: FormatOption = None, as_json: JsonOption = False) -> None:
    """Show a supplier: details, whether a password is stored (never the password), and its stats.

    Example: soleflip supplier show "Nike SNKRS"
    """
    from soleflip_cli import render
    from soleflip_cli.services.suppliers import find_supplier, supplier_info, supplier_stats

    store = _store(ctx, required=False)
    with session(ctx) as s:
        info = supplier_info(s, find_supplier(s, ref), store)
        stats = supplier_stats(s, ref)
    record = render.jsonable(info)
    record["stats"] = [{k: v for k, v in render.jsonable(row).items() if k not in {"supplier_id", "supplier"}}
                       for row in stats]  # fmt: skip
    chosen = output_format(fmt, as_json)
    if chosen is render.OutputFormat.table:
        record.pop("stats")
        render.render_object(record, chosen, title=f"Supplier {info.name}")
        _render_stats(stats, chosen)
        return
    render.render_object(record, chosen)


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: Ref,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    kind: Kind = None,
    website: Website = None,
    email: Email = None,
    notes: Notes = None,
    password: PasswordPrompt = False,
    password_stdin: PasswordStdin = False,
    clear_password: Annotated[
        bool, typer.Option("--clear-password", help="Forget the stored password.")
    ] = False,
    wait: ManualWaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a supplier's details or its stored account password ("" clears a text field).

    Example: soleflip supplier edit "Nike SNKRS" --email me@example.com --password
    """
    from soleflip_cli.services.suppliers import SupplierFields, edit_supplier

    secret = _read_password(password, password_stdin)
    if secret is not None and clear_password:
        raise UsageError("set a password or clear it, not both")
    store = _store(ctx, required=secret is not None or clear_password)
    details = SupplierFields(
        name=name, kind=kind.value if kind else None, website=website, account_email=email, notes=notes
    )
    with manual_write(ctx, "supplier edit", wait) as s:
        info = edit_supplier(s, ref, details, store=store, password=secret, clear_password=clear_password)
    _render_info(info, fmt, as_json)


@app.command("stats")
def stats(
    ctx: typer.Context,
    ref: Annotated[
        str | None, typer.Argument(metavar="[NAME|ID]", help="One supplier [default: all].")
    ] = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Per supplier: pairs bought, spend, pairs sold, realised profit, average ROI and days to sell.

    Example: soleflip supplier stats --json
    """
    from soleflip_cli.services.suppliers import supplier_stats

    with session(ctx) as s:
        rows = supplier_stats(s, ref)
    _render_stats(rows, output_format(fmt, as_json))


def _render_stats(rows: Any, chosen: Any) -> None:
    from soleflip_cli import render

    keys = ["supplier_id", "supplier", "currency", "pairs", "spend", "sold", "realised_profit", "avg_roi_pct",
            "avg_days_to_sell", "sold_unpriced"]  # fmt: skip
    text = {"supplier_id", "supplier", "currency"}
    columns = [render.Column(k, k.replace("supplier_id", "id"), numeric=k not in text) for k in keys]
    records = [render.jsonable(r) for r in rows]
    if chosen is render.OutputFormat.table:
        for record in records:
            record["supplier"] = record["supplier"] or "(no supplier)"
    render.render_rows(records, columns, chosen, title="Supplier stats")
