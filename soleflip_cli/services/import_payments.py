"""Payment report lines (eBay): stored as they arrive, applied to their orders' sales as fees and payout."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from soleflip_cli.importers.base import PaymentRecord, Record
from soleflip_cli.importers.ebay import MOVES
from soleflip_cli.models import PaymentTransaction, Sale, SaleFee, utcnow
from soleflip_cli.money import share_by
from soleflip_cli.services.import_batches import ChunkWriter, Counts
from soleflip_cli.services.lookups import planned_for_values
from soleflip_cli.services.matching import earliest, release_pairs, rematch
from soleflip_cli.services.product_cache import IN_CHUNK
from soleflip_cli.services.sale_units import line_of
from soleflip_cli.tables import NON_SALE_STATUSES as NON_SALES
from soleflip_cli.wording import first_few

REFUNDED = "refunded"
SHOWN_ORDERS = 5  # orders a warning names


class PaymentsWriter(ChunkWriter):
    """Lines of one payments report, keyed by (platform, row key); changed lines are re-applied."""

    def __init__(self, session: Session, batch_id: int) -> None:
        self.session = session
        self.batch_id = batch_id
        self.platforms: set[str] = set()
        self.inserted = self.updated = self.unchanged = 0

    def write(self, records: Sequence[Record]) -> None:
        """Insert new lines, update changed ones (to be applied again), leave identical ones."""
        chunk = [r for r in records if isinstance(r, PaymentRecord)]
        self.platforms.update(r.platform for r in chunk)
        existing: dict[tuple[str, str], tuple[int, str | None]] = {}
        with planned_for_values(self.session):
            for platform in {r.platform for r in chunk}:
                keys = sorted({r.row_key for r in chunk if r.platform == platform})
                for start in range(0, len(keys), IN_CHUNK):
                    query = select(
                        PaymentTransaction.row_key, PaymentTransaction.id, PaymentTransaction.content_hash
                    ).where(
                        PaymentTransaction.platform == platform,
                        PaymentTransaction.row_key.in_(keys[start : start + IN_CHUNK]),
                    )
                    found = self.session.execute(query)
                    existing.update({(platform, key): (ident, digest) for key, ident, digest in found})
        new, changed = [], []
        for record in chunk:
            values = _values(record, self.batch_id)
            old = existing.get((record.platform, record.row_key))
            if old is None:
                new.append(values)
            elif old[1] == values["content_hash"]:
                self.unchanged += 1
            else:
                changed.append({"id": old[0], **values, "sale_id": None})
        if new:
            # NULLs rendered, not left out: an Order line and a Shipping label line stay one batch.
            self.session.execute(insert(PaymentTransaction).execution_options(render_nulls=True), new)
        if changed:
            self.session.execute(update(PaymentTransaction), changed)
        self.inserted += len(new)
        self.updated += len(changed)

    def finish(self) -> Counts:
        """Apply every line not yet applied to its sale, then report the counts."""
        done = {platform: attach_payments(self.session, platform) for platform in sorted(self.platforms)}
        warnings = tuple(w for platform, a in done.items() for w in a.warnings(platform))
        attached = sum(a.sales for a in done.values())
        return Counts(self.inserted, self.updated, self.unchanged, attached=attached, warnings=warnings)


def _values(record: PaymentRecord, batch_id: int) -> dict[str, Any]:
    lines = [{"name": f.name, "kind": f.kind, "amount": str(f.amount)} for f in record.fees]
    return {
        "platform": record.platform,
        "row_key": record.row_key,
        "type": record.type,
        "occurred_at": record.occurred_at,
        "order_number": record.order_number,
        "item_id": record.item_id,
        "net_amount": record.net_amount,
        "gross_amount": record.gross_amount,
        "fees_total": sum((f.amount for f in record.fees), Decimal(0)) if record.fees else None,
        "fee_lines": json.dumps(lines) if lines else None,
        "currency": record.currency,
        "payout_date": record.payout_date,
        "payout_id": record.payout_id,
        "content_hash": record.content_hash(),
        "import_batch_id": batch_id,
    }


@dataclass
class _Totals:
    payout: Decimal = Decimal(0)
    payout_date: datetime | None = None
    fees: list[dict[str, Any]] | None = None
    refunded: Decimal = Decimal(0)  # what the order's refund lines gave back to the buyer


@dataclass(frozen=True)
class Attached:
    """What attach_payments did: sales updated, and orders whose lines are in another currency than theirs."""

    sales: int
    foreign: tuple[str, ...] = ()

    def warnings(self, platform: str) -> tuple[str, ...]:
        """The message about foreign lines, if any (they stay stored, unapplied)."""
        if not self.foreign:
            return ()
        shown = first_few(self.foreign, SHOWN_ORDERS)
        return (
            f"{platform} payment lines of {len(self.foreign)} order(s) are in another currency than their "
            f"sale, so their fees and payout were not applied: {shown}",
        )


def attach_payments(session: Session, platform: str) -> Attached:
    """Recompute fees and payout of every sale that has payment lines not applied yet.

    A sale's payout is the sum of the net amounts of its order's lines (order, refund, shipping
    label, extra fees); its fee lines are those lines' fees. A line names an order and an item;
    a line without an item is shared by the order's pairs (see _share). Sales are keyed `order:item`. Refunds
    that cover a sale's price make it refunded (see _refund_status). Lines that only move money
    (payouts, transfers, holds, reserves) are never a sale's, nor are lines in another currency than
    their sale's (see Attached.foreign).
    """
    pending = set(
        session.scalars(
            select(PaymentTransaction.order_number).where(
                PaymentTransaction.platform == platform,
                PaymentTransaction.sale_id.is_(None),
                PaymentTransaction.order_number.is_not(None),
            )
        )
    )
    if not pending:
        return Attached(0)
    # order -> item -> its sales (pair number, id, price); pairs a lower quantity cancelled are gone
    by_order: dict[str, dict[str, list[tuple[int, int, Decimal]]]] = defaultdict(lambda: defaultdict(list))
    currency_of: dict[int, str] = {}
    for sale_id, external_id, price, currency in session.execute(
        select(Sale.id, Sale.external_id, Sale.sale_price, Sale.currency).where(
            Sale.platform == platform, Sale.status != "cancelled"
        )
    ):
        order, _, item = external_id.partition(":")
        if order in pending:
            item, number = line_of(item)
            by_order[order][item].append((number, sale_id, price))
            currency_of[sale_id] = currency
    foreign: set[str] = set()
    totals: dict[int, _Totals] = defaultdict(_Totals)
    links = []
    orders = sorted(by_order)
    for start in range(0, len(orders), IN_CHUNK):
        query = select(
            PaymentTransaction.id,
            PaymentTransaction.order_number,
            PaymentTransaction.item_id,
            PaymentTransaction.net_amount,
            PaymentTransaction.gross_amount,
            PaymentTransaction.payout_date,
            PaymentTransaction.fee_lines,
            PaymentTransaction.currency,
            PaymentTransaction.type,
        ).where(
            PaymentTransaction.platform == platform,
            PaymentTransaction.order_number.in_(orders[start : start + IN_CHUNK]),
        )
        lines = []
        for line in session.execute(query.order_by(PaymentTransaction.occurred_at, PaymentTransaction.id)):
            sales = by_order[str(line.order_number)]
            if line.item_id:
                found = [(sale_id, price) for _, sale_id, price in sorted(sales.get(line.item_id, []))]
            else:  # the order's: shared by its pairs (see _share)
                found = sorted((sale_id, price) for units in sales.values() for _, sale_id, price in units)
            moves = str(line.type).casefold() in MOVES  # a hold, a payout: the order's, but no money of it
            if not moves and any(currency_of[sale_id] != line.currency for sale_id, _ in found):
                foreign.add(str(line.order_number))  # never mixed into a sale of another currency
            lines.append((line, found, moves))
        for line, found, moves in lines:
            if not found or line.order_number in foreign:  # none of such an order's lines: half its money
                continue
            if not moves:
                _share(line, found, totals)
            links.append({"id": line.id, "sale_id": found[0][0]})
    if totals:
        _apply(session, totals)
        session.execute(update(PaymentTransaction), links)
    return Attached(len(totals), tuple(sorted(foreign)))


def _share(line: Any, sales: list[tuple[int, Decimal]], totals: dict[int, _Totals]) -> None:
    """Add a payment line to its sales' totals: shared to the cent among the pairs of a line of several.

    An order's proceeds without an item (a line with a gross amount: its fees go with the price)
    are shared in proportion to the pairs' prices; its other lines (a label) equally. A refund, of an
    item or of a whole order, is not shared: it refunds whole pairs from the last back, the rest going
    with the last pair as its shipping (see refunds_by_pair), so the order's total refunds every pair;
    the fees its line credits back go with the pairs it refunds, in proportion.
    """
    count, currency = len(sales), line.currency
    by_price = not line.item_id and bool(line.gross_amount)
    weights = [price for _, price in sales] if by_price else [Decimal(1)] * count

    def share(amount: Decimal) -> list[Decimal]:
        return share_by(amount, weights, currency)

    lines = json.loads(line.fee_lines or "[]")
    if count > 1 and any(f.get("kind") == "refund" for f in lines):
        prices = [price for _, price in sales]
        refunds = [refunds_by_pair(Decimal(f["amount"]), prices) for f in lines if f.get("kind") == "refund"]
        given = [sum(parts, Decimal(0)) for parts in zip(*refunds, strict=True)]
        # The fees a refund credits back (or charges) are the refunded pairs', in proportion to it.
        by_refund = given if all(g >= 0 for g in given) and any(given) else weights
        refunded = iter(refunds)
        fees = [
            (f, next(refunded))
            if f.get("kind") == "refund"
            else (f, share_by(Decimal(f["amount"]), by_refund, currency))
            for f in lines
        ]
        # Such a line's net amount is minus its lines (see importers.ebay): each pair's, of its shares.
        nets = [-sum((amounts[n] for _, amounts in fees), Decimal(0)) for n in range(count)]
    else:
        nets = share(line.net_amount or Decimal(0))
        fees = [(f, share(Decimal(f["amount"]))) for f in lines]
    for n, (sale_id, _) in enumerate(sales):
        total = totals[sale_id]
        total.payout += nets[n]
        if line.payout_date and (total.payout_date is None or line.payout_date > total.payout_date):
            total.payout_date = line.payout_date
        total.fees = (total.fees or []) + [
            dict(f, amount=str(amounts[n]), currency=currency) for f, amounts in fees
        ]
        total.refunded += sum((amounts[n] for f, amounts in fees if f.get("kind") == "refund"), Decimal(0))


def refunds_by_pair(amount: Decimal, prices: list[Decimal]) -> list[Decimal]:
    """A refund of a line of several pairs, pair by pair: whole prices from the last pair back.

    What is left (less than the next price: shipping, a partial refund) goes to the last pair.
    """
    given = [Decimal(0)] * len(prices)
    left = amount
    for n in reversed(range(len(prices))):
        if prices[n] <= 0 or left < prices[n]:
            break
        given[n], left = prices[n], left - prices[n]
    given[-1] += left
    return given


def _apply(session: Session, totals: dict[int, _Totals]) -> None:
    ids = sorted(totals)
    rows = []
    fees: list[dict[str, Any]] = []
    for sale_id in ids:
        total = totals[sale_id]
        lines = total.fees or []
        rows.append(
            {
                "id": sale_id,
                "payout": total.payout,
                "fees_total": sum((Decimal(f["amount"]) for f in lines), Decimal(0)),
                "payout_date": total.payout_date,
                "updated_at": utcnow(),
            }
        )
        fees.extend({"sale_id": sale_id, **f, "amount": Decimal(f["amount"])} for f in lines)
    session.execute(update(Sale), rows)
    for start in range(0, len(ids), IN_CHUNK):
        session.execute(delete(SaleFee).where(SaleFee.sale_id.in_(ids[start : start + IN_CHUNK])))
    if fees:
        session.execute(insert(SaleFee), fees)
    _refund_status(session, totals)


def _refund_status(session: Session, totals: dict[int, _Totals]) -> None:
    """A sale whose refunds cover its price is `refunded`, its pair back in stock; a sale no longer is, not.

    A partial refund only lowers the payout (see `soleflip report --help`).
    """
    refunded: list[int] = []
    released: list[int] = []
    restored: list[int] = []
    first: dict[int, date] = {}  # sizes to match again, from these days (see matching.rematch)
    ids = sorted(totals)
    for start in range(0, len(ids), IN_CHUNK):
        query = select(
            Sale.id, Sale.sale_price, Sale.status, Sale.inventory_item_id, Sale.sold_at, Sale.variant_id
        ).where(Sale.id.in_(ids[start : start + IN_CHUNK]))
        for sale_id, price, status, item_id, sold_at, variant_id in session.execute(query):
            whole = totals[sale_id].refunded >= price > 0
            if whole and status not in NON_SALES:
                refunded.append(sale_id)
                released.extend([item_id] if item_id is not None else [])
            elif not whole and status == REFUNDED:
                restored.append(sale_id)
                earliest(first, variant_id, sold_at.date())
    if refunded:
        session.execute(update(Sale), [{"id": i, "status": REFUNDED} for i in refunded])
    release_pairs(session, released, first)
    if restored:
        session.execute(update(Sale), [{"id": i, "status": "completed"} for i in restored])
    rematch(session, first)  # a restored sale takes a pair again, a freed one goes to the oldest sale
