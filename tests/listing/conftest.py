"""Fixtures for the `soleflip listing` tests: a logged-in fake StockX and the migrated CLI database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from soleflip_cli import db
from tests.conftest import Cli, MemoryKeyring
from tests.fake_stockx import FakeStockX
from tests.listing.helpers import RATE


@pytest.fixture
def stockx(fake_stockx: FakeStockX, monkeypatch: pytest.MonkeyPatch, isolated: MemoryKeyring) -> FakeStockX:
    """The fake StockX with soleflip pointed at it (fast pacing) and a refresh token in the keyring."""
    for name, value in fake_stockx.env(requests_per_second=RATE).items():
        monkeypatch.setenv(name, value)
    isolated.set_password("soleflip", "stockx.refresh_token", fake_stockx.issue_refresh_token())
    fake_stockx.rate_limit = RATE
    return fake_stockx


@pytest.fixture
def engine_of(cli: Cli) -> Iterator[Engine]:
    """The CLI test database, migrated, as an engine for setting up and checking rows."""
    assert cli.url is not None
    engine = db.make_engine(cli.url)
    db.ensure_schema(engine, lambda _message: None)
    yield engine
    engine.dispose()
