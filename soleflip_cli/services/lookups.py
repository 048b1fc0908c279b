"""Bulk lookups by IN list: on PostgreSQL planned for their own values, never with a generic plan."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session


@contextmanager
def planned_for_values(session: Session) -> Iterator[None]:
    """Statements run inside are planned for their parameters' values on PostgreSQL (a no-op on SQLite).

    psycopg prepares a statement once it has run 5 times, and PostgreSQL may then plan it once for
    any values. For `platform = $1 AND external_id IN ($2, …)` on a table filled by this very import
    (no statistics yet) that plan compares every row of the platform with the list, value by value:
    a first import of 40,000 sales took 50 s on PostgreSQL against 9 s on SQLite. Planned for their
    values, the lists are hashed. Keep only lookups inside: the statements of the sales table's
    trigger, run per inserted row, would be planned again for each row.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    yield  # on an error the transaction is rolled back, and the setting with it: nothing to reset
    if postgres:
        session.execute(text("SET LOCAL plan_cache_mode TO DEFAULT"))
