"""Inventory pairs: record purchases, edit, move and remove pairs (one row per physical pair)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from soleflip_cli.errors import NotFoundError, SoleflipError, UsageError
from soleflip_cli.models import BOX_CONDITIONS, CONDITIONS, InventoryItem, Listing, Product, Sale, Variant
from soleflip_cli.services import inventory_list
from soleflip_cli.services.inputs import (
    valid_amount,
    valid_choice,
    valid_currency,
    valid_past_date,
    valid_size,
)
from soleflip_cli.services.inventory_list import ItemRow
from soleflip_cli.services.matching import earliest, match_sales, rematch
from soleflip_cli.services.products import get_or_create_product, get_or_create_variant
from soleflip_cli.services.suppliers import find_supplier

MAX_QUANTITY = 500
# Fills in a product's name and brand from a remote catalog: (session, sku, size) -> anything.
CatalogLookup = Callable[[Session, str, str], object]
# Statuses `inventory edit --status` may set; sold and removed go through `sell` and `remove`.
EDITABLE_STATUSES = ("in_stock", "listed", "consigned", "personal", "returned")
# Listing statuses (StockX spells them upper-case) that are still an ask, live or paused.
OPEN_LISTING_STATUSES = ("active", "inactive")


@dataclass(frozen=True)
class Purchase:
    """What `inventory add` records: one purchase of `quantity` identical pairs."""

    sku: str
    size: str
    cost: Decimal
    currency: str
    purchase_date: date
    condition: str = "new"
    box: str | None = "good"
    location: str | None = None
    supplier: str | None = None
    notes: str | None = None
    quantity: int = 1


@dataclass(frozen=True)
class PairChanges:
    """Fields `inventory edit` changes; None leaves a field as it is, "" clears an optional text."""

    sku: str | None = None
    size: str | None = None
    cost: Decimal | None = None
    currency: str | None = None
    purchase_date: date | None = None
    condition: str | None = None
    box: str | None = None
    location: str | None = None
    supplier: str | None = None
    notes: str | None = None
    status: str | None = None

    def is_empty(self) -> bool:
        """True when nothing would change."""
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


@dataclass(frozen=True)
class AddResult:
    """The pairs created, where their name came from (if anywhere) and how many earlier sales took one."""

    pairs: tuple[ItemRow, ...]
    catalog_known: bool
    looked_up: bool
    lookup_error: str | None
    matched_sales: int


@dataclass(frozen=True)
class MoveResult:
    """Pairs moved to a location."""

    ids: tuple[int, ...]
    location: str


@dataclass(frozen=True)
class UnlinkedSale:
    """A sale whose pair was force-removed: re-matched to another pair, or left without cost basis."""

    sale_id: int
    removed_item_id: int
    rematched_item_id: int | None


@dataclass(frozen=True)
class RemovalPlan:
    """What `inventory remove` will do, checked before asking: pairs to mark and the sales tied to them."""

    targets: tuple[int, ...]
    already_removed: tuple[int, ...]
    sales: tuple[tuple[int, int], ...]
    labels: tuple[str, ...]

    def describe(self) -> str:
        """The pairs in words, for the confirmation question."""
        shown = ", ".join(self.labels[:5])
        return shown + (f" and {len(self.labels) - 5} more" if len(self.labels) > 5 else "")


@dataclass(frozen=True)
class RemoveResult:
    """Pairs marked removed (history kept), pairs already removed, and what happened to their sales."""

    removed: tuple[int, ...]
    already_removed: tuple[int, ...]
    unlinked_sales: tuple[UnlinkedSale, ...]
    open_listings: tuple[int, ...]


def add_pairs(
    session: Session, purchase: Purchase, *, today: date, lookup: CatalogLookup | None = None
) -> AddResult:
    """Create `quantity` pairs of one SKU and size (bulk insert); name and brand only from a catalog.

    When the local catalog knows no name or brand for the SKU, `lookup(session, sku, size)` (the
    StockX catalog, when logged in) may fill them in; its failure is reported, not fatal.
    Money is `purchase.cost` in `purchase.currency`, per pair; `today` is the user's local date.
    """
    if not 1 <= purchase.quantity <= MAX_QUANTITY:
        raise UsageError(f"--quantity must be between 1 and {MAX_QUANTITY} (got {purchase.quantity})")
    currency = valid_currency(purchase.currency)
    cost = valid_amount(purchase.cost, currency)
    valid_past_date(purchase.purchase_date, today)
    size = valid_size(purchase.size)
    valid_choice("--condition", purchase.condition, CONDITIONS)
    if purchase.box is not None:
        valid_choice("--box", purchase.box, BOX_CONDITIONS)
    supplier_id = find_supplier(session, purchase.supplier).id if purchase.supplier else None
    product = _product(session, purchase.sku)
    looked_up, lookup_error = False, None
    if lookup is not None and not (product.name or product.brand) and product.sku:
        try:
            lookup(session, product.sku, purchase.size)
            looked_up = bool(product.name or product.brand)
        except SoleflipError as exc:
            lookup_error = exc.message
    variant = get_or_create_variant(session, product, size)
    row = {
        "product_id": product.id,
        "variant_id": variant.id,
        "condition": purchase.condition,
        "box_condition": purchase.box,
        "purchase_price": cost,
        "purchase_currency": currency,
        "purchase_date": purchase.purchase_date,
        "supplier_id": supplier_id,
        "location": _text(purchase.location),
        "notes": _text(purchase.notes),
        "status": "in_stock",
    }
    ids = session.scalars(
        insert(InventoryItem).returning(InventoryItem.id, sort_by_parameter_order=True),
        [dict(row) for _ in range(purchase.quantity)],
    ).all()
    # FIFO again from the purchase day, as an imported purchases file does: a sale imported before
    # its purchase was recorded takes one of these pairs, and a later imported sale holding a newer
    # pair takes an older one of these instead; never a sale dated before the purchase.
    rematch(session, {variant.id: purchase.purchase_date})
    pairs = tuple(inventory_list.rows_by_id(session.connection(), ids, today=today))
    matched = sum(1 for pair in pairs if pair["status"] == "sold")
    return AddResult(
        pairs=pairs,
        catalog_known=bool(product.name or product.brand),
        looked_up=looked_up,
        lookup_error=lookup_error,
        matched_sales=matched,
    )


def edit_pair(session: Session, item_id: int, changes: PairChanges, *, today: date) -> ItemRow:
    """Change one pair's details; SKU, size and status stay fixed while a sale is tied to it."""
    if changes.is_empty():
        raise UsageError(
            "nothing to change", hint="pass at least one option, see `soleflip inventory edit -h`"
        )
    item = get_item(session, item_id)
    first: dict[int, date] = {}  # FIFO looks again where the pair was and where it is (see rematch)
    earliest(first, item.variant_id, item.purchase_date)
    sale_id = session.scalar(select(Sale.id).where(Sale.inventory_item_id == item.id))
    if sale_id is not None and (changes.sku or changes.size or changes.status):
        raise UsageError(
            f"pair {item.id} is tied to sale {sale_id}: its SKU, size and status follow the sale",
            hint=f"`soleflip inventory remove {item.id} --force` unlinks it if the pair was recorded wrongly",
        )
    currency = valid_currency(changes.currency) if changes.currency else item.purchase_currency
    if changes.cost is not None or changes.currency:
        item.purchase_price = valid_amount(
            changes.cost if changes.cost is not None else item.purchase_price, currency
        )
        item.purchase_currency = currency
    if changes.purchase_date is not None:
        item.purchase_date = valid_past_date(changes.purchase_date, today)
    if changes.sku or changes.size:
        product = _product(session, changes.sku) if changes.sku else item.product
        size = valid_size(changes.size) if changes.size else item.variant.size
        variant = get_or_create_variant(session, product, size)
        item.product_id, item.variant_id = product.id, variant.id
    if changes.condition is not None:
        item.condition = valid_choice("--condition", changes.condition, CONDITIONS)
    if changes.box is not None:
        item.box_condition = valid_choice("--box", changes.box, BOX_CONDITIONS)
    if changes.status is not None:
        item.status = valid_choice("--status", changes.status, EDITABLE_STATUSES)
    if changes.supplier is not None:
        item.supplier_id = find_supplier(session, changes.supplier).id if changes.supplier.strip() else None
    if changes.location is not None:
        item.location = _text(changes.location)
    if changes.notes is not None:
        item.notes = _text(changes.notes)
    session.flush()
    if changes.purchase_date is not None or changes.sku or changes.size or changes.status is not None:
        earliest(first, item.variant_id, item.purchase_date)
        rematch(session, first)
    [row] = inventory_list.rows_by_id(session.connection(), [item.id], today=today)
    return row


