"""The StockX Public API v2 client: one method per endpoint, typed results, shared pacing and auth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal

import httpx

from soleflip_cli.clients.stockx import models as m
from soleflip_cli.clients.stockx.http import M, Sender, body, is_bot_block, path, query, read_reply
from soleflip_cli.clients.stockx.limits import ItemBudget
from soleflip_cli.clients.stockx.tokens import Credentials, TokenManager

BatchKind = Literal["create", "update", "delete"]
# After a bot-protection 403, no request leaves this client for this long.
BOT_BACKOFF_S = 120.0
Ids = list[str] | tuple[str, ...] | None


@dataclass(frozen=True)
class ClientStats:
    """API requests sent (retries included) and 429 answers received."""

    requests: int
    rate_limited: int


@dataclass(frozen=True)
class NewListing:
    """One item of a batch create: `quantity` identical asks for a variant at `amount`."""

    variant_id: str
    amount: Decimal
    quantity: int = 1
    currency_code: str | None = None
    expires_at: datetime | None = None
    active: bool | None = None
    inventory_type: str | None = None


@dataclass(frozen=True)
class ListingChange:
    """One item of a batch update; fields left None are not changed."""

    listing_id: str
    amount: Decimal | None = None
    currency_code: str | None = None
    expires_at: datetime | None = None
    active: bool | None = None


class StockXClient:
    """Synchronous client; every call carries `x-api-key` and a Bearer token and goes through one limiter.

    A 401 invalidates the access token, refreshes it once (single flight) and retries once. Batch
    submissions also wait for `item_budget` when one is given. Money is Decimal; amounts are in
    major units of `currency_code`; timestamps are UTC-aware.
    """

    def __init__(
        self,
        *,
        http: httpx.Client,
        sender: Sender,
        tokens: TokenManager,
        credentials: Credentials,
        item_budget: ItemBudget | None = None,
    ) -> None:
        self.http = http
        self.sender = sender
        self.tokens = tokens
        self.credentials = credentials
        self.item_budget = item_budget

    @property
    def stats(self) -> ClientStats:
        """Counters since this client was built."""
        return ClientStats(requests=self.sender.requests, rate_limited=self.sender.rate_limited)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> StockXClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def request(
        self,
        model: type[M],
        method: str,
        url_path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> M:
        """Call the API and read the reply as `model`; SoleflipError subclasses on failure.

        A reply that does not fit `model` (wrong shape, not JSON, an HTML page) is a ReplyError
        naming the endpoint; the query string and headers are never quoted.
        """
        api_key = self.credentials.require_api_key()
        refreshed = False
        while True:
            token = self.tokens.current()
            headers = {"x-api-key": api_key, "Authorization": f"Bearer {token}", "Accept": "application/json"}
            response = self.sender.send(method, url_path, headers=headers, params=params, json_body=json_body)
            if response.status_code == 401 and not refreshed:
                self.tokens.refresh(stale=token)
                refreshed = True
                continue
            if is_bot_block(response):
                # Not an auth failure: never refresh on it; make any further call here wait instead.
                self.sender.limiter.hold(BOT_BACKOFF_S)
            return read_reply(response, model, f"{method} {url_path}")

    # --- catalog ---------------------------------------------------------------------------------

    def search_catalog(self, search: str, *, page_number: int = 1, page_size: int = 50) -> m.SearchPage:
        """Free-text, GTIN or style-code search (fuzzy: compare `style_id` yourself)."""
        params = query(query=search, pageNumber=page_number, pageSize=page_size)
        return self.request(m.SearchPage, "GET", "/catalog/search", params=params)

    def get_product(self, product_id: str) -> m.CatalogProduct:
        """One product with its size chart."""
        return self.request(m.CatalogProduct, "GET", path("/catalog/products/{}", product_id))

    def get_variants(self, product_id: str) -> list[m.CatalogVariant]:
        """Every variant (size) of a product."""
        return self.request(m.Variants, "GET", path("/catalog/products/{}/variants", product_id)).root

    def get_variant(self, product_id: str, variant_id: str) -> m.CatalogVariant:
        """One variant of a product."""
        url_path = path("/catalog/products/{}/variants/{}", product_id, variant_id)
        return self.request(m.CatalogVariant, "GET", url_path)

    def get_variant_by_gtin(self, gtin: str) -> m.CatalogVariant:
        """The variant that owns a barcode."""
        return self.request(m.CatalogVariant, "GET", path("/catalog/products/variants/gtins/{}", gtin))

    def get_product_market_data(
        self, product_id: str, *, currency_code: str | None = None
    ) -> list[m.MarketData]:
        """Market data for every variant in one call (ignores your own asks)."""
        url_path = path("/catalog/products/{}/market-data", product_id)
        params = query(currencyCode=currency_code)
        return self.request(m.MarketDataList, "GET", url_path, params=params).root

    def get_variant_market_data(
        self, product_id: str, variant_id: str, *, currency_code: str | None = None
    ) -> m.MarketData:
        """Market data for one variant, aware of your own asks."""
        url_path = path("/catalog/products/{}/variants/{}/market-data", product_id, variant_id)
        return self.request(m.MarketData, "GET", url_path, params=query(currencyCode=currency_code))

    # --- orders ----------------------------------------------------------------------------------

    def get_active_orders(
        self,
        *,
        page_number: int = 1,
        page_size: int = 100,
        order_status: str | None = None,
        product_id: str | None = None,
        variant_id: str | None = None,
        sort_order: str | None = None,
        inventory_types: Ids = None,
    ) -> m.OrdersPage:
        """One page of orders not yet paid out (newest first unless `sort_order` says otherwise)."""
        params = query(
            pageNumber=page_number,
            pageSize=page_size,
            orderStatus=order_status,
            productId=product_id,
            variantId=variant_id,
            sortOrder=sort_order,
            inventoryTypes=inventory_types,
        )
        return self.request(m.OrdersPage, "GET", "/selling/orders/active", params=params)

    def get_order_history(
        self,
        *,
        from_date: date | None = None,
        to_date: date | None = None,
        page_number: int = 1,
        page_size: int = 100,
        order_status: str | None = None,
        product_id: str | None = None,
        variant_id: str | None = None,
        inventory_types: Ids = None,
    ) -> m.OrdersPage:
        """One page of finished orders; `from_date`/`to_date` filter on the order's creation date (UTC)."""
        params = query(
            fromDate=from_date,
            toDate=to_date,
            pageNumber=page_number,
            pageSize=page_size,
            orderStatus=order_status,
            productId=product_id,
            variantId=variant_id,
            inventoryTypes=inventory_types,
        )
        return self.request(m.OrdersPage, "GET", "/selling/orders/history", params=params)

    def get_order(self, order_number: str) -> m.OrderDetail:
        """One order with shipment and payout (fee lines in `payout.adjustments`)."""
        return self.request(m.OrderDetail, "GET", path("/selling/orders/{}", order_number))

    # --- listings --------------------------------------------------------------------------------

    def get_listings(
        self,
        *,
        page_number: int = 1,
        page_size: int = 100,
        product_ids: Ids = None,
        variant_ids: Ids = None,
        batch_ids: Ids = None,
        from_date: date | None = None,
        to_date: date | None = None,
        listing_statuses: Ids = None,
        inventory_types: Ids = None,
        is_expired: bool | None = None,
    ) -> m.ListingsPage:
        """One page of your listings (no payout or last operation: see `get_listing`)."""
        params = query(
            pageNumber=page_number,
            pageSize=page_size,
            productIds=product_ids,
            variantIds=variant_ids,
            batchIds=batch_ids,
            fromDate=from_date,
            toDate=to_date,
            listingStatuses=listing_statuses,
            inventoryTypes=inventory_types,
            isExpired=is_expired,
        )
        return self.request(m.ListingsPage, "GET", "/selling/listings", params=params)

    def get_listing(self, listing_id: str) -> m.ListingDetail:
        """One listing with its estimated payout and last operation."""
        return self.request(m.ListingDetail, "GET", path("/selling/listings/{}", listing_id))

    def create_listing(
        self,
        variant_id: str,
        amount: Decimal,
        *,
        currency_code: str | None = None,
        expires_at: datetime | None = None,
        active: bool | None = None,
        inventory_type: str | None = None,
    ) -> m.Operation:
        """Ask `amount` for a variant; returns the pending operation (never retried blindly)."""
        data = body(
            amount=amount,
            variantId=variant_id,
            currencyCode=currency_code,
            expiresAt=expires_at,
            active=active,
            inventoryType=inventory_type,
        )
        return self._operation("POST", "/selling/listings", data)

    def update_listing(
        self,
        listing_id: str,
        *,
        amount: Decimal | None = None,
        currency_code: str | None = None,
        expires_at: datetime | None = None,
    ) -> m.Operation:
        """Change a listing's price, currency or expiry."""
        data = body(amount=amount, currencyCode=currency_code, expiresAt=expires_at)
        return self._operation("PATCH", path("/selling/listings/{}", listing_id), data)

    def delete_listing(self, listing_id: str) -> m.Operation:
        """Delete a listing (its ask goes away)."""
        return self._operation("DELETE", path("/selling/listings/{}", listing_id), None)

    def activate_listing(
        self,
        listing_id: str,
        *,
        amount: Decimal | None = None,
        currency_code: str | None = None,
        expires_at: datetime | None = None,
    ) -> m.Operation:
        """Put an inactive listing's ask live (send the amount: StockX needs a body)."""
        data = body(amount=amount, currencyCode=currency_code, expiresAt=expires_at)
        return self._operation("PUT", path("/selling/listings/{}/activate", listing_id), data)

    def deactivate_listing(self, listing_id: str) -> m.Operation:
        """Take a listing's ask down without deleting the listing."""
        return self._operation("PUT", path("/selling/listings/{}/deactivate", listing_id), None)

    def get_operation(self, listing_id: str, operation_id: str) -> m.Operation:
        """One listing operation (poll until SUCCEEDED or FAILED)."""
        url_path = path("/selling/listings/{}/operations/{}", listing_id, operation_id)
        return self.request(m.Operation, "GET", url_path)

    def get_operations(
        self, listing_id: str, *, page_size: int = 100, cursor: str | None = None
    ) -> m.OperationsPage:
        """One cursor page of a listing's operations."""
        params = query(pageSize=page_size, cursor=cursor or None)
        url_path = path("/selling/listings/{}/operations", listing_id)
        return self.request(m.OperationsPage, "GET", url_path, params=params)

    def _operation(self, method: str, url_path: str, data: dict[str, Any] | None) -> m.Operation:
        return self.request(m.Operation, method, url_path, json_body=data)

    # --- batches ---------------------------------------------------------------------------------

    def create_listings_batch(self, items: list[NewListing]) -> m.BatchStatus:
        """Submit a batch create (every listing counts against the item budget, 500 per 5 minutes)."""
        payload_items = [
            body(
                variantId=i.variant_id,
                amount=i.amount,
                quantity=i.quantity,
                currencyCode=i.currency_code,
                expiresAt=i.expires_at,
                active=i.active,
                inventoryType=i.inventory_type,
            )
            for i in items
        ]
        return self._batch("create", {"items": payload_items}, sum(i.quantity for i in items))

    def update_listings_batch(self, items: list[ListingChange]) -> m.BatchStatus:
        """Submit a batch update (at most 100 listings per call)."""
        payload_items = [
            body(
                listingId=i.listing_id,
                amount=i.amount,
                currencyCode=i.currency_code,
                expiresAt=i.expires_at,
                active=i.active,
            )
            for i in items
        ]
        return self._batch("update", {"items": payload_items}, len(payload_items))

    def delete_listings_batch(self, listing_ids: list[str]) -> m.BatchStatus:
        """Submit a batch delete (at most 100 listings per call)."""
        return self._batch("delete", {"items": [{"listingId": i} for i in listing_ids]}, len(listing_ids))

    def get_batch(self, kind: BatchKind, batch_id: str) -> m.BatchStatus:
        """A batch's status and item counts."""
        return self.request(m.BatchStatus, "GET", path("/selling/batch/{}-listing/{}", kind, batch_id))

    def get_batch_items(
        self, kind: BatchKind, batch_id: str, *, status: str | None = None
    ) -> list[m.BatchItem]:
        """A batch's items with their results or errors, optionally only those in `status`."""
        url_path = path("/selling/batch/{}-listing/{}/items", kind, batch_id)
        return self.request(m.BatchItems, "GET", url_path, params=query(status=status)).items

    def _batch(self, kind: BatchKind, data: dict[str, Any], items: int) -> m.BatchStatus:
        if self.item_budget is not None:
            self.credentials.require_api_key()  # a missing login must not use up budget
            self.item_budget.take(items)
        return self.request(m.BatchStatus, "POST", path("/selling/batch/{}-listing", kind), json_body=data)
