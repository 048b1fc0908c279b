"""Bulk find-or-create of products and size variants for big imports (a few queries per chunk)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from soleflip_cli.catalog import Size, SizeError, identify, normalise_sku, parse_size
from soleflip_cli.models import Product, Variant, utcnow
from soleflip_cli.services.products import product_key

IN_CHUNK = 500  # keys per IN (...) list: well under SQLite's bound-parameter limit
ENRICHED = ("name", "brand", "model", "retail_price", "retail_currency", "release_date")


@dataclass(frozen=True)
class ProductSpec:
    """What an import row says about its product; the key is its SKU, else its name."""

    sku: str | None
    name: str | None
    retail_price: Decimal | None = None
    retail_currency: str | None = None
    release_date: date | None = None

    @cached_property
    def key(self) -> str:
        """The natural key (see services.products.product_key)."""
        return product_key(self.sku, self.name)

    def values(self) -> dict[str, object]:
        """Column values, brand and model read from the name through catalog.identify."""
        found = identify(self.name, self.sku)
        return {
            "name": self.name,
            "brand": found.brand,
            "model": found.model,
            "retail_price": self.retail_price,
            "retail_currency": self.retail_currency if self.retail_price is not None else None,
            "release_date": self.release_date,
        }


def _chunks(items: Sequence[object], size: int = IN_CHUNK) -> Iterable[Sequence[object]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ProductCache:
    """Product and variant ids by natural key for one import: created in bulk, details filled in."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.products: dict[str, int] = {}
        self.variants: dict[tuple[int, str], int] = {}
        self._sizes: dict[str, Size | None] = {}
        self._loaded_variants: set[int] = set()

    def size(self, raw: str | None) -> Size | None:
        """The parsed size, None when it matches no known size format (kept as printed elsewhere)."""
        text = raw or ""
        if text not in self._sizes:
            try:
                self._sizes[text] = parse_size(text)
            except SizeError:
                self._sizes[text] = None
        return self._sizes[text]

    def ensure_products(self, specs: Iterable[ProductSpec]) -> None:
        """Find or create every product, filling empty details (name, brand, model, retail, release)."""
        wanted: dict[str, ProductSpec] = {}
        for spec in specs:
            key = spec.key
            if key not in self.products and key not in wanted:
                wanted[key] = spec
        if not wanted:
            return
        keys = list(wanted)
        self._enrich_existing(keys, wanted)
        missing = [k for k in keys if k not in self.products]
        if missing:  # RETURNING gives the new ids: no query to read them back
            created = self.session.execute(
                insert(Product).returning(Product.product_key, Product.id),
                [
                    {"product_key": k, "sku": normalise_sku(wanted[k].sku), **wanted[k].values()}
                    | {"created_at": utcnow(), "updated_at": utcnow()}
                    for k in missing
                ],
            )
            self.products.update(dict(created.all()))

    def _enrich_existing(self, keys: Sequence[str], wanted: dict[str, ProductSpec]) -> None:
        columns = [getattr(Product, c) for c in ENRICHED]
        updates: list[dict[str, object]] = []
        for part in _chunks(keys):
            query = select(Product.id, Product.product_key, *columns).where(Product.product_key.in_(part))
            for row in self.session.execute(query):
                self.products[row.product_key] = row.id
                fresh = wanted[row.product_key].values()
                fill = {c: fresh[c] for c in ENRICHED if getattr(row, c) is None and fresh[c] is not None}
                if fill:
                    updates.append({"id": row.id, **fill, "updated_at": utcnow()})
        for fields in updates:
            self.session.execute(update(Product).where(Product.id == fields.pop("id")).values(**fields))

    def ensure_variants(self, pairs: Iterable[tuple[int, Size]]) -> None:
        """Find or create the variant of each (product id, size)."""
        wanted: dict[tuple[int, str], Size] = {}
        for product_id, size in pairs:
            if (product_id, size.norm) not in self.variants:
                wanted.setdefault((product_id, size.norm), size)
        if not wanted:
            return
        self._load_variants({p for p, _ in wanted})
        missing = [k for k in wanted if k not in self.variants]
        if missing:  # RETURNING gives the new ids: no query to read them back
            created = self.session.execute(
                insert(Variant).returning(Variant.product_id, Variant.size_norm, Variant.id),
                [
                    {
                        "product_id": product_id,
                        "size": wanted[(product_id, norm)].raw or norm,
                        "size_norm": norm,
                        "size_system": wanted[(product_id, norm)].system,
                        "created_at": utcnow(),
                    }
                    for product_id, norm in missing
                ],
            )
            self.variants.update({(p, n): i for p, n, i in created})

    def _load_variants(self, product_ids: set[int]) -> None:
        todo = sorted(product_ids - self._loaded_variants)
        for part in _chunks(todo):
            query = select(Variant.product_id, Variant.size_norm, Variant.id).where(
                Variant.product_id.in_(part)
            )
            self.variants.update({(p, n): i for p, n, i in self.session.execute(query)})
        self._loaded_variants.update(todo)

    def resolve(self, spec: ProductSpec, size: str | None) -> tuple[int, int | None]:
        """(product id, variant id or None) of a row whose product and variant were ensured."""
        product_id = self.products[spec.key]
        parsed = self.size(size)
        return product_id, (self.variants.get((product_id, parsed.norm)) if parsed else None)

    def prepare(self, rows: Sequence[tuple[ProductSpec, str | None]]) -> None:
        """Ensure the products and variants of a chunk of (product, size) rows in a few queries."""
        self.ensure_products(spec for spec, _ in rows)
        pairs = []
        for spec, raw in rows:
            parsed = self.size(raw)
            if parsed is not None:
                pairs.append((self.products[spec.key], parsed))
        self.ensure_variants(pairs)
