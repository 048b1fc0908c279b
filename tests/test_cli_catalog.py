"""`soleflip catalog search|resolve` against the fake StockX, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Cli, MemoryKeyring
from tests.fake_stockx import FakeStockX, find_variant


@pytest.fixture
def logged_in(fake_stockx: FakeStockX, isolated: MemoryKeyring) -> dict[str, str]:
    """Environment pointing at the fake, with a stored refresh token."""
    isolated.store[("soleflip", "stockx.refresh_token")] = fake_stockx.issue_refresh_token()
    return fake_stockx.env(requests_per_second=50)


def test_search_json(cli_nodb: Cli, fake_stockx: FakeStockX, logged_in: dict[str, str]) -> None:
    result = cli_nodb("catalog", "search", "panda", "--json", env=logged_in)
    assert result.exit_code == 0, result.stderr
    [product] = [p for p in fake_stockx.products.values() if p.style_id == "DD1391-100"]
    assert json.loads(result.stdout) == [
        {
            "product_id": product.product_id,
            "style_id": "DD1391-100",
            "title": "Nike Dunk Low Retro White Black Panda (2021)",
            "brand": "Nike",
            "product_type": product.product_type,
            "url_key": product.url_key,
            "release_date": "2021-01-14",
            "retail_price": "110.00",
            "retail_currency": "USD",
        }
    ]
    assert fake_stockx.count("/v2/catalog/search") == 1


def test_search_table_and_csv(cli_nodb: Cli, logged_in: dict[str, str]) -> None:
    table = cli_nodb("catalog", "search", "jordan", env=logged_in)
    assert table.exit_code == 0 and "DZ5485-612" in table.stdout and "180.00" in table.stdout
    csv_out = cli_nodb("catalog", "search", "jordan", "--format", "csv", env=logged_in)
    assert (
        csv_out.stdout.splitlines()[0]
        == "style_id,title,brand,retail_price,retail_currency,release_date,product_id"
    )


def test_search_not_logged_in(cli_nodb: Cli, fake_stockx: FakeStockX) -> None:
    result = cli_nodb("catalog", "search", "panda", env=fake_stockx.env())
    assert result.exit_code == 4
    assert "not logged in to StockX" in result.stderr and "soleflip auth login stockx" in result.stderr


def test_search_bot_protection_is_exit_1(
    cli_nodb: Cli, fake_stockx: FakeStockX, logged_in: dict[str, str]
) -> None:
    fake_stockx.inject("bot")
    result = cli_nodb("catalog", "search", "panda", env=logged_in)
    assert result.exit_code == 1 and "bot protection" in result.stderr


def test_resolve_twice(cli: Cli, fake_stockx: FakeStockX, logged_in: dict[str, str]) -> None:
    expected = find_variant(fake_stockx, "DD1391-100", "9.5")
    first = cli("catalog", "resolve", "DD1391-100", "US 9.5", "--json", env=logged_in)
    assert first.exit_code == 0, first.stderr
    data = json.loads(first.stdout)
    assert data == {
        "product_id": data["product_id"],
        "variant_id": data["variant_id"],
        "sku": "DD1391-100",
        "size": "US 9.5",
        "stockx_product_id": expected.product_id,
        "stockx_variant_id": expected.variant_id,
        "gtin": expected.gtin,
        "cached": False,
    }
    before = fake_stockx.count("/v2/")
    second = cli("catalog", "resolve", "dd1391-100", "9.5", "--json", env=logged_in)
    assert json.loads(second.stdout) == data | {"cached": True}
    assert fake_stockx.count("/v2/") == before


def test_resolve_unknown_size(cli: Cli, logged_in: dict[str, str]) -> None:
    result = cli("catalog", "resolve", "HQ4540", "16", env=logged_in)
    assert result.exit_code == 1 and "StockX has no size '16' for HQ4540" in result.stderr