def move_pairs(session: Session, item_ids: Sequence[int], location: str) -> MoveResult:
    """Set the storage location of several pairs at once (all IDs must exist)."""
    place = _text(location)
    if place is None:
        raise UsageError("--location must not be empty")
    ids = _existing_ids(session, item_ids)
    session.execute(update(InventoryItem).where(InventoryItem.id.in_(ids)).values(location=place))
    return MoveResult(ids=tuple(ids), location=place)


def plan_removal(session: Session, item_ids: Sequence[int], *, force: bool) -> RemovalPlan:
    """Check which pairs `remove` would mark removed; a pair tied to a sale needs `force`."""
    ids = _existing_ids(session, item_ids)
    rows = session.execute(
        select(InventoryItem.id, InventoryItem.status, Product.sku, Variant.size_norm)
        .join(Product, Product.id == InventoryItem.product_id)
        .join(Variant, Variant.id == InventoryItem.variant_id)
        .where(InventoryItem.id.in_(ids))
    ).all()
    labels = {row.id: f"{row.id} ({row.sku or 'no SKU'} size {row.size_norm})" for row in rows}
    done = {row.id for row in rows if row.status == "removed"}
    targets = [i for i in ids if i not in done]
    sales = {
        item: sale
        for item, sale in session.execute(
            select(Sale.inventory_item_id, Sale.id).where(Sale.inventory_item_id.in_(targets))
        )
        if item is not None
    }
    if sales and not force:
        tied = ", ".join(f"pair {item} (sale {sale})" for item, sale in sorted(sales.items()))
        raise UsageError(
            f"refusing to remove pairs tied to a sale: {tied}; nothing was removed",
            hint="pass --force to remove them anyway; their sales are re-matched to another pair or left "
            "without cost basis",
        )
    return RemovalPlan(
        targets=tuple(targets),
        already_removed=tuple(i for i in ids if i in done),
        sales=tuple(sorted(sales.items())),
        labels=tuple(labels[i] for i in targets),
    )


