"""Every import format fuzzed against a real database: a clean import or a clean refusal, never a crash.

A refusal is a result whose errors name lines, or a SoleflipError naming the file; either way the
database is exactly as before (every row of every table compared). Each format's valid sample is
imported first, so mutated files also take the update paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from soleflip_cli.errors import SoleflipError
from soleflip_cli.importers import ImportOptions, choose, reading
from soleflip_cli.models import Base
from soleflip_cli.services.import_ import import_file
from tests.importers.conftest import FIXTURES
from tests.importers.test_generic import GERMAN, SHOP
from tests.reliability.fuzz import IMPORT_EXAMPLES, examples
from tests.reliability.strategies import bad_files, read_table, write_table

OPTIONS = ImportOptions(today=date(2026, 12, 31), mappings={"shop": SHOP, "de": GERMAN})
NAME = "fuzzed-export.csv"


@dataclass(frozen=True)
class Sample:
    """A valid export file and how to import it."""

    file: str
    fmt: str
    mapping: str | None = None
    delimiter: str = ","

    def imported(self, session: Session, path: Path | None = None) -> Any:
        """import_file of this sample (or of `path` read the same way)."""
        return import_file(
            session,
            path or FIXTURES / self.file,
            name=NAME,
            fmt=self.fmt,
            mapping=self.mapping,
            options=OPTIONS,
        )


SAMPLES = [
    Sample("stockx-2022.csv", "stockx"),
    Sample("stockx-2025.csv", "stockx"),
    Sample("alias.csv", "alias"),
    Sample("ebay-orders.csv", "ebay-orders"),
    Sample("ebay-transactions.csv", "ebay-transactions"),
    Sample("contest.csv", "contest"),
    Sample("purchases.csv", "purchases"),
    Sample("generic-sales.csv", "generic", "shop"),
    Sample("generic-purchases-de.csv", "generic", "de", ";"),
]
FORMATS = ["stockx", "alias", "ebay-orders", "ebay-transactions", "contest", "purchases", "generic", "auto"]


def _samples(fmt: str) -> list[Sample]:
    if fmt == "auto":  # the same files, the format left to detection (mappings included)
        return [Sample(s.file, "auto", None, s.delimiter) for s in SAMPLES]
    return [s for s in SAMPLES if s.fmt == fmt]


def snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    return {
        table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
        for table in Base.metadata.sorted_tables
    }


@dataclass
class Seeded:
    """A connection in a transaction holding every valid sample, and a snapshot of that state."""

    conn: Connection
    before: dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def seeded(engine: Engine) -> Iterator[Seeded]:
    """Every valid sample imported, in a transaction rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        for sample in SAMPLES:
            assert sample.imported(session).written, sample.file
        session.commit()
        session.close()
        try:
            yield Seeded(conn, snapshot(conn))
        finally:
            outer.rollback()


def attempt(seeded: Seeded, path: Path, sample: Sample, blob: bytes) -> str:
    """Import `blob` as `sample`'s format; check it was all or nothing; say how it ended.

    Every attempt is rolled back, so each starts from the seeded state.
    """
    path.write_bytes(blob)
    conn = seeded.conn
    savepoint = conn.begin_nested()
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    try:
        try:
            result = sample.imported(session, path)
        except SoleflipError as exc:  # what the CLI turns into "Error: …" and an exit code
            session.rollback()
            assert NAME in str(exc), str(exc)
            outcome = "refused: " + type(exc).__name__
        else:
            assert result.file == NAME
            if result.written:
                assert result.error_count == 0 and result.batch_id is not None
                session.flush()
                outcome = "imported"
            else:
                assert result.error_count >= 1 and result.errors
                assert all(e.line >= 1 and e.message for e in result.errors)
                outcome = "rejected"
        if outcome != "imported":
            assert snapshot(conn) == seeded.before, "a refused file changed the database"
        return outcome
    finally:
        session.close()
        savepoint.rollback()


@pytest.mark.parametrize("fmt", FORMATS)
def test_any_file_is_imported_whole_or_refused_cleanly(
    fmt: str, engine: Engine, seeded: Seeded, tmp_path: Path
) -> None:
    samples = _samples(fmt)
    path = tmp_path / NAME

    @examples(IMPORT_EXAMPLES[engine.dialect.name])
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        sample = data.draw(st.sampled_from(samples), label="sample")
        blob = data.draw(bad_files((FIXTURES / sample.file).read_bytes(), sample.delimiter), label="file")
        event(attempt(seeded, path, sample, blob))

    fuzz()


# Nothing, text longer than any column, text that grows when lower-cased (product keys), a huge amount.
SWEEP = ["", "x" * 400, "İ" * 150, "9" * 15]


def _parsed(sample: Sample, path: Path, rows: list[list[str]]) -> list[Any]:
    """What the importer makes of these rows (records and errors), without a database."""
    path.write_bytes(write_table(rows, sample.delimiter))
    source = reading.prepare(path, NAME)
    importer, table = choose(source, sample.fmt, sample.mapping, OPTIONS)
    return list(importer.parse(table))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.file)
def test_every_column_takes_hostile_values(
    sample: Sample, engine: Engine, seeded: Seeded, tmp_path: Path
) -> None:
    """Each column the importer reads, in turn, gets each hostile value in an otherwise valid row."""
    path = tmp_path / NAME
    rows = read_table((FIXTURES / sample.file).read_bytes(), sample.delimiter)
    header, first = [i for i, row in enumerate(rows) if len([c for c in row if c]) > 3][:2]
    baseline = _parsed(sample, path, rows)

    def mutated(column: int, value: str) -> list[list[str]]:
        copy = [list(row) for row in rows]
        copy[first][column] = value
        return copy

    read = [c for c in range(len(rows[header])) if _parsed(sample, path, mutated(c, SWEEP[1])) != baseline]
    assert len(read) >= 4, read
    outcomes = {
        attempt(seeded, path, sample, write_table(mutated(column, value), sample.delimiter))
        for column in read
        for value in SWEEP
    }
    assert outcomes == {"imported", "rejected"}  # some values are fine somewhere, none crash
