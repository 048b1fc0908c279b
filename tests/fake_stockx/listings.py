"""Listing, operation and batch endpoints of the fake StockX (REFERENCE §4-5), as plain functions."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.fake_stockx.catalog import ApiFault, Query, Reply, date_param, int_param, page
from tests.fake_stockx.fees import payout
from tests.fake_stockx.state import (
    LISTING_CURRENCIES,
    LISTING_STATUSES,
    FakeBatch,
    FakeListing,
    FakeOperation,
    FakeState,
    money,
    now,
    ts,
)

BATCH_KINDS = ("create", "update", "delete")
BATCH_UPDATE_LIMIT = 100


def listing_json(state: FakeState, listing: FakeListing, *, detail: bool) -> dict[str, Any]:
    """A listing as the list (no payout, no lastOperation) or the detail endpoint shows it."""
    body: dict[str, Any] = {
        "listingId": listing.listing_id,
        "status": listing.status,
        "amount": money(listing.amount),
        "currencyCode": listing.currency,
        "inventoryType": listing.inventory_type,
        "createdAt": ts(listing.created_at),
        "updatedAt": ts(listing.updated_at),
        "batch": {"batchId": listing.batch_id, "taskId": listing.task_id} if listing.batch_id else None,
        "ask": None,
        "order": None,
        "product": {
            "productId": listing.product.product_id,
            "productName": listing.product.title,
            "styleId": listing.product.style_id,
        },
        "variant": {
            "variantId": listing.variant.variant_id,
            "variantName": listing.variant.variant_name,
            "variantValue": listing.variant.size,
        },
        "authenticationDetails": None,
        "initiatedShipments": None,
        "condition": None,
        "conditionDescription": None,
    }
    if listing.ask_id and listing.ask_created_at:
        body["ask"] = {
            "askId": listing.ask_id,
            "askCreatedAt": ts(listing.ask_created_at),
            "askUpdatedAt": ts(listing.updated_at),
            "askExpiresAt": ts(listing.expires_at) if listing.expires_at else None,
        }
        if body["ask"]["askExpiresAt"] is None:
            del body["ask"]["askExpiresAt"]
    if listing.order_number and listing.order_created_at:
        body["order"] = {
            "orderNumber": listing.order_number,
            "orderCreatedAt": ts(listing.order_created_at),
            "orderStatus": listing.order_status,
        }
    if detail:
        body["payout"] = payout(listing.amount, listing.currency, [])
        last = listing.operations[-1] if listing.operations else None
        body["lastOperation"] = None if last is None else _last_operation(last)
    return body


def _last_operation(op: FakeOperation) -> dict[str, Any]:
    body = operation_json(op, url=None)
    body.pop("listingId")
    body.pop("operationUrl")
    body["operationCreatedAt"] = body.pop("createdAt")
    body["operationUpdatedAt"] = body.pop("updatedAt")
    return body


def operation_json(op: FakeOperation, *, url: str | None) -> dict[str, Any]:
    """An operation; `url` set means the async write response (which carries operationUrl)."""
    body = {
        "listingId": op.listing_id,
        "operationId": op.operation_id,
        "operationType": op.operation_type,
        "operationStatus": op.status,
        "operationUrl": url,
        "operationInitiatedBy": "USER",
        "operationInitiatedVia": "PUBLIC-API",
        "createdAt": ts(op.created_at),
        "updatedAt": ts(op.updated_at or op.created_at),
        "changes": op.changes,
        "error": op.error,
    }
    return body


def _listing(state: FakeState, listing_id: str, *, writable: bool = False) -> FakeListing:
    listing = state.listings.get(listing_id)
    if listing is None:
        raise ApiFault(404, f"Listing {listing_id} not found")
    if writable and listing.status in {"DELETED", "MATCHED", "COMPLETED", "CANCELED"}:
        raise ApiFault(400, f"Listing {listing_id} is {listing.status.lower()} and cannot be changed")
    return listing


def _fields(body: Any, allowed: set[str], required: frozenset[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiFault(400, "Request body must be a JSON object")
    extra, missing = set(body) - allowed, required - set(body)
    if extra:
        raise ApiFault(400, f"property {sorted(extra)[0]} should not exist")
    if missing:
        raise ApiFault(400, f"{sorted(missing)[0]} is required")
    if "amount" in body:
        try:
            if not isinstance(body["amount"], str) or Decimal(body["amount"]) <= 0:
                raise InvalidOperation
        except InvalidOperation:
            raise ApiFault(400, "amount must be a positive number string") from None
    if "currencyCode" in body and body["currencyCode"] not in LISTING_CURRENCIES:
        raise ApiFault(400, f"currencyCode must be one of {', '.join(LISTING_CURRENCIES)}")
    return body


def _expiry(body: dict[str, Any]) -> datetime:
    raw = body.get("expiresAt")
    if raw is None:
        return now() + timedelta(days=999)
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise ApiFault(400, "expiresAt must be an ISO 8601 timestamp") from None


def start_operation(
    state: FakeState, listing: FakeListing, kind: str, effect: dict[str, Any], changes: dict[str, Any]
) -> FakeOperation:
    """Record a PENDING operation on `listing`; it completes after `op_polls_to_complete` polls."""
    op = FakeOperation(state.new_uuid(), listing.listing_id, kind, now(), effect, changes)
    if state.operation_failures:
        op.fail_with = state.operation_failures.popleft()
    listing.operations.append(op)
    return op


def advance_operation(state: FakeState, op: FakeOperation) -> None:
    """One poll: after enough polls the operation SUCCEEDS (applying its effect) or FAILS."""
    op.polls += 1
    if op.status == "PENDING" and op.polls >= state.op_polls_to_complete:
        finish_operation(state, op)


def finish_operation(state: FakeState, op: FakeOperation) -> None:
    """Settle a pending operation now."""
    if op.status != "PENDING":
        return
    op.updated_at = now()
    if op.fail_with is not None:
        op.status, op.error = "FAILED", op.fail_with
        return
    op.status = "SUCCEEDED"
    listing = state.listings[op.listing_id]
    for key, value in op.effect.items():
        setattr(listing, key, value)
    if listing.status == "ACTIVE" and listing.ask_id is None:
        listing.ask_id, listing.ask_created_at = state.new_ask_id(), op.updated_at
    if listing.status in {"INACTIVE", "DELETED"}:
        listing.ask_id = listing.ask_created_at = None
    listing.updated_at = op.updated_at


def _write_reply(state: FakeState, op: FakeOperation, status: int = 200) -> Reply:
    url = f"{state.api_base}/selling/listings/{op.listing_id}/operations/{op.operation_id}"
    return status, operation_json(op, url=url)


def create_listing(state: FakeState, _: dict[str, str], __: Query, body: Any) -> Reply:
    """POST /selling/listings: 201 with a PENDING CREATE operation."""
    allowed = {"amount", "variantId", "currencyCode", "expiresAt", "active", "inventoryType"}
    fields = _fields(body, allowed, frozenset({"amount", "variantId"}))
    listing = new_listing(state, fields)
    active = fields.get("active", True) is not False
    effect = {"status": "ACTIVE" if active else "INACTIVE"}
    changes = {"additions": {"active": active, "askData": _ask_data(listing)}, "updates": {}, "removals": {}}
    return _write_reply(state, start_operation(state, listing, "CREATE", effect, changes), 201)


def new_listing(
    state: FakeState, fields: dict[str, Any], batch: tuple[str, str] | None = None
) -> FakeListing:
    """A new INACTIVE listing for `fields` (validated create input)."""
    variant = state.variants.get(str(fields["variantId"]))
    if variant is None:
        raise ApiFault(400, f"Variant {fields['variantId']} not found")
    if fields.get("inventoryType", "STANDARD") not in {"STANDARD", "DIRECT"}:
        raise ApiFault(400, "inventoryType must be STANDARD or DIRECT")
    moment = now()
    listing = FakeListing(
        state.new_uuid(),
        state.products[variant.product_id],
        variant,
        Decimal(fields["amount"]),
        fields.get("currencyCode", "USD"),
        "INACTIVE",
        moment,
        moment,
        _expiry(fields),
        fields.get("inventoryType", "STANDARD"),
    )
    if batch:
        listing.batch_id, listing.task_id = batch
    state.listings[listing.listing_id] = listing
    return listing


def _ask_data(listing: FakeListing) -> dict[str, Any]:
    expires = ts(listing.expires_at) if listing.expires_at else None
    return {"amount": money(listing.amount), "currency": listing.currency, "expiresAt": expires}


def update_listing(state: FakeState, params: dict[str, str], _: Query, body: Any) -> Reply:
    """PATCH /selling/listings/{listingId}: amount, currencyCode, expiresAt."""
    listing = _listing(state, params["listingId"], writable=True)
    fields = _fields(body, {"amount", "currencyCode", "expiresAt"})
    effect: dict[str, Any] = {}
    if "amount" in fields:
        effect["amount"] = Decimal(fields["amount"])
    if "currencyCode" in fields:
        effect["currency"] = fields["currencyCode"]
    if "expiresAt" in fields:
        effect["expires_at"] = _expiry(fields)
    changes = {"additions": {}, "updates": dict(fields), "removals": {}}
    return _write_reply(state, start_operation(state, listing, "UPDATE", effect, changes))


def delete_listing(state: FakeState, params: dict[str, str], _: Query, __: Any) -> Reply:
    """DELETE /selling/listings/{listingId}: the listing ends DELETED."""
    listing = _listing(state, params["listingId"], writable=True)
    changes = {"additions": {}, "updates": {}, "removals": {"askData": _ask_data(listing)}}
    return _write_reply(state, start_operation(state, listing, "DELETE", {"status": "DELETED"}, changes))


def activate_listing(state: FakeState, params: dict[str, str], _: Query, body: Any) -> Reply:
    """PUT /selling/listings/{listingId}/activate: the body is required."""
    listing = _listing(state, params["listingId"], writable=True)
    if body is None:
        raise ApiFault(400, "Request body is required")
    fields = _fields(body, {"amount", "currencyCode", "expiresAt"})
    effect: dict[str, Any] = {"status": "ACTIVE"}
    if "amount" in fields:
        effect["amount"] = Decimal(fields["amount"])
    if "currencyCode" in fields:
        effect["currency"] = fields["currencyCode"]
    changes = {"additions": {"active": True}, "updates": dict(fields), "removals": {}}
    return _write_reply(state, start_operation(state, listing, "ACTIVATE", effect, changes))


def deactivate_listing(state: FakeState, params: dict[str, str], _: Query, __: Any) -> Reply:
    """PUT /selling/listings/{listingId}/deactivate: 400 when already inactive."""
    listing = _listing(state, params["listingId"], writable=True)
    if listing.status == "INACTIVE":
        raise ApiFault(400, "Listing is already inactive")
    changes = {"additions": {}, "updates": {"active": False}, "removals": {}}
    effect = {"status": "INACTIVE"}
    return _write_reply(state, start_operation(state, listing, "DEACTIVATE", effect, changes))


def list_listings(state: FakeState, _: dict[str, str], query: Query, __: Any) -> Reply:
    """GET /selling/listings with the documented filters (DELETED never listed)."""
    statuses = _csv(query, "listingStatuses")
    if statuses and not statuses <= set(LISTING_STATUSES):
        raise ApiFault(400, f"listingStatuses must be among {', '.join(LISTING_STATUSES)}")
    start, end = date_param(query, "fromDate"), date_param(query, "toDate")
    products, variants, batches = (
        _csv(query, "productIds"),
        _csv(query, "variantIds"),
        _csv(query, "batchIds"),
    )
    kinds, expired = _csv(query, "inventoryTypes"), query.get("isExpired", "false") == "true"
    moment = now()
    found = [
        listing_json(state, x, detail=False)
        for x in sorted(state.listings.values(), key=lambda x: (x.created_at, x.listing_id))
        if x.status != "DELETED"
        and (not statuses or x.status in statuses)
        and (not products or x.product.product_id in products)
        and (not variants or x.variant.variant_id in variants)
        and (not batches or x.batch_id in batches)
        and (not kinds or x.inventory_type in kinds)
        and (start is None or x.created_at.date() >= start)
        and (end is None or x.created_at.date() <= end)
        and (expired or x.expires_at is None or x.expires_at > moment)
    ]
    return 200, page(found, query, "listings", max_size=100)


def _csv(query: Query, name: str) -> set[str]:
    raw = query.get(name)
    if raw is not None and any(c in raw for c in "[]\"'"):
        raise ApiFault(400, f"{name} must be a comma-separated list without brackets or quotes")
    return {v for v in (raw or "").split(",") if v}


def get_listing(state: FakeState, params: dict[str, str], _: Query, __: Any) -> Reply:
    """GET /selling/listings/{listingId}: adds payout and lastOperation."""
    return 200, listing_json(state, _listing(state, params["listingId"]), detail=True)


def get_operation(state: FakeState, params: dict[str, str], _: Query, __: Any) -> Reply:
    """GET /selling/listings/{listingId}/operations/{operationId}: each poll advances it."""
    listing = _listing(state, params["listingId"])
    for op in listing.operations:
        if op.operation_id == params["operationId"]:
            advance_operation(state, op)
            body = operation_json(op, url=None)
            body.pop("operationUrl")
            return 200, body
    raise ApiFault(404, f"Operation {params['operationId']} not found")


def list_operations(state: FakeState, params: dict[str, str], query: Query, _: Any) -> Reply:
    """GET /selling/listings/{listingId}/operations: newest first, cursor paginated."""
    listing = _listing(state, params["listingId"])
    size = int_param(query, "pageSize", 10, 1, 100)
    try:
        offset = int(base64.urlsafe_b64decode(query["cursor"]).decode()) if query.get("cursor") else 0
    except ValueError:
        raise ApiFault(400, "cursor is not valid") from None
    ops = list(reversed(listing.operations))
    chunk = []
    for op in ops[offset : offset + size]:
        body = operation_json(op, url=None)
        body.pop("operationUrl")
        chunk.append(body)
    more = offset + size < len(ops)
    cursor = base64.urlsafe_b64encode(str(offset + size).encode()).decode() if more else None
    return 200, {"nextCursor": cursor, "operations": chunk}


def batch_json(batch: FakeBatch) -> dict[str, Any]:
    """A batch's status: counts of its items by status."""
    counts: dict[str, int] = {}
    for item in batch.items:
        counts[item.status.lower()] = counts.get(item.status.lower(), 0) + 1
    return {
        "batchId": batch.batch_id,
        "status": batch.status,
        "completedAt": ts(batch.completed_at) if batch.completed_at else None,
        "createdAt": ts(batch.created_at),
        "updatedAt": ts(batch.updated_at or batch.created_at),
        "totalItems": len(batch.items),
        "itemStatuses": counts,
    }
