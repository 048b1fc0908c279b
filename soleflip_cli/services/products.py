"""Find or create catalog products and their size variants."""

from __future__ import annotations

from hashlib import blake2b

from sqlalchemy import Insert, select
from sqlalchemy.orm import Session

from soleflip_cli.catalog import Size, normalise_sku, parse_size
from soleflip_cli.models import Base, Product, Variant

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
    query = select(Product).where(Product.product_key == key)
    product = session.scalar(query)
    if product is None:
        values = {"product_key": key, "sku": normalise_sku(sku), "name": name, "brand": brand, "model": model}
        session.execute(insert_or_nothing(session, Product, ["product_key"]).values(**values))
        product = session.scalars(query).one()
    for attr, value in (("name", name), ("brand", brand), ("model", model)):
        if value and not getattr(product, attr):
            setattr(product, attr, value)
    return product


def get_or_create_variant(session: Session, product: Product, size: str | Size) -> Variant:
    """The product's variant for this size (matched on the normalised size)."""
    parsed = size if isinstance(size, Size) else parse_size(size)
    query = select(Variant).where(Variant.product_id == product.id, Variant.size_norm == parsed.norm)
    variant = session.scalar(query)
    if variant is None:
        values = {
            "product_id": product.id,
            "size": parsed.raw or parsed.norm,
            "size_norm": parsed.norm,
            "size_system": parsed.system,
        }
        session.execute(insert_or_nothing(session, Variant, ["product_id", "size_norm"]).values(**values))
        variant = session.scalars(query).one()
    return variant


def insert_or_nothing(session: Session, model: type[Base], keys: list[str]) -> Insert:
    """`INSERT … ON CONFLICT (keys) DO NOTHING` on SQLite and PostgreSQL.

    Another writer may create the same row between a look-up and the insert (PostgreSQL makes the
    insert wait for that writer's commit on the unique key, SQLite for its write lock): the insert
    then does nothing, and reading the row again finds theirs, where a plain insert would fail.
    """
    # Each dialect's module is loaded only when used (PostgreSQL's costs SQLite users ~35 ms).
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model).on_conflict_do_nothing(index_elements=keys)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(model).on_conflict_do_nothing(index_elements=keys)
