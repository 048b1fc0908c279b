"""SKU + size -> StockX product/variant through the real client on the fake StockX, cached locally."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.clients.stockx import StockXClient, build_client
from soleflip_cli.clients.stockx.tokens import REFRESH_TOKEN
from soleflip_cli.config import StockXSettings
from soleflip_cli.errors import NotFoundError, UsageError
from soleflip_cli.models import Product, Variant
from soleflip_cli.secrets import open_store
from soleflip_cli.services.catalog import resolve_variant, search_catalog
from tests.fake_stockx import FakeStockX, find_variant


@pytest.fixture
def client(fake_stockx: FakeStockX, tmp_path: Path) -> Iterator[StockXClient]:
    """The real client, logged in to the fake (credentials from settings, refresh token stored)."""
    store = open_store(tmp_path, None)
    store.set(REFRESH_TOKEN, fake_stockx.issue_refresh_token())
    settings = StockXSettings(
        api_url=fake_stockx.api_url,
        auth_url=fake_stockx.auth_url,
        api_key=fake_stockx.api_key,
        client_id=fake_stockx.client_id,
        client_secret=fake_stockx.client_secret,
        requests_per_second=50,
    )
    with build_client(settings, store, state_dir=None) as api:
        yield api


def test_search(client: StockXClient, fake_stockx: FakeStockX) -> None:
    [hit] = search_catalog(client, "panda", limit=5)
    assert (hit.style_id, hit.brand, hit.retail_price, hit.retail_currency) == (
        "DD1391-100",
        "Nike",
        Decimal("110.00"),
        "USD",
    )
    with pytest.raises(UsageError):
        search_catalog(client, "panda", limit=51)


def test_resolve_then_cached(session: Session, client: StockXClient, fake_stockx: FakeStockX) -> None:
    expected = find_variant(fake_stockx, "DD1391-100", "10")
    first = resolve_variant(session, client, "dd1391 100", "10")
    assert (first.stockx_product_id, first.stockx_variant_id) == (expected.product_id, expected.variant_id)
    assert first.gtin == expected.gtin and first.cached is False and first.sku == "DD1391-100"
    product = session.get(Product, first.product_id)
    assert product is not None and product.stockx_product_id == expected.product_id
    assert product.name == "Nike Dunk Low Retro White Black Panda (2021)" and product.brand == "Nike"
    assert product.retail_price == Decimal("110.00") and product.retail_currency == "USD"
    assert str(product.release_date) == "2021-01-14"
    calls = fake_stockx.count("/v2/")
    assert calls == 2  # one search, one variants list
    for spelling in ("10", "US 10", "10 M", "US M 10.0"):
        again = resolve_variant(session, client, "DD1391-100", spelling)
        assert again.cached is True and again.stockx_variant_id == expected.variant_id
    assert fake_stockx.count("/v2/") == calls
    other = resolve_variant(session, client, "DD1391-100", "11.5")  # product cached: only the variants
    assert other.stockx_variant_id == find_variant(fake_stockx, "DD1391-100", "11.5").variant_id
    assert fake_stockx.count("/v2/") == calls + 1


@pytest.mark.parametrize(
    ("size", "us"), [("EU 44", "10"), ("UK 9", "10"), ("eu 40.5", "7.5"), ("8.5", "8.5")]
)
def test_size_chart_conversions(
    session: Session, client: StockXClient, fake_stockx: FakeStockX, size: str, us: str
) -> None:
    result = resolve_variant(session, client, "HQ4540", size)
    assert result.stockx_variant_id == find_variant(fake_stockx, "HQ4540", us).variant_id
    variant = session.get(Variant, result.variant_id)
    assert variant is not None and variant.stockx_variant_id == result.stockx_variant_id


def test_two_spellings_of_one_stockx_size(
    session: Session, client: StockXClient, fake_stockx: FakeStockX
) -> None:
    us = resolve_variant(session, client, "BB550WT1", "10")
    eu = resolve_variant(session, client, "BB550WT1", "EU 44")
    assert us.variant_id != eu.variant_id and us.stockx_variant_id == eu.stockx_variant_id
    holders = session.scalars(select(Variant).where(Variant.stockx_variant_id == us.stockx_variant_id)).all()
    assert [v.id for v in holders] == [us.variant_id]


def test_style_code_is_verified(session: Session, client: StockXClient) -> None:
    with pytest.raises(NotFoundError, match="no product with style code DD1391-999"):
        resolve_variant(session, client, "DD1391-999", "10")


def test_size_missing_on_stockx(session: Session, client: StockXClient) -> None:
    with pytest.raises(NotFoundError, match=r"no size '15' for DZ5485-612 \(sizes: 7, 7.5"):
        resolve_variant(session, client, "DZ5485-612", "15")


def test_bad_input(session: Session, client: StockXClient) -> None:
    with pytest.raises(UsageError):
        resolve_variant(session, client, "DD1391-100", "huge")
    with pytest.raises(UsageError):
        resolve_variant(session, client, "  ", "10")
