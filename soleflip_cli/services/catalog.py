"""StockX catalog: search, and SKU + size -> StockX product/variant ids, cached on products/variants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.catalog import Size, SizeError, normalise_sku, parse_size
from soleflip_cli.errors import NotFoundError, UsageError
from soleflip_cli.models import Product, Variant
from soleflip_cli.money import quantize
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient
    from soleflip_cli.clients.stockx.models import CatalogVariant, SearchProduct

# StockX retail prices are US retail prices.
RETAIL_CURRENCY = "USD"
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:\s*[12]/3)?")
# How a StockX size-chart type spells a size the way parse_size() reads it.
_CHART_FORMS = {
    "us m": "{}",
    "us": "{}",
    "us w": "{}W",
    "us y": "{}Y",
    "gs": "{}Y",
    "us c": "{}C",
    "eu": "EU {}",
}
_CHART_FORMS |= {"uk": "UK {}", "ps": "{}C", "td": "{}C"}


@dataclass(frozen=True)
class CatalogHit:
    """A StockX catalog search result; `retail_price` in `retail_currency`."""

    product_id: str
    style_id: str | None
    title: str | None
    brand: str | None
    product_type: str | None
    url_key: str | None
    release_date: str | None
    retail_price: Decimal | None
    retail_currency: str


@dataclass(frozen=True)
class ResolvedVariant:
    """A local product/variant and its StockX ids; `cached` when no StockX request was needed."""

    product_id: int
    variant_id: int
    sku: str
    size: str
    stockx_product_id: str
    stockx_variant_id: str
    gtin: str | None
    cached: bool


def search_catalog(client: StockXClient, query: str, *, limit: int = 20) -> list[CatalogHit]:
    """Search StockX by free text, style code or GTIN; at most `limit` (1-50) hits, StockX's order."""
    if not 1 <= limit <= 50:
        raise UsageError("--limit must be between 1 and 50 (StockX's page size)")
    if not 1 <= len(query.strip()) <= 100:
        raise UsageError("the search text must be 1 to 100 characters")
    page = client.search_catalog(query.strip(), page_size=limit)
    return [_hit(product) for product in page.products[:limit]]


def _hit(product: SearchProduct) -> CatalogHit:
    retail = product.product_attributes.retail_price
    return CatalogHit(
        product_id=product.product_id,
        style_id=product.style_id,
        title=product.title,
        brand=product.brand,
        product_type=product.product_type,
        url_key=product.url_key,
        release_date=product.product_attributes.release_date,
        retail_price=quantize(retail, RETAIL_CURRENCY) if retail is not None else None,
        retail_currency=RETAIL_CURRENCY,
    )


def resolve_variant(session: Session, client: StockXClient, sku: str, size: str) -> ResolvedVariant:
    """The StockX product and variant for a SKU in a size, cached on the local catalog.

    Searches StockX by style code, keeps the hit whose `styleId` is the SKU, then picks the variant
    whose size chart (`us m`, `us w`, `eu`, `uk`, ...) contains the size. The ids (and GTIN) are
    stored on products/variants, so resolving the same SKU and size again makes no request.
    """
    code = normalise_sku(sku)
    if not code:
        raise UsageError("a SKU (style code) is needed to find the product on StockX")
    try:
        wanted = parse_size(size)
    except SizeError as exc:
        raise UsageError(str(exc)) from None
    product = get_or_create_product(session, sku=code)
    variant = get_or_create_variant(session, product, wanted)
    if product.stockx_product_id and variant.stockx_variant_id:
        return _resolved(product, variant, cached=True)
    stockx_product_id = product.stockx_product_id or _link_product(
        session, product, _find_product(client, code)
    )
    remote = client.get_variants(stockx_product_id)
    chosen = _choose_variant(remote, wanted, size)
    if chosen is None:
        sizes = ", ".join(v.variant_value or "?" for v in remote) or "none"
        raise NotFoundError(f"StockX has no size {size!r} for {code} (sizes: {sizes})")
    _link_variant(session, variant, chosen)
    return ResolvedVariant(
        product_id=product.id,
        variant_id=variant.id,
        sku=code,
        size=variant.size,
        stockx_product_id=stockx_product_id,
        stockx_variant_id=chosen.variant_id,
        gtin=_gtin(chosen),
        cached=False,
    )


