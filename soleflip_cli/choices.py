"""Closed sets of values chosen on the command line, shared by cli/ and services/ (no heavy imports)."""

from __future__ import annotations

from enum import StrEnum


class Condition(StrEnum):
    """Condition of a pair."""

    new = "new"
    new_defects = "new-defects"
    used = "used"


class BoxCondition(StrEnum):
    """Condition of its box."""

    good = "good"
    damaged = "damaged"
    missing = "missing"


class ItemStatus(StrEnum):
    """Where a pair is in its life; `all` is a filter value only."""

    in_stock = "in_stock"
    listed = "listed"
    sold = "sold"
    returned = "returned"
    consigned = "consigned"
    personal = "personal"
    removed = "removed"
    all = "all"


class EditableStatus(StrEnum):
    """Statuses `inventory edit --status` may set (sold and removed have their own commands)."""

    in_stock = "in_stock"
    listed = "listed"
    consigned = "consigned"
    personal = "personal"
    returned = "returned"


class SortKey(StrEnum):
    """Sort orders of `inventory list`."""

    id = "id"
    date = "date"
    cost = "cost"
    sku = "sku"
    brand = "brand"
    size = "size"
    status = "status"
    location = "location"


class Basis(StrEnum):
    """What a pair is worth: the lowest ask, the highest bid, or the payout after fees at the lowest ask."""

    lowest_ask = "lowest-ask"
    highest_bid = "highest-bid"
    payout = "payout"


class ValueBy(StrEnum):
    """Grouping of `inventory value`."""

    brand_size = "brand-size"
    brand = "brand"
    pair = "pair"


class AgingBy(StrEnum):
    """Grouping of `inventory aging`."""

    brand = "brand"
    total = "total"


class SupplierKind(StrEnum):
    """Kinds of supplier."""

    retail = "retail"
    raffle = "raffle"
    reseller = "reseller"
    private = "private"
