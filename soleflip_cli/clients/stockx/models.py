"""Typed StockX API v2 responses: money as Decimal (string or number), timestamps UTC-aware."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, RootModel, field_validator
from pydantic.alias_generators import to_camel

from soleflip_cli.clients.stockx.fields import (
    Brand,
    Currency,
    Id,
    Money,
    Name,
    OptionalCurrency,
    OptionalId,
    OptionalShortCode,
    OrderStatus,
    Percentage,
    ShortCode,
    SizeText,
    StyleId,
    Timestamp,
)


class ApiModel(BaseModel):
    """camelCase JSON, snake_case attributes; unknown keys ignored; immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")


class Page(ApiModel):
    """Page-number pagination envelope (`count` is the total across pages).

    `hasNextPage` and the items are required: a walk must never end early on a reply without them.
    """

    count: int = 0
    page_size: int = 0
    page_number: int = 1
    has_next_page: bool


# --- catalog -------------------------------------------------------------------------------------


class ProductAttributes(ApiModel):
    """Descriptive product attributes; any may be null."""

    gender: str | None = None
    season: str | None = None
    release_date: str | None = None
    retail_price: Money = None
    colorway: str | None = None
    color: str | None = None


class SearchProduct(ApiModel):
    """A catalog search hit; `style_id` is the style code (SKU) when StockX knows it."""

    product_id: Id
    url_key: Name = None
    style_id: str | None = None
    product_type: str | None = None
    title: Name = None
    brand: Brand = None
    product_attributes: ProductAttributes = Field(default_factory=ProductAttributes)


class SearchPage(Page):
    """One page of `GET /catalog/search`."""

    products: list[SearchProduct]


class SizeConversion(ApiModel):
    """A size system a product or variant is sized in: `type` like `us m`, `us w`, `eu`, `uk`."""

    name: str | None = None
    size: str | None = None
    type: str | None = None


class SizeChart(ApiModel):
    """The size conversions of a product or variant."""

    available_conversions: list[SizeConversion] = Field(default_factory=list)
    default_conversion: SizeConversion | None = None


class CatalogProduct(SearchProduct):
    """`GET /catalog/products/{productId}`."""

    size_chart: SizeChart | None = None
    is_flex_eligible: bool | None = None
    is_direct_eligible: bool | None = None


class Gtin(ApiModel):
    """A barcode of a variant (UPC, EAN, ...)."""

    identifier: str
    type: str | None = None


class CatalogVariant(ApiModel):
    """A product variant (one size); `variant_value` is the bare size such as `10`."""

    product_id: Id
    variant_id: Id
    variant_name: str | None = None
    variant_value: SizeText = None
    size_chart: SizeChart = Field(default_factory=SizeChart)
    gtins: list[Gtin] = Field(default_factory=list)
    is_flex_eligible: bool | None = None
    is_direct_eligible: bool | None = None


class ChannelMarketData(ApiModel):
    """Per-channel (standard/flex/direct) market figures; `beat_us` beats the US lowest ask."""

    beat_us: Money = Field(default=None, validation_alias=AliasChoices("beatUS", "beatUs", "beat_us"))
    earn_more: Money = None
    sell_faster: Money = None
    highest_bid_amount: Money = None
    lowest_ask: Money = None


class MarketData(ApiModel):
    """Market data of one variant, in `currency_code`; every amount may be null."""

    product_id: Id
    variant_id: Id
    currency_code: Currency
    lowest_ask_amount: Money = None
    highest_bid_amount: Money = None
    sell_faster_amount: Money = None
    earn_more_amount: Money = None
    flex_lowest_ask_amount: Money = None
    standard_market_data: ChannelMarketData | None = None
    flex_market_data: ChannelMarketData | None = None
    direct_market_data: ChannelMarketData | None = None


# --- orders --------------------------------------------------------------------------------------


class Adjustment(ApiModel):
    """One payout line: charges negative, credits positive; `adjustment_type` is free text."""

    adjustment_type: str
    amount: Money = None
    percentage: Percentage = None


class Payout(ApiModel):
    """What the seller is paid for an order (or would be, at a listing's ask)."""

    total_payout: Money = None
    sale_price: Money = None
    total_adjustments: Money = None
    currency_code: OptionalCurrency = None
    adjustments: list[Adjustment] = Field(default_factory=list)


class ProductRef(ApiModel):
    """The product an order or listing is for."""

    product_id: OptionalId = None
    product_name: Name = None
    style_id: StyleId = None


class VariantRef(ApiModel):
    """The variant (size) an order or listing is for."""

    variant_id: OptionalId = None
    variant_name: str | None = None
    variant_value: SizeText = None


class AuthenticationDetails(ApiModel):
    """Authentication result of an order or listing."""

    status: str | None = None
    failure_notes: str | None = None


