"""Big market-sales files are parsed in a forked process: same rows, errors and failures as in-process.

`started` is tested on its own (messages in order, the child's exceptions raised here, a dead child
noticed, nothing left running); then whole imports, forced through the fork or kept in-process, on
both databases must store exactly the same rows and report the same errors.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from soleflip_cli.importers import ImportOptions, choose, reading
from soleflip_cli.importers.base import MarketSaleRecord
from soleflip_cli.models import MarketSale, Product, Variant
from soleflip_cli.services import import_, import_worker
from soleflip_cli.services.import_ import ImportResult, import_file
from soleflip_cli.services.import_market_rows import MarketRows
from tests.reliability.procs import children
from tests.services.test_import_market_bulk import HEADER, NAMES, _contest

pytestmark = pytest.mark.skipif(not import_worker.available(), reason="the worker forks (Linux only)")


def _run(works: list[Any], receive: Callable[[int, Any], None]) -> list[Any]:
    with import_worker.started(works) as collect:
        return collect(receive)


def _collect(work: Callable[[Callable[[Any], None]], Any]) -> tuple[list[Any], Any]:
    got: list[Any] = []
    [result] = _run([work], lambda index, message: got.append(message))
    assert children(os.getpid()) == []  # the child was reaped
    return got, result


def test_several_children_each_send_in_order() -> None:
    def counts(part: int) -> Callable[[Callable[[Any], None]], Any]:
        def work(send: Callable[[Any], None]) -> int:
            for n in range(2000):
                send((part, n, "y" * 300))
            return part * 10

        return work

    got: dict[int, list[int]] = {0: [], 1: [], 2: []}

    def receive(index: int, message: Any) -> None:
        assert message[0] == index
        got[index].append(message[1])

    assert _run([counts(p) for p in range(3)], receive) == [0, 10, 20]
    assert got == {p: list(range(2000)) for p in range(3)}
    assert children(os.getpid()) == []


def test_messages_arrive_in_order_then_the_result() -> None:
    def work(send: Callable[[Any], None]) -> str:
        for n in range(3000):
            send(("chunk", n, "x" * 500))  # more than a pipe's buffer in all
        return "finished"

    got, result = _collect(work)
    assert [m[1] for m in got] == list(range(3000)) and result == "finished"


def test_the_childs_exception_is_raised_here() -> None:
    def fails(send: Callable[[Any], None]) -> None:
        send(1)
        raise ValueError("line 7: bad date")

    with pytest.raises(ValueError, match="line 7: bad date"):
        _collect(fails)

    def interrupted(send: Callable[[Any], None]) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _collect(interrupted)


def test_an_exception_that_cannot_travel_comes_with_its_traceback() -> None:
    class Local(Exception):
        """Defined in a function: pickle cannot find it again."""

    def fails(send: Callable[[Any], None]) -> None:
        raise Local("no pickling me")

    with pytest.raises(import_worker.WorkerError, match=r"(?s)parsing process failed.*no pickling me"):
        _collect(fails)


def test_a_child_that_dies_without_a_word_is_an_error() -> None:
    def dies(send: Callable[[Any], None]) -> None:
        send(1)
        os._exit(3)

    with pytest.raises(import_worker.WorkerError, match="stopped without finishing"):
        _collect(dies)


def test_an_error_here_stops_the_child() -> None:
    def endless(send: Callable[[Any], None]) -> None:
        while True:
            send("x" * 10_000)

    def receive(message: Any) -> None:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        _run([endless, endless], lambda index, message: receive(message))
    assert children(os.getpid()) == []


def test_a_child_per_cpu_but_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for cpus, parts, forks in ((1, 1, False), (2, 1, True), (3, 2, True), (16, import_.MAX_PARTS, True)):
        monkeypatch.setattr(import_worker, "cores", lambda cpus=cpus: cpus)
        assert (import_._parts(), import_worker.available()) == (parts, forks)


# ---- whole imports, forked or not ------------------------------------------------------------------

ROWS = 3000  # small: the fork is forced by lowering FORK_LINES


@pytest.fixture(params=[2, 3], ids=["1 child", "2 children"])
def cpus(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """The CPUs the import sees: a child per CPU but one (see import_._parts)."""
    monkeypatch.setattr(import_worker, "cores", lambda: request.param)
    return int(request.param)


def _import(session: Session, path: Path, fork: bool, mp: pytest.MonkeyPatch, **kw: Any) -> ImportResult:
    mp.setattr(import_, "FORK_LINES", 0 if fork else 10**9)
    forks: list[int] = []
    original = import_worker.started

    def spy(works: Any) -> Any:
        forks.append(len(works))
        return original(works)

    mp.setattr(import_worker, "started", spy)
    result = import_file(session, path, fmt="contest", **kw)
    assert forks == ([import_worker.cores() - 1] if fork else [])
    return result


def _stored(session: Session) -> list[tuple[Any, ...]]:
    rows = session.execute(
        select(
            MarketSale.row_key,
            MarketSale.sale_date,
            MarketSale.sale_price,
            MarketSale.currency,
            MarketSale.region,
            Product.name,
            Variant.size,
        )
        .join(Product, Product.id == MarketSale.product_id)
        .join(Variant, Variant.id == MarketSale.variant_id)
    )
    return sorted(tuple(r) for r in rows)  # children's chunks arrive interleaved: ids follow arrival


def test_forked_and_in_process_imports_store_the_same_rows(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpus: int
) -> None:
    path = _contest(tmp_path / "a.csv", 0, ROWS)
    monkeypatch.setattr(import_, "CHUNK", 500)  # several chunks in each child: progress to report
    lines: list[int] = []
    forked = _import(session, path, True, monkeypatch, progress=lambda line, _total: lines.append(line))
    assert (forked.rows, forked.inserted, forked.error_count) == (ROWS, ROWS, 0)
    assert lines == sorted(lines) and lines[-1] > ROWS // 2  # progress came through the pipes
    rows = _stored(session)
    session.rollback()

    in_process = _import(session, path, False, monkeypatch)
    assert (in_process.rows, in_process.inserted) == (ROWS, ROWS)
    assert _stored(session) == rows and len(rows) == ROWS

    again = _import(session, path, True, monkeypatch)
    assert (again.inserted, again.unchanged) == (0, ROWS)


def test_forked_import_reports_bad_rows_like_in_process(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpus: int
) -> None:
    path = _contest(tmp_path / "bad.csv", 0, ROWS, bad_line=ROWS - 10)
    results = [_import(session, path, fork, monkeypatch) for fork in (True, False)]
    for result in results:
        assert (result.error_count, result.rejected, result.batch_id) == (1, 1, None)
    assert results[0].errors == results[1].errors
    assert (results[0].errors[0].line, results[0].errors[0].column) == (ROWS - 10, "Sale Price")
    assert _stored(session) == []

    skipped = _import(session, path, True, monkeypatch, skip_bad_rows=True)
    assert (skipped.inserted, skipped.rejected, skipped.error_count) == (ROWS - 1, 1, 1)
    assert len(_stored(session)) == ROWS - 1


def test_a_failure_in_the_forked_parse_writes_nothing(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpus: int
) -> None:
    path = _contest(tmp_path / "a.csv", 0, ROWS)
    calls = 0
    take = MarketRows.take

    def fails_late(self: MarketRows) -> Any:
        nonlocal calls
        calls += 1  # in each child, from 0
        if calls > 1:
            raise MemoryError("out of memory while parsing")
        return take(self)

    monkeypatch.setattr(MarketRows, "take", fails_late)
    monkeypatch.setattr(import_, "CHUNK", 500)  # several chunks in each child
    with pytest.raises(MemoryError, match="while parsing"):
        _import(session, path, True, monkeypatch)
    session.rollback()
    assert _stored(session) == []
    assert children(os.getpid()) == []


def _repeating(path: Path, count: int, long_cells: dict[int, str] | None = None) -> Path:
    """Rows that repeat their cells (and whole rows), some optional cells empty, as real files do.

    `long_cells` maps a line to the column (Buyer Region or Shoe Size) given a value too long for
    the database there; the same long value repeats on every such line.
    """
    lines = [HEADER]
    for n in range(count):
        line = n + 2
        retail, released = ("", "") if n % 7 == 0 else ("$220", "9/24/16")
        size = "1" * 41 if (long_cells or {}).get(line) == "Shoe Size" else str(4 + n % 3)
        region = "R" * 61 if (long_cells or {}).get(line) == "Buyer Region" else ("", "Ohio", "Oregon")[n % 3]
        price = f'"${1000 + n % 5:,}"'
        lines.append(f"{1 + n % 3}/1/18,Yeezy,{NAMES[n % 3]},{price},{retail},{released},{size},{region}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _parsed(path: Path) -> list[tuple[Any, ...]]:
    """What the contest importer's records say should be stored (the reference for encode_part)."""
    source = reading.prepare(path, path.name)
    importer, rows = choose(source, "contest", None, ImportOptions())
    records = [r for r in importer.parse(rows) if isinstance(r, MarketSaleRecord)]
    return sorted(
        (r.row_key, r.sale_date, r.sale_price, r.currency, r.region, r.name, r.size) for r in records
    )


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "in-process"])
def test_encoded_rows_are_the_parsed_records(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpus: int, fork: bool
) -> None:
    """encode_part (rows without records) stores exactly what parse's records hold, repeats numbered."""
    path = _repeating(tmp_path / "repeats.csv", ROWS)
    monkeypatch.setattr(import_, "CHUNK", 500)
    result = _import(session, path, fork, monkeypatch)
    assert (result.rows, result.inserted, result.error_count) == (ROWS, ROWS, 0)
    expected = _parsed(path)
    assert _stored(session) == expected and len(expected) == ROWS
    assert len({key.rsplit(":", 1)[0] for key, *_ in expected}) < ROWS // 10  # mostly repeats


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "in-process"])
def test_a_repeated_cell_too_long_for_its_column_rejects_every_row(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpus: int, fork: bool
) -> None:
    """Rows taken from remembered cells skip the database-limit check: a too-long cell is never remembered."""
    long_cells = dict.fromkeys(range(5, ROWS, 97), "Buyer Region")
    long_cells |= dict.fromkeys(range(40, ROWS, 89), "Shoe Size")
    path = _repeating(tmp_path / "long.csv", ROWS, long_cells)
    result = _import(session, path, fork, monkeypatch)
    assert (result.error_count, result.rejected, result.batch_id) == (len(long_cells), len(long_cells), None)
    expected = sorted(long_cells.items())[: import_.MAX_ERRORS]  # errors name the file's columns
    assert [(e.line, e.column) for e in result.errors] == expected
    assert _stored(session) == []

    skipped = _import(session, path, fork, monkeypatch, skip_bad_rows=True)
    assert (skipped.inserted, skipped.rejected) == (ROWS - len(long_cells), len(long_cells))
    assert len(_stored(session)) == ROWS - len(long_cells)
