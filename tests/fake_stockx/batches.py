"""Batch listing endpoints of the fake StockX (REFERENCE §5): submit, status, items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fake_stockx.catalog import ApiFault, Query, Reply
from tests.fake_stockx.listings import (
    BATCH_UPDATE_LIMIT,
    _fields,
    batch_json,
    finish_operation,
    new_listing,
)
from tests.fake_stockx.state import FakeBatch, FakeBatchItem, FakeOperation, FakeState, now

_CREATE_FIELDS = {"variantId", "amount", "quantity", "currencyCode", "expiresAt", "active", "inventoryType"}


def _items(body: Any, kind: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or set(body) != {"items"} or not isinstance(body["items"], list):
        raise ApiFault(400, 'Request body must be {"items": [...]}')
    items: list[dict[str, Any]] = body["items"]
    if not items:
        raise ApiFault(400, "items must contain at least 1 element")
    if kind != "create" and len(items) > BATCH_UPDATE_LIMIT:
        raise ApiFault(400, f"items must contain no more than {BATCH_UPDATE_LIMIT} elements")
    return items


def submit(state: FakeState, kind: str, body: Any) -> Reply:
    """POST /selling/batch/{kind}-listing: validate, queue, answer QUEUED."""
    inputs = _items(body, kind)
    items: list[FakeBatchItem] = []
    for raw in inputs:
        if kind == "create":
            fields = _fields(raw, _CREATE_FIELDS, frozenset({"variantId", "amount", "quantity"}))
            quantity = fields["quantity"]
            if not isinstance(quantity, int) or not 1 <= quantity <= 100:
                raise ApiFault(400, "quantity must be an integer between 1 and 100")
            echo = {k: fields.get(k) for k in ("active", "currencyCode", "variantId", "expiresAt", "amount")}
            items += [FakeBatchItem(state.new_uuid(), dict(echo)) for _ in range(quantity)]
        elif kind == "update":
            fields = _fields(raw, {"listingId", "amount", "expiresAt", "currencyCode", "active"})
            if "listingId" not in fields:
                raise ApiFault(400, "listingId is required")
            items.append(FakeBatchItem(state.new_uuid(), {"active": None} | fields))
        else:
            fields = _fields(raw, {"listingId"}, frozenset({"listingId"}))
            items.append(FakeBatchItem(state.new_uuid(), {"id": fields["listingId"]}))
    for index, message in state.batch_item_failures.items():
        if index < len(items):
            items[index].fail_with = message
    state.batch_item_failures = {}
    batch = FakeBatch(state.new_uuid(), kind, now(), items)
    state.batches[batch.batch_id] = batch
    return 200, batch_json(batch)


def _batch(state: FakeState, kind: str, batch_id: str) -> FakeBatch:
    batch = state.batches.get(batch_id)
    if batch is None or batch.kind != kind:
        raise ApiFault(404, f"Batch {batch_id} not found")
    return batch


def status(state: FakeState, kind: str, batch_id: str) -> Reply:
    """GET /selling/batch/{kind}-listing/{batchId}: each poll advances the batch."""
    batch = _batch(state, kind, batch_id)
    batch.polls += 1
    if batch.status != "COMPLETED":
        if batch.polls >= state.batch_polls_to_complete:
            complete(state, batch)
        else:
            batch.status, batch.updated_at = "IN_PROGRESS", now()
    return 200, batch_json(batch)


def complete(state: FakeState, batch: FakeBatch) -> None:
    """Process every item of `batch` and mark it COMPLETED."""
    for item in batch.items:
        if item.status != "QUEUED":
            continue
        try:
            if item.fail_with:
                raise ApiFault(400, item.fail_with)
            item.result = _apply(state, batch, item)
            item.status = "COMPLETED"
        except ApiFault as fault:
            item.status, item.error = "FAILED", fault.message
    batch.status = "COMPLETED"
    batch.completed_at = batch.updated_at = now()


def _apply(state: FakeState, batch: FakeBatch, item: FakeBatchItem) -> dict[str, Any]:
    data = item.listing_input
    if batch.kind == "create":
        fields = {k: v for k, v in data.items() if v is not None}
        created = new_listing(state, fields, (batch.batch_id, item.item_id))
        created.status = "INACTIVE" if data.get("active") is False else "ACTIVE"
        if created.status == "ACTIVE":
            created.ask_id, created.ask_created_at = state.new_ask_id(), now()
        return {"askId": created.ask_id, "listingId": created.listing_id}
    listing_id = str(data.get("listingId") or data.get("id"))
    listing = state.listings.get(listing_id)
    if listing is None or listing.status == "DELETED":
        raise ApiFault(404, f"Listing {listing_id} not found")
    effect: dict[str, Any] = {"status": "DELETED"} if batch.kind == "delete" else {}
    if "amount" in data:
        effect["amount"] = Decimal(data["amount"])
    if "currencyCode" in data:
        effect["currency"] = data["currencyCode"]
    if data.get("active") is not None:
        effect["status"] = "ACTIVE" if data["active"] else "INACTIVE"
    kind = "DELETE" if batch.kind == "delete" else "UPDATE"
    diff: dict[str, Any] = {"additions": {}, "updates": {}, "removals": {}}
    op = FakeOperation(state.new_uuid(), listing.listing_id, kind, now(), effect, diff)
    listing.operations.append(op)
    finish_operation(state, op)
    return {"askId": listing.ask_id, "listingId": listing.listing_id}


def items(state: FakeState, kind: str, batch_id: str, query: Query) -> Reply:
    """GET /selling/batch/{kind}-listing/{batchId}/items[?status=]."""
    batch = _batch(state, kind, batch_id)
    wanted = query.get("status")
    if wanted is not None and wanted not in {"QUEUED", "COMPLETED", "FAILED"}:
        raise ApiFault(400, "status must be QUEUED, COMPLETED or FAILED")
    found = []
    for item in batch.items:
        if wanted is not None and item.status != wanted:
            continue
        body: dict[str, Any] = {
            "itemId": item.item_id,
            "status": item.status,
            "listingInput": item.listing_input,
        }
        if item.result is not None:
            body["result"] = item.result
        if item.error is not None:
            body["error"] = item.error
        found.append(body)
    return 200, {"items": found}