class Order(ApiModel):
    """An order as listed by `/selling/orders/active` and `/history`; payout may be missing."""

    order_number: Id
    listing_id: OptionalId = None
    ask_id: str | None = None
    amount: Money = None
    currency_code: OptionalCurrency = None
    status: OrderStatus = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    product: ProductRef = Field(default_factory=ProductRef)
    variant: VariantRef = Field(default_factory=VariantRef)
    authentication_details: AuthenticationDetails | None = None
    payout: Payout | None = None
    inventory_type: OptionalShortCode = None
    condition: str | None = None
    condition_description: str | None = None


class Shipment(ApiModel):
    """Shipping details of an order (label URLs are pre-signed and expire)."""

    ship_by_date: Timestamp | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    carrier_code: str | None = None
    shipping_label_url: str | None = None
    shipping_document_url: str | None = None


class OrderDetail(Order):
    """`GET /selling/orders/{orderNumber}`: the order with shipment and payout."""

    shipment: Shipment | None = None


class OrdersPage(Page):
    """One page of active or historical orders."""

    orders: list[Order]


# --- listings and operations ---------------------------------------------------------------------


class Changes(ApiModel):
    """What an operation added, updated and removed (`[]` is accepted as `{}`)."""

    additions: dict[str, Any] = Field(default_factory=dict)
    updates: dict[str, Any] = Field(default_factory=dict)
    removals: dict[str, Any] = Field(default_factory=dict)

    @field_validator("additions", "updates", "removals", mode="before")
    @classmethod
    def _empty_list(cls, value: Any) -> Any:
        return {} if value in ([], None) else value


class Operation(ApiModel):
    """An asynchronous listing operation: status PENDING, SUCCEEDED or FAILED (see `error`)."""

    listing_id: Id
    operation_id: Id
    operation_type: str | None = None
    operation_status: str
    operation_url: str | None = None
    operation_initiated_by: str | None = None
    operation_initiated_via: str | None = None
    created_at: Timestamp | None = Field(
        default=None, validation_alias=AliasChoices("createdAt", "operationCreatedAt")
    )
    updated_at: Timestamp | None = Field(
        default=None, validation_alias=AliasChoices("updatedAt", "operationUpdatedAt")
    )
    changes: Changes = Field(default_factory=Changes)
    error: str | None = None


class OperationsPage(ApiModel):
    """Cursor page of a listing's operations; `next_cursor` None (or empty) ends it."""

    next_cursor: str | None
    operations: list[Operation]


class Ask(ApiModel):
    """The live ask behind a listing."""

    ask_id: str | None = None
    ask_created_at: Timestamp | None = None
    ask_updated_at: Timestamp | None = None
    ask_expires_at: Timestamp | None = None


class ListingOrder(ApiModel):
    """The order a matched listing became."""

    order_number: OptionalId = None
    order_created_at: Timestamp | None = None
    order_status: str | None = None


class ListingBatch(ApiModel):
    """The batch a listing was created by."""

    batch_id: OptionalId = None
    task_id: str | None = None


class Listing(ApiModel):
    """A listing as returned by `GET /selling/listings` (no payout, no last operation)."""

    listing_id: Id
    status: ShortCode
    amount: Money = None
    currency_code: OptionalCurrency = None
    inventory_type: OptionalShortCode = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    batch: ListingBatch | None = None
    ask: Ask | None = None
    order: ListingOrder | None = None
    product: ProductRef | None = None
    variant: VariantRef | None = None
    authentication_details: AuthenticationDetails | None = None
    condition: str | None = None
    condition_description: str | None = None


class ListingDetail(Listing):
    """`GET /selling/listings/{listingId}`: the listing with payout and last operation."""

    payout: Payout | None = None
    last_operation: Operation | None = None

    @field_validator("last_operation", mode="before")
    @classmethod
    def _with_listing_id(cls, value: Any, info: Any) -> Any:
        if isinstance(value, dict) and "listingId" not in value:
            return {**value, "listingId": info.data.get("listing_id", "")}
        return value


class ListingsPage(Page):
    """One page of `GET /selling/listings`."""

    listings: list[Listing]


# --- batches -------------------------------------------------------------------------------------


class BatchStatus(ApiModel):
    """A batch job: status QUEUED, IN_PROGRESS or COMPLETED, item counts by status."""

    batch_id: Id
    status: str
    completed_at: Timestamp | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    total_items: int = 0
    item_statuses: dict[str, int] = Field(default_factory=dict)

    @field_validator("item_statuses", mode="before")
    @classmethod
    def _counts(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("not an object of counts")
        try:
            return {k: int(Decimal(str(v))) for k, v in value.items()}
        except (ArithmeticError, ValueError):
            raise ValueError("not a count") from None


class BatchItem(ApiModel):
    """One item of a batch: QUEUED, COMPLETED (see `result`) or FAILED (see `error`)."""

    item_id: str | None = None
    status: str | None = None
    listing_input: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None


class BatchItems(ApiModel):
    """`GET /selling/batch/{kind}-listing/{batchId}/items`."""

    items: list[BatchItem]


class Variants(RootModel[list[CatalogVariant]]):
    """`GET /catalog/products/{productId}/variants`: every variant of a product."""


class MarketDataList(RootModel[list[MarketData]]):
    """`GET /catalog/products/{productId}/market-data`: one entry per variant."""
