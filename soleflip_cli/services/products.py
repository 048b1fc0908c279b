"""Find or create catalog products and their size variants."""

from __future__ import annotations

from hashlib import blake2b

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.catalog import Size, normalise_sku, parse_size
from soleflip_cli.models import Product, Variant

KEY_LENGTH: int = Product.__table__.c.product_key.type.length  # type: ignore[attr-defined]


def product_key(sku: str | None, name: str | None) -> str:
    """The natural key of a product: its normalised SKU, else `name:<lower-cased name>`.

    A key longer than its column (a very long name) ends in a hash of the whole key instead.
    """
    normalised = normalise_sku(sku)
    if normalised:
        return normalised
    if not name or not name.strip():
        raise ValueError("a product needs a SKU or a name")
    key = "name:" + " ".join(name.lower().replace("-", " ").split())
    if len(key) <= KEY_LENGTH:
        return key
    return key[: KEY_LENGTH - 33] + "#" + blake2b(key.encode(), digest_size=16).hexdigest()


def get_or_create_product(
    session: Session,
    *,
    sku: str | None,
    name: str | None = None,
    brand: str | None = None,
    model: str | None = None,
) -> Product:
    """The product with this SKU (or name when there is no SKU); missing details are filled in."""
    key = product_key(sku, name)
    product = session.scalar(select(Product).where(Product.product_key == key))
    if product is None:
        product = Product(product_key=key, sku=normalise_sku(sku), name=name, brand=brand, model=model)
        session.add(product)
        session.flush()
        return product
    for attr, value in (("name", name), ("brand", brand), ("model", model)):
        if value and not getattr(product, attr):
            setattr(product, attr, value)
    return product


def get_or_create_variant(session: Session, product: Product, size: str | Size) -> Variant:
    """The product's variant for this size (matched on the normalised size)."""
    parsed = size if isinstance(size, Size) else parse_size(size)
    variant = session.scalar(
        select(Variant).where(Variant.product_id == product.id, Variant.size_norm == parsed.norm)
    )
    if variant is None:
        variant = Variant(
            product_id=product.id,
            size=parsed.raw or parsed.norm,
            size_norm=parsed.norm,
            size_system=parsed.system,
        )
        session.add(variant)
        session.flush()
    return variant
