"""Exchange rates: `fx set|import|list`, and the exact SQL conversion the reports use."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    String,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from soleflip_cli.db import connection_of, temporary_table
from soleflip_cli.errors import SoleflipError, UsageError
from soleflip_cli.money import check_currency
from soleflip_cli.tables import fx_rates

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Rates are NUMERIC(18, 8): in SQL they become exact integers of 1e-8 units.
RATE_SCALE = 100_000_000
_RATE_QUANTUM = Decimal("0.00000001")
FILE_COLUMNS = ("date", "base", "quote", "rate")


class MissingRateError(SoleflipError):
    """A report needs a conversion for which the FX table has no rate (exit 1)."""


@dataclass(frozen=True)
class FxRateRow:
    """One unit of `base` buys `rate` units of `quote` on `rate_date`."""

    rate_date: date
    base: str
    quote: str
    rate: Decimal
    source: str


@dataclass(frozen=True)
class FxImportResult:
    """Counts of one `fx import` run."""

    file: str
    rows: int
    inserted: int
    updated: int
    unchanged: int


def parse_rate(text: str) -> Decimal:
    """A positive rate rounded half-up to 8 decimal places; UsageError otherwise."""
    try:
        rate = Decimal(text.strip())
    except InvalidOperation:
        raise UsageError(f"not a rate: {text!r} (expected a positive number such as 1.0842)") from None
    if not rate.is_finite() or rate <= 0:
        raise UsageError(f"not a rate: {text!r} (expected a positive number such as 1.0842)")
    return rate.quantize(_RATE_QUANTUM, rounding=ROUND_HALF_UP)


def currency_code(code: str) -> str:
    """The upper-cased ISO code; UsageError for an unknown one."""
    try:
        return check_currency(code)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _pair(base: str, quote: str) -> tuple[str, str]:
    pair = currency_code(base), currency_code(quote)
    if pair[0] == pair[1]:
        raise UsageError(f"a rate needs two different currencies, got {pair[0]} twice")
    return pair


def set_rate(session: Session, base: str, quote: str, rate: Decimal, on: date) -> FxRateRow:
    """Insert or replace the rate of base->quote on a date (source `manual`)."""
    base, quote = _pair(base, quote)
    _upsert(session, [FxRateRow(on, base, quote, rate, "manual")])
    return FxRateRow(on, base, quote, rate, "manual")


def import_rates(session: Session, path: Path | None, text: str | None = None) -> FxImportResult:
    """Load a CSV with the columns date (YYYY-MM-DD), base, quote, rate (header names case-insensitive).

    Rows for an existing (date, base, quote) replace its rate. All or nothing: any bad row is a
    UsageError naming its line, and nothing is written. `text` is the file's content when read from stdin.
    """
    name = str(path) if path else "-"
    if text is None and path is not None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise UsageError(f"{name}: cannot read the file: {exc.strerror}") from None
    reader = csv.reader(io.StringIO(text or ""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in FILE_COLUMNS if c not in header]
    if missing:
        raise UsageError(
            f"{name}: missing column(s) {', '.join(missing)}; expected a header date,base,quote,rate"
        )
    index = {c: header.index(c) for c in FILE_COLUMNS}
    rows: dict[tuple[date, str, str], FxRateRow] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        try:
            day = date.fromisoformat(cells[index["date"]].strip())
            base, quote = _pair(cells[index["base"]], cells[index["quote"]])
            rate = parse_rate(cells[index["rate"]])
        except (ValueError, IndexError, UsageError) as exc:
            raise UsageError(f"{name}, line {line}: {exc}") from None
        rows[(day, base, quote)] = FxRateRow(day, base, quote, rate, "import")
    inserted, updated = _upsert(session, rows.values())
    return FxImportResult(name, len(rows), inserted, updated, len(rows) - inserted - updated)


def _upsert(session: Session, rows: Iterable[FxRateRow]) -> tuple[int, int]:
    """Bulk insert new (date, base, quote) keys and update changed rates; returns (inserted, updated)."""
    from soleflip_cli.models import FxRate  # the ORM only for the commands that write rates

    wanted = {(r.rate_date, r.base, r.quote): r for r in rows}
    if not wanted:
        return 0, 0
    pairs = {(base, quote) for _, base, quote in wanted}
    days = [day for day, _, _ in wanted]
    existing = {
        (day, base, quote): (row_id, rate)
        for row_id, day, base, quote, rate in session.execute(
            select(FxRate.id, FxRate.rate_date, FxRate.base, FxRate.quote, FxRate.rate).where(
                tuple_(FxRate.base, FxRate.quote).in_(pairs), FxRate.rate_date.between(min(days), max(days))
            )
        )
    }
    new = [
        {"rate_date": r.rate_date, "base": r.base, "quote": r.quote, "rate": r.rate, "source": r.source}
        for key, r in wanted.items()
        if key not in existing
    ]
    changed = [
        {"id": existing[key][0], "rate": r.rate, "source": r.source}
        for key, r in wanted.items()
        if key in existing and Decimal(existing[key][1]).quantize(_RATE_QUANTUM) != r.rate
    ]
    if new:
        session.execute(insert(FxRate), new)
    if changed:
        session.execute(update(FxRate), changed)
    return len(new), len(changed)


def list_rates(
    session: Session,
    *,
    base: str | None = None,
    quote: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[FxRateRow]:
    """Stored rates, oldest first, optionally for one currency (either side) or pair and a date range."""
    from soleflip_cli.models import FxRate

    query = select(FxRate).order_by(FxRate.rate_date, FxRate.base, FxRate.quote)
    if base and quote:
        b, q = _pair(base, quote)
        query = query.where(FxRate.base == b, FxRate.quote == q)
    elif base or quote:
        code = currency_code(base or quote or "")
        query = query.where(or_(FxRate.base == code, FxRate.quote == code))
    if start:
        query = query.where(FxRate.rate_date >= start)
    if end:
        query = query.where(FxRate.rate_date <= end)
    return [FxRateRow(r.rate_date, r.base, r.quote, r.rate, r.source) for r in session.scalars(query)]


def _rate_history(conn: Connection, target: str, last: date) -> dict[str, list[tuple[date, int]]]:
    """Per currency, its (day, signed scaled rate to target) changes up to `last`, oldest first.

    The pair's own rate wins on a day; only where the pair has none yet is the opposite pair's rate
    used, as a negative number meaning "divide by".
    """
    fx = fx_rates.c
    rows = conn.execute(
        select(fx.rate_date, fx.base, fx.quote, fx.rate)
        .where(or_(fx.quote == target, fx.base == target), fx.rate_date <= last)
        .order_by(fx.rate_date)
    )
    direct: dict[str, list[tuple[date, int]]] = {}
    inverse: dict[str, list[tuple[date, int]]] = {}
    for day, base, quote, rate in rows:
        scaled = int((Decimal(rate) * RATE_SCALE).to_integral_value(ROUND_HALF_UP))
        if quote == target:
            direct.setdefault(base, []).append((day, scaled))
        else:
            inverse.setdefault(quote, []).append((day, -scaled))
    history = {}
    for currency in direct.keys() | inverse.keys():
        own = direct.get(currency, [])
        first_own = own[0][0] if own else None
        history[currency] = sorted(
            [r for r in inverse.get(currency, []) if first_own is None or r[0] < first_own] + own
        )
    return history


def _day_rate_rows(conn: Connection, target: str, first: date, last: date) -> list[tuple[str, date, int]]:
    """(currency, day, rate) for every day from `first` to `last` at which a rate to `target` is known
    (the latest on or before that day), as a signed scaled rate (see `_rate_history`); by currency,
    oldest day first."""
    rows: list[tuple[str, date, int]] = []
    for currency, changes in _rate_history(conn, target, last).items():
        index, current = 0, None
        day = min(first, changes[0][0])
        while day <= last:
            while index < len(changes) and changes[index][0] <= day:
                current, index = changes[index][1], index + 1
            if current is not None and day >= first:
                rows.append((currency, day, current))
            day += timedelta(days=1)
    return rows


@contextmanager
def day_rates(db: Session | Connection, target: str, first: date, last: date) -> Iterator[str]:
    """A temporary table (currency, day, rate) with the signed scaled rate to `target` for every day
    from `first` to `last` at which a rate is known (the latest on or before that day); yields its name.

    Reports join it on (currency, day) instead of looking the closest earlier rate up per sale.
    """
    conn = connection_of(db)
    with _rate_table(conn, _day_rate_rows(conn, target, first, last)) as name:
        yield name


def _rate_table(conn: Connection, rows: list[tuple[str, date, int]]) -> AbstractContextManager[str]:
    columns: list[Column[Any]] = [
        Column("currency", String(3), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("rate", BigInteger, nullable=False),
    ]
    return temporary_table(
        conn, "tmp_report_fx", columns, [{"currency": c, "day": d, "rate": r} for c, d, r in rows]
    )


@dataclass(frozen=True)
class DayRates:
    """The rows of `day_rates` as SQL: `relation` is a table name or a subquery with `params` bound.

    `covered` holds each currency's first and last day with a rate: every day between has one.
    """

    relation: str
    params: dict[str, object]
    covered: dict[str, tuple[date, date]]


@contextmanager
def day_rate_source(conn: Connection, target: str, first: date, last: date) -> Iterator[DayRates]:
    """`day_rates` for a report: the temporary table on SQLite, bound arrays on PostgreSQL.

    PostgreSQL cannot scan a temporary table in parallel workers; arrays unnested in the query can.
    They are grouped by (currency, day) so that the planner knows the key is unique and hashes it.
    """
    rows = _day_rate_rows(conn, target, first, last)
    covered: dict[str, tuple[date, date]] = {}
    for currency, day, _ in rows:
        covered[currency] = (covered.get(currency, (day, day))[0], day)
    if conn.dialect.name != "postgresql":
        with _rate_table(conn, rows) as table:
            yield DayRates(table, {}, covered)
        return
    currencies, days, rates = ([row[n] for row in rows] for n in range(3))
    yield DayRates(
        "(SELECT currency, day, MIN(rate) AS rate FROM unnest(CAST(:fx_currency AS VARCHAR[]), "
        "CAST(:fx_day AS DATE[]), CAST(:fx_rate AS BIGINT[])) AS u(currency, day, rate) "
        "GROUP BY currency, day)",
        {"fx_currency": currencies, "fx_day": days, "fx_rate": rates},
        covered,
    )


def _div(numerator: str, denominator: str) -> str:
    """Integer SQL for numerator / denominator (positive) rounded half away from zero."""
    n, d = numerator, denominator
    return f"(CASE WHEN {n} >= 0 THEN (2 * {n} + {d}) / (2 * {d}) ELSE -((-2 * {n} + {d}) / (2 * {d})) END)"


def convert_sql(cents: str, rate: str, digits: int) -> str:
    """Integer SQL: an amount in hundredths converted at a signed scaled rate, in the target's minor units.

    Exact integer arithmetic on SQLite and PostgreSQL alike, rounded half away from zero once per
    amount: direct rates multiply, inverse rates (negative, see `rate_sql`) divide. The rate is split
    into its integer and 8-decimal parts, and a division into its quotient and remainder, so that no
    intermediate value leaves 64 bits for amounts below money.MAX_AMOUNT (4 * 10^8 units: twice
    4 * 10^10 hundredths times 10^8 stays below 2^63).
    """
    whole, frac = f"({rate} / {RATE_SCALE})", f"({rate} % {RATE_SCALE})"
    if digits >= 2:
        scale = 10 ** (digits - 2)
        direct = f"({cents} * {whole} * {scale} + {_div(f'{cents} * {frac}', str(10 ** (10 - digits)))})"
    else:
        k = 10 ** (2 - digits)
        product = f"({cents} * {whole})"
        rest = f"(({product} % {k}) * {RATE_SCALE} + {cents} * {frac})"
        direct = f"({product} / {k} + {_div(rest, str(k * RATE_SCALE))})"
    # a * 10^digits / r, as whole quotient and rounded remainder: a * 10^3 would leave 64 bits (KWD).
    a, r, minor = f"({cents} * 1000000)", f"(-{rate})", 10**digits
    inverse = f"(({a} / {r}) * {minor} + {_div(f'(({a} % {r}) * {minor})', r)})"
    return f"(CASE WHEN {rate} > 0 THEN {direct} ELSE {inverse} END)"


def identity_sql(cents: str, digits: int) -> str:
    """Hundredths already in the target currency, in its minor units."""
    if digits == 2:
        return cents
    return f"{cents} * {10 ** (digits - 2)}" if digits > 2 else convert_sql(cents, str(RATE_SCALE), digits)


def to_target_sql(cents: str, rate: str, same: str, digits: int) -> str:
    """`convert_sql`, skipped when the SQL condition `same` says the amount is already in the target."""
    identity = identity_sql(cents, digits)
    return f"(CASE WHEN {same} THEN {identity} ELSE {convert_sql(cents, rate, digits)} END)"


def missing_rate_error(currency: str, target: str, day: date, what: str) -> MissingRateError:
    """The error for a conversion without a rate, naming the pair, the date and the fix."""
    return MissingRateError(
        f"no {currency}->{target} exchange rate on or before {day.isoformat()} (needed for {what})",
        hint=f"add one with `soleflip fx set {currency} {target} RATE --date {day.isoformat()}` "
        "or load a file with `soleflip fx import FILE`",
    )
