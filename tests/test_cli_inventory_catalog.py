"""`inventory add` takes a missing name and brand from the StockX catalog when logged in (fake StockX)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Cli, MemoryKeyring
from tests.fake_stockx import FakeStockX

ADD = ("inventory", "add", "--sku", "dd1391 100", "--size", "9.5", "--cost", "110", "--json")


@pytest.fixture
def logged_in(fake_stockx: FakeStockX, isolated: MemoryKeyring) -> dict[str, str]:
    """Environment pointing at the fake, with a stored refresh token."""
    isolated.store[("soleflip", "stockx.refresh_token")] = fake_stockx.issue_refresh_token()
    return fake_stockx.env(requests_per_second=50)


def test_name_and_brand_from_stockx(cli: Cli, fake_stockx: FakeStockX, logged_in: dict[str, str]) -> None:
    first = cli(*ADD, env=logged_in)
    assert first.exit_code == 0, first.stderr
    [pair] = json.loads(first.stdout)
    assert (pair["name"], pair["brand"]) == ("Nike Dunk Low Retro White Black Panda (2021)", "Nike")
    assert (
        "Name and brand from the StockX catalog" in first.stderr and "not in the catalog" not in first.stderr
    )
    calls = fake_stockx.count("/v2/")
    assert json.loads(cli(*ADD, env=logged_in).stdout)[0]["name"] == pair["name"]
    assert fake_stockx.count("/v2/") == calls  # known locally now: no second lookup


def test_no_lookup_when_logged_out_or_declined(
    cli: Cli, fake_stockx: FakeStockX, logged_in: dict[str, str], isolated: MemoryKeyring
) -> None:
    declined = cli(*ADD, "--no-lookup", env=logged_in)
    assert json.loads(declined.stdout)[0]["name"] is None and "not in the catalog" in declined.stderr
    isolated.store.clear()
    logged_out = cli(*ADD, env=fake_stockx.env())
    assert logged_out.exit_code == 0 and json.loads(logged_out.stdout)[0]["brand"] is None
    assert fake_stockx.count("/v2/") == 0


def test_a_failed_lookup_still_records_the_pair(
    cli: Cli, fake_stockx: FakeStockX, logged_in: dict[str, str]
) -> None:
    fake_stockx.inject("bot")
    result = cli(*ADD, env=logged_in)
    assert result.exit_code == 0, result.stderr
    assert "StockX catalog lookup failed" in result.stderr and "not in the catalog" in result.stderr
    assert json.loads(result.stdout)[0]["id"] == 1
