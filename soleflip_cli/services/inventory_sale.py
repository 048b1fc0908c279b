"""Record an offline or in-person sale of one pair: the sale, its fee lines and payout, the pair sold."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soleflip_cli.errors import UsageError
from soleflip_cli.fees import FEE_KINDS, PLATFORMS, compute_fees
from soleflip_cli.models import Listing, Sale, SaleFee
from soleflip_cli.money import quantize
from soleflip_cli.services.inputs import valid_amount, valid_currency, valid_past_date
from soleflip_cli.services.inventory import OPEN_LISTING_STATUSES, get_item
from soleflip_cli.services.inventory_story import ItemStory, SaleInfo, item_story
from soleflip_cli.tables import SELLABLE

_PLATFORM = re.compile(r"[a-z0-9][a-z0-9_.-]{0,29}")


@dataclass(frozen=True)
class SaleRequest:
    """What `inventory sell` was told: price and fees in `currency` (default: the purchase currency)."""

    price: Decimal
    platform: str
    currency: str | None = None
    sold_on: date | None = None
    fees: Decimal | None = None


@dataclass(frozen=True)
class SellResult:
    """The sale, the pair's story after it, whether fees came from the fee schedule, open listings left."""

    story: ItemStory
    sale: SaleInfo
    fees_estimated: bool
    open_listings: tuple[int, ...]


def sell_pair(
    session: Session,
    item_id: int,
    request: SaleRequest,
    *,
    fee_overrides: Mapping[str, Mapping[str, Any]] | None,
    today: date,
    now: datetime,
) -> SellResult:
    """Create a Sale (external id `manual-<pair id>`) with fee lines; payout = price - fees.

    Without `request.fees`, a platform with a fee schedule (stockx, alias, ebay) gets its fee lines
    from the fee engine with `fee_overrides` (settings.fees); any other platform gets no fees.
    A sale dated today is stamped `now`; an earlier date is stamped 12:00 UTC of that day.
    """
    item = get_item(session, item_id)
    platform = request.platform.strip().lower()
    if not _PLATFORM.fullmatch(platform):
        raise UsageError(f"--platform {request.platform!r}: use a short name such as stockx, ebay or local")
    if item.status not in SELLABLE:
        raise UsageError(
            f"pair {item.id} is {item.status}; only pairs that are {', '.join(SELLABLE)} can be sold",
            hint=f"`soleflip inventory show {item.id}` tells its story",
        )
    taken = session.scalar(select(Sale.id).where(Sale.inventory_item_id == item.id))
    if taken is not None:
        raise UsageError(f"pair {item.id} is already tied to sale {taken}")
    currency = valid_currency(request.currency or item.purchase_currency)
    price = valid_amount(request.price, currency, what="price")
    sold_on = valid_past_date(request.sold_on or today, today, what="sale date")
    if sold_on < item.purchase_date:
        raise UsageError(f"sale date {sold_on} is before the purchase date {item.purchase_date}")
    lines, estimated = _fee_lines(platform, price, currency, request.fees, fee_overrides)
    fees_total = sum((amount for _, _, amount in lines), Decimal("0.00"))
    sale = Sale(
        platform=platform,
        external_id=_external_id(session, platform, item.id),
        product_id=item.product_id,
        variant_id=item.variant_id,
        item_name=item.product.name,
        sku=item.product.sku,
        size=item.variant.size_norm,
        sold_at=now if sold_on == today else datetime.combine(sold_on, time(12), tzinfo=UTC),
        sale_price=price,
        fees_total=fees_total,
        payout=price - fees_total,
        currency=currency,
        status="completed",
        inventory_item_id=item.id,
        source="manual",
        fees=[
            SaleFee(name=name, kind=FEE_KINDS.get(name, "other"), rate=rate, amount=amount, currency=currency)
            for name, rate, amount in lines
        ],
    )
    session.add(sale)
    item.status = "sold"
    session.flush()
    open_listings = session.scalars(
        select(Listing.id).where(
            Listing.inventory_item_id == item.id, func.lower(Listing.status).in_(OPEN_LISTING_STATUSES)
        )
    ).all()
    story = item_story(session, item.id, today=today)
    assert story.sale is not None  # just linked above
    return SellResult(
        story=story,
        sale=story.sale,
        fees_estimated=estimated,
        open_listings=tuple(open_listings),
    )


def _fee_lines(
    platform: str,
    price: Decimal,
    currency: str,
    fees: Decimal | None,
    overrides: Mapping[str, Mapping[str, Any]] | None,
) -> tuple[list[tuple[str, Decimal | None, Decimal]], bool]:
    if fees is not None:
        if not fees.is_finite() or fees < 0:
            raise UsageError(f"--fees must be zero or more (got {fees})")
        amount = quantize(fees, currency)
        if amount > price:
            raise UsageError(f"--fees {amount} is more than the price {price}")
        return ([("fees", None, amount)] if amount else []), False
    if platform not in PLATFORMS:
        return [], False
    breakdown = compute_fees(platform, price, currency, overrides)
    return [(line.name, line.rate, line.amount) for line in breakdown.fees], True


def _external_id(session: Session, platform: str, item_id: int) -> str:
    # Deterministic: manual-<pair id>; a suffix only when an earlier manual sale of the pair was unlinked.
    base = f"manual-{item_id}"
    taken = set(
        session.scalars(
            select(Sale.external_id).where(Sale.platform == platform, Sale.external_id.like(f"{base}%"))
        )
    )
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)
