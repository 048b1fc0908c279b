"""Local products and sizes for the StockX product/variant references met during a sync."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.catalog import SizeError, normalise_sku, parse_size
from soleflip_cli.models import Product, Variant
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant


@dataclass(frozen=True)
class LocalRef:
    """Where a StockX item lives locally (ids may be None when StockX gave too little to tell)."""

    product_id: int | None
    variant_id: int | None
    sku: str | None
    size: str | None
    name: str | None


class CatalogRefs:
    """Resolves StockX ids to local products/variants once per run, recording the StockX ids locally."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[str | None, str | None, str | None], LocalRef] = {}

    def resolve(
        self,
        *,
        product_id: str | None,
        style_id: str | None,
        name: str | None,
        variant_id: str | None,
        size: str | None,
    ) -> LocalRef:
        """The local product and variant for a StockX product (by id, else SKU or name) and size."""
        key = (product_id, variant_id, size)
        if key not in self._cache:
            self._cache[key] = self._resolve(product_id, style_id, name, variant_id, size)
        return self._cache[key]

    def _resolve(
        self,
        product_id: str | None,
        style_id: str | None,
        name: str | None,
        variant_id: str | None,
        size: str | None,
    ) -> LocalRef:
        product = self.product(product_id, style_id, name)
        sku = normalise_sku(style_id)
        if product is None:
            return LocalRef(None, None, sku, size, name)
        variant = self.variant(product, variant_id, size)
        return LocalRef(product.id, variant.id if variant else None, product.sku or sku, size, name)

    def product(self, product_id: str | None, style_id: str | None, name: str | None) -> Product | None:
        """The product StockX calls `product_id`, found or created by SKU (else name)."""
        session = self.session
        if product_id:
            found = session.scalar(select(Product).where(Product.stockx_product_id == product_id))
            if found is not None:
                return found
        if not normalise_sku(style_id) and not (name and name.strip()):
            return None
        product = get_or_create_product(session, sku=style_id, name=name)
        if product_id and product.stockx_product_id is None:
            product.stockx_product_id = product_id
            session.flush()
        return product

    def variant(self, product: Product, variant_id: str | None, size: str | None) -> Variant | None:
        """The product's variant StockX calls `variant_id`, found or created by its size."""
        session = self.session
        if variant_id:
            found = session.scalar(select(Variant).where(Variant.stockx_variant_id == variant_id))
            if found is not None:
                return found
        try:
            parsed = parse_size(size)
        except SizeError:
            return None
        variant = get_or_create_variant(session, product, parsed)
        if variant_id and variant.stockx_variant_id is None:
            variant.stockx_variant_id = variant_id
            session.flush()
        return variant
