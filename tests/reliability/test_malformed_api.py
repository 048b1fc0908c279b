"""StockX (or a proxy in its place) answering 200 with something soleflip cannot read.

Wrong shapes, missing fields, impossible values, plain text, HTML, truncated or empty JSON: every
command that talks to StockX ends with the documented exit code and one `Error:` line naming the
endpoint, never a traceback and never a secret. A sync keeps the pages it committed and a later
sync completes them with no duplicate; a write whose reply was unreadable is treated as having an
unknown outcome (StockX took it), so the next run settles it instead of sending it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from soleflip_cli.errors import ExitCode
from soleflip_cli.models import Listing, Product, Sale
from tests.conftest import Cli, CliResult, MemoryKeyring
from tests.fake_stockx import FakeStockX, add_orders
from tests.listing.helpers import add_pairs, events, run
from tests.test_cli_price_apply import APPLY, setup

HISTORY = "/v2/selling/orders/history"
ORDERS = 250  # three history pages of 100
HINT = "Tip: StockX, or a proxy in between, answered in a form soleflip does not know"


def _orders(change: Callable[[list[dict[str, Any]]], Any]) -> Callable[[Any], Any]:
    """A mangle that rewrites the `orders` of a page."""
    return lambda page: {**page, "orders": change(page["orders"])}


def _order(index: int, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Any], Any]:
    """A mangle that rewrites one order of a page."""
    return _orders(lambda orders: [change(o) if i == index else o for i, o in enumerate(orders)])


def _proxy_page(fake: FakeStockX) -> str:
    """A proxy's error page that echoes the request, credentials included."""
    return (
        f"<html><body><h1>502 Bad Gateway</h1><pre>x-api-key: {fake.api_key}\n"
        f"client_secret={fake.client_secret}\nrefresh_token={next(iter(fake.refresh_tokens))}"
        "</pre></body></html>"
    )


@dataclass(frozen=True)
class Garbled:
    """A history page StockX garbles, and what the error says about it."""

    name: str
    fault: Callable[[FakeStockX], dict[str, Any]]  # inject() arguments
    says: str


GARBLED = [
    Garbled(
        "the reply from the issue",
        lambda _: {"kind": "reply", "body": '{"orders": "garbage"}'},
        "a reply of another shape (hasNextPage: Field required, and 1 more problem)",
    ),
    Garbled(
        "orders not a list",
        lambda _: {"kind": "mangle", "mangle": _orders(lambda _: "garbage")},
        "a reply of another shape (orders: Input should be a valid list)",
    ),
    Garbled(
        "an order without its number",
        lambda _: {
            "kind": "mangle",
            "mangle": _order(3, lambda o: {k: v for k, v in o.items() if k != "orderNumber"}),
        },
        "a reply of another shape (orders.3.orderNumber: Field required)",
    ),
    Garbled(
        "an amount that is not one",
        lambda _: {"kind": "mangle", "mangle": _order(0, lambda o: o | {"amount": "twelve"})},
        "a reply of another shape (orders.0.amount: Value error, not an amount)",
    ),
    Garbled(
        "an amount beyond any price",
        lambda _: {"kind": "mangle", "mangle": _order(0, lambda o: o | {"amount": "1e400"})},
        "(orders.0.amount: Value error, not an amount below 400,000,000)",
    ),
    Garbled(
        "a currency that is not a code",
        lambda _: {"kind": "mangle", "mangle": _order(1, lambda o: o | {"currencyCode": "EURO"})},
        "(orders.1.currencyCode: String should match pattern",
    ),
    Garbled(
        "a size longer than any size",
        lambda _: {
            "kind": "mangle",
            "mangle": _order(2, lambda o: o | {"variant": {"variantValue": "9" * 41}}),
        },
        "(orders.2.variant.variantValue: String should have at most 40 characters)",
    ),
    Garbled(
        "a status longer than any status",
        lambda _: {"kind": "mangle", "mangle": _order(0, lambda o: o | {"status": "PAYOUT" * 6})},
        "(orders.0.status: String should have at most 30 characters)",
    ),
    Garbled(
        "a style code longer than any code",
        lambda _: {
            "kind": "mangle",
            "mangle": _order(0, lambda o: o | {"product": {"styleId": "DD1391" * 11}}),
        },
        "(orders.0.product.styleId: String should have at most 64 characters)",
    ),
    Garbled(
        "a page without hasNextPage",  # would end the walk early and skip a page for good
        lambda _: {
            "kind": "mangle",
            "mangle": lambda page: {k: v for k, v in page.items() if k != "hasNextPage"},
        },
        "a reply of another shape (hasNextPage: Field required)",
    ),
    Garbled(
        "a list instead of a page",
        lambda _: {"kind": "reply", "body": "[]"},
        "a reply of another shape (the reply: Input should be a valid dictionary or instance of OrdersPage)",
    ),
    Garbled(
        "plain text",
        lambda _: {"kind": "reply", "body": "OK", "content_type": "text/plain"},
        "a reply that is not valid JSON",
    ),
    Garbled(
        "a proxy's HTML page",
        lambda fake: {"kind": "reply", "body": _proxy_page(fake), "content_type": "text/html"},
        "an HTML page",
    ),
    Garbled(
        "truncated JSON",
        lambda _: {"kind": "mangle", "mangle": lambda page: json.dumps(page)[:5000]},
        "a reply that is not valid JSON",
    ),
    Garbled("an empty body", lambda _: {"kind": "mangle", "mangle": lambda _: None}, "an empty reply"),
]


