"""`soleflip sync stockx` against a misbehaving StockX: bounded retries, the documented exit code, no loss.

Each fault hits the second page of the order history (250 orders, 100 a page), over a real socket to
the fake StockX server. A fault the client can ride out ends in exit 0 with every order; one that
outlasts the retry bound ends in exit 1 (4 for a revoked login) after exactly the bounded number of
attempts, with the first page kept. Either way a later sync fills in every order exactly once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from soleflip_cli.errors import ExitCode
from soleflip_cli.models import Sale
from tests.conftest import Cli, MemoryKeyring
from tests.fake_stockx import FakeStockX, add_orders

PATH = "/selling/orders/history"
HISTORY = "/v2" + PATH
ORDERS = 250
PAGES = 3


@dataclass(frozen=True)
class Fault:
    """A fault on the history's second page and what soleflip must make of it."""

    name: str
    kind: str  # an inject() kind, "expire" (access tokens die) or "revoke" (and the login too)
    count: int = 1  # how many consecutive requests it hits
    exit_code: int = 0
    message: str = ""  # in stderr when the run fails
    attempts: int = 1  # requests the faulted page gets (every other page gets one)
    env: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


BOUND = {"SOLEFLIP_STOCKX__MAX_RETRIES": "1"}  # two attempts, so the storms stay short
TIMEOUT = {"SOLEFLIP_STOCKX__TIMEOUT_S": "1"}
FAULTS = [
    Fault("connection reset", "reset", attempts=2),
    Fault(
        "connection resets beyond the bound",
        "reset",
        count=2,
        exit_code=ExitCode.ERROR,
        message=f"StockX did not answer GET {PATH} after 2 attempts",
        attempts=2,
        env=BOUND,
    ),
    Fault("read timeout", "delay", attempts=2, env=TIMEOUT, options={"seconds": 3}),
    Fault(
        "read timeouts beyond the bound",
        "delay",
        count=2,
        exit_code=ExitCode.ERROR,
        message=f"StockX did not answer GET {PATH} after 2 attempts (timed out)",
        attempts=2,
        env=BOUND | TIMEOUT,
        options={"seconds": 3},
    ),
    Fault("HTTP 500", "status", attempts=2),
    Fault(
        "HTTP 503 beyond the bound",
        "status",
        count=2,
        exit_code=ExitCode.ERROR,
        message=f"StockX failed on GET {PATH} with HTTP 503 after 2 attempts",
        attempts=2,
        env=BOUND,
        options={"status": 503},
    ),
    Fault(
        "429 storm beyond the bound",
        "429",
        count=6,
        exit_code=ExitCode.ERROR,
        message="still answered 429 Too Many Requests after 6 attempts",
        attempts=6,  # the default bound: five retries
        options={"retry_after": 0},
    ),
    Fault("access token expiry", "expire", attempts=2),
    Fault(
        "revoked refresh token",
        "revoke",
        exit_code=ExitCode.AUTH,
        message="soleflip auth login stockx",
        attempts=1,
    ),
]


def _sales(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(Sale.external_id).where(Sale.platform == "stockx")))


def _arrived(stockx: FakeStockX, timeout_s: float = 10.0) -> bool:
    """Whether every queued fault was taken, waiting for attempts still on their way to the fake."""
    # On a loaded machine the handler thread may take an attempt the client gave up on after the CLI returned.
    deadline = time.monotonic() + timeout_s
    while stockx.faults and time.monotonic() < deadline:
        time.sleep(0.05)
    return not stockx.faults


def _inject(stockx: FakeStockX, fault: Fault) -> None:
    if fault.kind in ("expire", "revoke"):
        stockx.expire_tokens_after = 3  # active orders and the first history page pass; then 401
        if fault.kind == "revoke":
            stockx.revoke_refresh_tokens()
    else:
        stockx.inject(fault.kind, fault.count, path=HISTORY, after=1, **fault.options)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_a_network_fault_loses_nothing(
    fault: Fault, stockx: FakeStockX, cli: Cli, synced_db: Engine, isolated: MemoryKeyring
) -> None:
    _survive(fault, stockx, cli, synced_db, isolated)


# The network side does not depend on the database: PostgreSQL gets the faults that end a run early.
ON_POSTGRESQL = [f for f in FAULTS if f.exit_code]


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize("fault", ON_POSTGRESQL, ids=lambda f: f.name)
def test_a_failed_run_loses_nothing_on_postgresql(
    fault: Fault, stockx: FakeStockX, cli: Cli, synced_db: Engine, isolated: MemoryKeyring
) -> None:
    _survive(fault, stockx, cli, synced_db, isolated)


def _survive(fault: Fault, stockx: FakeStockX, cli: Cli, synced_db: Engine, isolated: MemoryKeyring) -> None:
    if fault.kind == "revoke":  # a run that still holds a live access token when the login dies
        assert cli("sync", "stockx", "--orders").exit_code == 0
    add_orders(stockx, ORDERS)
    stockx.reset_counters()
    _inject(stockx, fault)

    faulty = cli("sync", "stockx", "--orders", "--json", env=fault.env)
    assert faulty.exit_code == fault.exit_code, faulty.stderr
    assert faulty.exception is None and "Traceback" not in faulty.stderr
    other_pages = 1 if fault.exit_code else PAGES - 1  # a failed run stops at the faulted page
    if fault.kind == "delay":  # the fake logs a delayed request once it answers, so count arrivals
        assert _arrived(stockx)  # every delayed attempt arrived (one more would have succeeded)
    else:
        assert stockx.count(HISTORY) == other_pages + fault.attempts  # retries stop at the bound
    sales = _sales(synced_db)
    if fault.exit_code:
        assert faulty.stdout == "" and fault.message in faulty.stderr, faulty.stderr
        assert len(sales) == 100  # the first page was committed before the fault
    else:
        assert json.loads(faulty.stdout)["orders"]["inserted"] == ORDERS
        assert len(sales) == ORDERS

    stockx.faults.clear()
    if fault.kind == "revoke":  # the user logs in again
        isolated.set_password("soleflip", "stockx.refresh_token", stockx.issue_refresh_token())
    later = cli("sync", "stockx", "--orders", "--json")
    assert later.exit_code == 0, later.stderr
    sales = _sales(synced_db)
    assert sorted(sales) == sorted(stockx.orders) and len(sales) == ORDERS  # no gap, no duplicate