def remove_pairs(session: Session, plan: RemovalPlan) -> RemoveResult:
    """Mark the planned pairs `removed` (rows and history stay) and unlink their sales.

    An unlinked sale goes through FIFO matching again, so it takes another pair of the same size
    if one is in stock, or is left without a cost basis.
    """
    targets = list(plan.targets)
    open_listings = session.scalars(
        select(Listing.id).where(
            Listing.inventory_item_id.in_(targets), func.lower(Listing.status).in_(OPEN_LISTING_STATUSES)
        )
    ).all()
    if targets:
        session.execute(update(InventoryItem).where(InventoryItem.id.in_(targets)).values(status="removed"))
    sale_ids = [sale for _, sale in plan.sales]
    unlinked: list[UnlinkedSale] = []
    if sale_ids:
        session.execute(update(Sale).where(Sale.id.in_(sale_ids)).values(inventory_item_id=None))
        match_sales(session, sale_ids)
        rows = session.execute(select(Sale.id, Sale.inventory_item_id).where(Sale.id.in_(sale_ids)))
        now_linked = dict(rows.all())
        unlinked = [UnlinkedSale(sale, item, now_linked.get(sale)) for item, sale in plan.sales]
    return RemoveResult(
        removed=plan.targets,
        already_removed=plan.already_removed,
        unlinked_sales=tuple(unlinked),
        open_listings=tuple(open_listings),
    )


def get_item(session: Session, item_id: int) -> InventoryItem:
    """The pair with this ID, or NotFoundError."""
    item = session.get(InventoryItem, item_id)
    if item is None:
        raise NotFoundError(
            f"no pair with ID {item_id}", hint="`soleflip inventory list --status all` shows IDs"
        )
    return item


def _product(session: Session, sku: str) -> Product:
    try:
        # No name or brand here: only the catalog (or a later sync/import) may supply them.
        return get_or_create_product(session, sku=sku)
    except ValueError:
        raise UsageError(
            f"SKU {sku!r} is empty or a placeholder; give the style code, e.g. DM7866-200"
        ) from None


def _existing_ids(session: Session, item_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise UsageError("give at least one pair ID")
    found = set(session.scalars(select(InventoryItem.id).where(InventoryItem.id.in_(ids))))
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise NotFoundError(
            f"no pair with ID {', '.join(missing)}; nothing was changed",
            hint="`soleflip inventory list --status all` shows IDs",
        )
    return ids


def _text(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None