def secrets_of(fake: FakeStockX, backend: MemoryKeyring) -> list[str]:
    """Every secret soleflip holds for `fake`: client secret, API key, refresh and access tokens."""
    stored = [value for (_, name), value in backend.store.items() if name.endswith("_token")]
    return [fake.client_secret, fake.api_key, *stored, *fake.refresh_tokens, *fake.access_tokens]


def refused(result: CliResult, where: str, says: str, secrets: list[str]) -> None:
    """Exit 1, nothing on stdout, one `Error:` naming the endpoint and the problem; no traceback or secret."""
    assert (result.exit_code, result.stdout) == (ExitCode.ERROR, ""), result.stderr
    assert result.exception is None and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Error: StockX answered {where} with "), result.stderr
    assert says in result.stderr and HINT in result.stderr, result.stderr
    assert not [s for s in secrets if s in result.stderr]


def _sales(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(Sale.external_id).where(Sale.platform == "stockx")))


@pytest.mark.parametrize("garbled", GARBLED, ids=lambda g: g.name)
def test_a_garbled_history_page_keeps_the_committed_pages(
    garbled: Garbled, stockx: FakeStockX, cli: Cli, synced_db: Engine, isolated: MemoryKeyring
) -> None:
    add_orders(stockx, ORDERS)
    stockx.inject(path=HISTORY, after=1, **garbled.fault(stockx))

    faulty = cli("sync", "stockx", "--orders", "--json")
    refused(faulty, "GET /selling/orders/history", garbled.says, secrets_of(stockx, isolated))
    assert not stockx.faults
    assert len(_sales(synced_db)) == 100  # the first page was committed before the garbled one

    later = cli("sync", "stockx", "--orders", "--json")
    assert later.exit_code == 0, later.stderr
    sales = _sales(synced_db)
    assert sorted(sales) == sorted(stockx.orders) and len(sales) == ORDERS  # no gap, no duplicate


def test_an_overlong_product_name_is_clipped_not_refused(
    stockx: FakeStockX, cli: Cli, synced_db: Engine
) -> None:
    add_orders(stockx, 3)
    name = "Nike Dunk Low " + "Panda " * 80
    stockx.inject(
        "mangle",
        path=HISTORY,
        mangle=_order(1, lambda o: o | {"product": o["product"] | {"productName": name}}),
    )
    assert cli("sync", "stockx", "--orders").exit_code == 0
    with Session(synced_db) as session:
        names = set(session.scalars(select(Sale.item_name)))
    assert name[:300] in names and len(names) > 1


@pytest.mark.parametrize(
    ("mangle", "says"),
    [
        (lambda reply: reply | {"expires_in": "soon"}, "a reply without a usable token"),
        (
            lambda reply: {k: v for k, v in reply.items() if k != "access_token"},
            "a reply without a usable token",
        ),
        (lambda reply: json.dumps(reply)[:40], "a reply without a usable token"),
    ],
    ids=["expires_in not a number", "no access token", "truncated"],
)
def test_a_garbled_token_reply_fails_the_sync_cleanly(
    mangle: Callable[[Any], Any],
    says: str,
    stockx: FakeStockX,
    cli: Cli,
    synced_db: Engine,
    isolated: MemoryKeyring,
) -> None:
    refresh_token = isolated.get_password("soleflip", "stockx.refresh_token")
    stockx.inject("mangle", path="/oauth/token", mangle=mangle)
    faulty = cli("sync", "stockx", "--orders")
    refused(faulty, "POST /oauth/token", says, secrets_of(stockx, isolated))
    assert isolated.get_password("soleflip", "stockx.refresh_token") == refresh_token
    assert isolated.get_password("soleflip", "stockx.access_token") is None
    assert cli("sync", "stockx", "--orders").exit_code == 0


