"""An order line of several pairs as one sale per pair: `ID`, `ID (pair 2)`, ... (see `units`).

A sale links to one pair (sales.inventory_item_id and the cost columns its triggers copy), so each
pair sold is its own sale, consuming its own pair and carrying its own cost and profit. Ids ending
like ` (pair 2)` are reserved for them: a file's own id of that form is a bad cell (import_limits).
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from soleflip_cli.importers.base import FeeLine, SaleRecord, digest
from soleflip_cli.money import split

_PAIR = re.compile(r" \(pair (\d+)\)$")


def unit_id(external_id: str, number: int) -> str:
    """The id of pair `number` (from 1) of the order line `external_id`."""
    return external_id if number == 1 else f"{external_id} (pair {number})"


def line_of(external_id: str) -> tuple[str, int]:
    """(the order line's id, the pair's number) of a sale's id."""
    found = _PAIR.search(external_id)
    return (external_id[: found.start()], int(found.group(1))) if found else (external_id, 1)


def reserved(external_id: str) -> bool:
    """Whether an id has the form only the pairs of a line of several get."""
    return _PAIR.search(external_id) is not None


def units(record: SaleRecord) -> list[tuple[SaleRecord, str]]:
    """The line's sales of one pair each, with the content hash each is stored with.

    Money (price, payout, VAT, each fee) is shared to the cent, the first pair taking the rest (a
    pair's payout is its price less its fees when the line's fees explain its payout). A
    pair's hash covers the whole line, so a change of the line's quantity changes every pair's.
    """
    count = record.quantity
    if count <= 1:
        return [(record, record.content_hash())]
    currency, line = record.currency, record.content_hash()

    def shares(amount: Decimal | None) -> list[Decimal | None]:
        return [None] * count if amount is None else list(split(amount, count, currency))

    prices = split(record.sale_price, count, currency)
    fees = [(f, split(f.amount, count, currency)) for f in record.fees]
    payouts, vats = shares(record.payout), shares(record.vat_amount)
    if fees and record.payout == record.sale_price - sum(f.amount for f in record.fees):
        # The fee lines explain price - payout: so do each pair's (its payout is its price less its fees).
        payouts = [prices[n] - sum((amounts[n] for _, amounts in fees), Decimal(0)) for n in range(count)]
    return [
        (
            replace(
                record,
                external_id=unit_id(record.external_id, n + 1),
                quantity=1,
                sale_price=prices[n],
                payout=payouts[n],
                vat_amount=vats[n],
                fees=tuple(FeeLine(f.name, f.kind, amounts[n]) for f, amounts in fees),
            ),
            digest(line, n + 1),
        )
        for n in range(count)
    ]