def _find_product(client: StockXClient, code: str) -> SearchProduct:
    page = client.search_catalog(code, page_size=50)
    for hit in page.products:
        if _compact(code) in {_compact(part) for part in re.split(r"[/,]", hit.style_id or "")}:
            return hit
    raise NotFoundError(
        f"StockX has no product with style code {code} ({len(page.products)} search hits checked)",
        hint="check the SKU, or try `soleflip catalog search` with the product name",
    )


def _compact(code: str | None) -> str:
    """A style code without separators: `HQ-4540`, `hq 4540` and `HQ4540` compare equal."""
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


def _link_product(session: Session, product: Product, hit: SearchProduct) -> str:
    owner = session.scalar(select(Product).where(Product.stockx_product_id == hit.product_id))
    if owner is not None and owner.id != product.id:
        return hit.product_id  # another spelling of this SKU holds the link; use it, cache nothing
    product.stockx_product_id = hit.product_id
    product.stockx_url_key = hit.url_key
    attributes = hit.product_attributes
    product.name = product.name or hit.title
    product.brand = product.brand or hit.brand
    if product.retail_price is None and attributes.retail_price is not None:
        product.retail_price = quantize(attributes.retail_price, RETAIL_CURRENCY)
        product.retail_currency = RETAIL_CURRENCY
    if product.release_date is None and attributes.release_date:
        try:
            product.release_date = date.fromisoformat(attributes.release_date[:10])
        except ValueError:
            pass
    session.flush()
    return hit.product_id


def _choose_variant(remote: list[CatalogVariant], wanted: Size, raw: str) -> CatalogVariant | None:
    """The variant whose size chart has `wanted`; a bare number may also mean the default chart."""
    exact = [v for v in remote if wanted.norm in _norms(v)]
    if not exact and wanted.system == "us-m" and re.fullmatch(r"\s*\d+(\.\d+)?\s*", raw):
        exact = [v for v in remote if _default_number(v) == wanted.norm]
    unique = {v.variant_id: v for v in exact}
    return next(iter(unique.values())) if len(unique) == 1 else None


def _norms(variant: CatalogVariant) -> set[str]:
    """Every normalised size the variant answers to: its size chart, else its `variant_value`."""
    texts = []
    for conversion in variant.size_chart.available_conversions:
        form = _CHART_FORMS.get((conversion.type or "").strip().lower())
        number = _NUMBER.search(conversion.size or "")
        if form and number:
            texts.append(form.format(number.group(0)))
    norms = set()
    for text in texts or [variant.variant_value or ""]:
        try:
            norms.add(parse_size(text).norm)
        except SizeError:
            continue
    return norms


def _default_number(variant: CatalogVariant) -> str | None:
    default = variant.size_chart.default_conversion
    number = _NUMBER.search((default.size if default else None) or variant.variant_value or "")
    return f"{float(number.group(0)):g}" if number and "/" not in number.group(0) else None


def _link_variant(session: Session, variant: Variant, chosen: CatalogVariant) -> None:
    owner = session.scalar(select(Variant).where(Variant.stockx_variant_id == chosen.variant_id))
    if owner is not None and owner.id != variant.id:
        return  # the same StockX size under another local spelling (e.g. `EU 44` and `10`) holds it
    variant.stockx_variant_id = chosen.variant_id
    variant.gtin = variant.gtin or _gtin(chosen)
    session.flush()


def _gtin(chosen: CatalogVariant) -> str | None:
    """The variant's barcode, a UPC when there is one."""
    gtins = sorted(chosen.gtins, key=lambda g: (g.type or "") != "UPC")
    return gtins[0].identifier[:20] if gtins else None


def _resolved(product: Product, variant: Variant, *, cached: bool) -> ResolvedVariant:
    assert product.stockx_product_id is not None and variant.stockx_variant_id is not None
    return ResolvedVariant(
        product_id=product.id,
        variant_id=variant.id,
        sku=product.sku or product.product_key,
        size=variant.size,
        stockx_product_id=product.stockx_product_id,
        stockx_variant_id=variant.stockx_variant_id,
        gtin=variant.gtin,
        cached=cached,
    )
