"""Fixtures for the `soleflip sync stockx` tests: a logged-in fake StockX and the migrated database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from soleflip_cli import db
from tests.conftest import Cli, MemoryKeyring
from tests.fake_stockx import FakeStockX
from tests.sync.helpers import RATE


@pytest.fixture
def stockx(fake_stockx: FakeStockX, monkeypatch: pytest.MonkeyPatch, isolated: MemoryKeyring) -> FakeStockX:
    """The fake StockX with soleflip pointed at it and a refresh token in the (memory) keyring."""
    for name, value in fake_stockx.env(requests_per_second=RATE).items():
        monkeypatch.setenv(name, value)
    isolated.set_password("soleflip", "stockx.refresh_token", fake_stockx.issue_refresh_token())
    fake_stockx.rate_limit = RATE
    return fake_stockx


@pytest.fixture
def synced_db(cli: Cli) -> Iterator[Engine]:
    """The CLI test database, migrated, as an engine for setting up and checking rows."""
    assert cli("db", "upgrade").exit_code == 0
    assert cli.url is not None
    engine = db.make_engine(cli.url)
    yield engine
    engine.dispose()