def test_catalog_search_and_resolve(
    stockx: FakeStockX, cli: Cli, synced_db: Engine, isolated: MemoryKeyring
) -> None:
    secrets = secrets_of(stockx, isolated)
    stockx.inject(
        "mangle", path="/v2/catalog/search", mangle=lambda page: page | {"products": [{"title": "x"}]}
    )
    search = cli("catalog", "search", "dunk low")
    refused(search, "GET /catalog/search", "(products.0.productId: Field required)", secrets)

    product_id = next(p.product_id for p in stockx.products.values() if p.style_id == "DD1391-100")
    variants = f"/v2/catalog/products/{product_id}/variants"
    stockx.inject("mangle", path=variants, mangle=lambda listed: {"variants": listed})
    resolve = cli("catalog", "resolve", "DD1391-100", "10")
    says = "a reply of another shape (the reply: Input should be a valid list)"
    refused(resolve, f"GET /catalog/products/{product_id}/variants", says, secrets)
    with Session(synced_db) as session:
        assert session.scalar(select(func.count(Product.id))) == 0  # nothing half-resolved was kept

    done = cli("catalog", "resolve", "DD1391-100", "10", "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["stockx_product_id"] == product_id


def test_doctor_warns_and_names_the_endpoint(
    stockx: FakeStockX, cli: Cli, synced_db: Engine, isolated: MemoryKeyring
) -> None:
    stockx.inject(
        "reply", path="/v2/selling/orders/active", body=_proxy_page(stockx), content_type="text/html"
    )
    result = cli("doctor", "--json")
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    [login] = [c for c in json.loads(result.stdout)["checks"] if c["name"] == "stockx_login"]
    assert login == {
        "name": "stockx_login",
        "status": "warn",
        "detail": "StockX answered GET /selling/orders/active with an HTML page",
        "fix": "try again later",
    }
    assert not [s for s in secrets_of(stockx, isolated) if s in result.stdout]


def test_listing_create_with_a_garbled_reply_is_found_not_resent(
    stockx: FakeStockX, cli: Cli, synced_db: Engine
) -> None:
    [pair] = add_pairs(synced_db, "10")
    # The first /selling/listings request re-reads the open listings; StockX applies the create, then
    # its reply is cut short on the way back.
    stockx.inject("mangle", path="/v2/selling/listings", after=1, mangle=lambda op: json.dumps(op)[:30])
    result, rows = run(cli, "listing", "create", str(pair), "--price", "250", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    [row] = rows
    assert row["status"] == "created" and row["message"].startswith("found on StockX")
    assert [x.listing_id for x in stockx.listings.values()] == [row["listing"]]
    assert stockx.count("/v2/selling/listings", "POST") == 1


def test_listing_deactivate_with_a_garbled_reply_is_settled_next_run(
    stockx: FakeStockX, cli: Cli, synced_db: Engine, isolated: MemoryKeyring
) -> None:
    [pair] = add_pairs(synced_db, "9")
    created, rows = run(cli, "listing", "create", str(pair), "--price", "260", "--yes")
    assert created.exit_code == 0, created.stderr
    remote = rows[0]["listing"]
    stockx.inject("reply", path=f"/v2/selling/listings/{remote}/deactivate", body="<html>ok</html>")

    off, rows = run(cli, "listing", "deactivate", "1")
    assert off.exit_code == ExitCode.FINDINGS and "Traceback" not in off.stderr
    [row] = rows
    assert row["status"] == "pending"
    assert row["message"] == (
        f"StockX answered PUT /selling/listings/{remote}/deactivate with a reply that is not valid JSON; "
        "the next run checks the listing"
    )
    assert stockx.listings[remote].status == "ACTIVE"  # the proxy answered; StockX never saw it

    again, rows = run(cli, "listing", "deactivate", "1")
    assert again.exit_code == 0, again.stderr
    assert stockx.listings[remote].status == "INACTIVE"
    assert [(e[0], e[5]) for e in events(synced_db)][1:] == [
        ("deactivate", "failed"),
        ("deactivate", "succeeded"),
    ]


def test_listing_reconcile_with_a_garbled_listings_page(
    stockx: FakeStockX, cli: Cli, synced_db: Engine, isolated: MemoryKeyring
) -> None:
    stockx.inject("mangle", path="/v2/selling/listings", mangle=lambda page: page | {"listings": {}})
    result = cli("listing", "reconcile", "--yes")
    refused(
        result,
        "GET /selling/listings",
        "(listings: Input should be a valid list)",
        secrets_of(stockx, isolated),
    )
    with Session(synced_db) as session:
        assert session.scalar(select(func.count(Listing.id))) == 0


def test_price_apply_with_a_garbled_reply_is_pending_then_settled(
    cli: Cli, fake_stockx: FakeStockX, tmp_path: Path
) -> None:
    env = setup(cli, fake_stockx, tmp_path, ("10", "250", "240"))
    fake_stockx.inject("mangle", path="/v2/selling/listings/", mangle=lambda op: op | {"operationId": ""})
    result = cli(*APPLY, "--yes", "--json", env=env)
    assert result.exit_code == ExitCode.FINDINGS, result.stderr
    assert "Traceback" not in result.stderr
    [row] = json.loads(result.stdout)
    assert row["status"] == "pending"
    assert row["message"].startswith("StockX answered PATCH /selling/listings/")
    assert "(operationId: String should have at least 1 character)" in row["message"]

    resumed = cli(*APPLY, "--yes", "--json", env=env)
    assert resumed.exit_code == 0, resumed.stderr
    history = json.loads(cli("price", "history", "--json").stdout)
    assert [r["status"] for r in history] == ["succeeded"]
    [listing] = fake_stockx.listings.values()
    assert listing.amount == 240  # StockX took the change, and it was sent once
    assert fake_stockx.count("/v2/selling/listings/", "PATCH") == 1
