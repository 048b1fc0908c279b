"""db.connection_scope (the read-only unit of work of the stock reports) and db.session_scope."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import Column, Engine, Integer, event, text
from sqlalchemy.exc import OperationalError

from soleflip_cli import db
from soleflip_cli.errors import DatabaseError
from soleflip_cli.models import Supplier


def test_reads_on_one_connection_and_a_failure_is_a_database_error(engine: Engine) -> None:
    with db.connection_scope(engine) as conn:
        assert conn.execute(text("SELECT count(*) FROM inventory_items")).scalar() is not None
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
    with pytest.raises(DatabaseError, match="failed: server closed the connection unexpectedly") as info:
        with db.connection_scope(engine):
            raise lost
    assert info.value.__cause__ is lost and "reachable" in str(info.value.hint)


def test_ctrl_c_during_a_commit_is_raised_once_it_is_done(engine: Engine) -> None:
    """A commit is never cut off half-way: the session is committed, then KeyboardInterrupt (exit 130)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # also when run with SIGINT ignored

    def ctrl_c(conn: object) -> None:
        signal.raise_signal(signal.SIGINT)

    event.listen(engine, "commit", ctrl_c)
    try:
        with pytest.raises(KeyboardInterrupt), db.session_scope(engine) as session:
            session.add(Supplier(name="Ctrl-C Kicks", kind="retail"))
    finally:
        event.remove(engine, "commit", ctrl_c)
        signal.signal(signal.SIGINT, before)
    with engine.begin() as conn:
        assert conn.scalar(text("SELECT count(*) FROM suppliers WHERE name = 'Ctrl-C Kicks'")) == 1
        conn.execute(text("DELETE FROM suppliers WHERE name = 'Ctrl-C Kicks'"))  # a shared database


@pytest.mark.parametrize("kind", ["operational", "other"])
def test_a_driver_error_raised_while_ctrl_c_is_handled_is_the_interrupt(engine: Engine, kind: str) -> None:
    """psycopg's pipeline cut by Ctrl-C fails to close ("cannot exit pipeline mode while busy"): exit 130."""
    dbapi = engine.dialect.loaded_dbapi
    error = dbapi.OperationalError if kind == "operational" else dbapi.ProgrammingError
    with pytest.raises(KeyboardInterrupt), db.session_scope(engine) as session:
        session.add(Supplier(name="kept only if committed"))
        session.flush()
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise error("cannot exit pipeline mode while busy") from None  # noqa: B904 - as psycopg does
    with db.session_scope(engine) as session:
        assert session.query(Supplier).filter_by(name="kept only if committed").count() == 0


def test_sigterm_during_a_commit_is_acted_on_once_it_is_done(engine: Engine) -> None:
    """As Ctrl-C: the commit completes, then terminate's Terminated (exit 143)."""
    from soleflip_cli.terminate import Terminated, terminable

    def term(conn: object) -> None:
        signal.raise_signal(signal.SIGTERM)

    event.listen(engine, "commit", term)
    try:
        with pytest.raises(Terminated), terminable(), db.session_scope(engine) as session:
            session.add(Supplier(name="SIGTERM Kicks", kind="retail"))
    finally:
        event.remove(engine, "commit", term)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with engine.begin() as conn:
        assert conn.scalar(text("SELECT count(*) FROM suppliers WHERE name = 'SIGTERM Kicks'")) == 1
        conn.execute(text("DELETE FROM suppliers WHERE name = 'SIGTERM Kicks'"))  # a shared database


def test_ctrl_c_inside_a_temporary_table_block_stays_a_ctrl_c(engine: Engine) -> None:
    """The statement Ctrl-C cut leaves the connection unusable: no PendingRollbackError traceback over it."""
    cut: list[bool] = []

    def ctrl_c_once(*args: object) -> None:
        if not cut:
            cut.append(True)
            raise KeyboardInterrupt

    with engine.connect() as conn:
        with pytest.raises(KeyboardInterrupt):
            with db.temporary_table(conn, "t_cut", [Column("a", Integer, primary_key=True)], [{"a": 1}]):
                event.listen(engine, "before_cursor_execute", ctrl_c_once)
                try:
                    conn.execute(text("SELECT 1"))
                finally:
                    event.remove(engine, "before_cursor_execute", ctrl_c_once)


def test_sigterm_during_a_transactions_commit_is_acted_on_once_it_is_done(engine: Engine) -> None:
    """db copy and db restore: a copy committed is never reported as stopped half-way."""
    from soleflip_cli.errors import TerminatedRunError
    from soleflip_cli.terminate import terminable

    def term(conn: object) -> None:
        signal.raise_signal(signal.SIGTERM)

    event.listen(engine, "commit", term)
    try:
        with (
            pytest.raises(TerminatedRunError, match="terminated just after its changes were committed"),
            terminable(),
            db.transaction(engine) as conn,
        ):
            conn.execute(
                text(
                    "INSERT INTO suppliers (name, kind, created_at, updated_at) "
                    "VALUES ('Copied', 'retail', '2024-01-01', '2024-01-01')"
                )
            )
    finally:
        event.remove(engine, "commit", term)
    with engine.begin() as conn:
        assert conn.scalar(text("SELECT count(*) FROM suppliers WHERE name = 'Copied'")) == 1
        conn.execute(text("DELETE FROM suppliers WHERE name = 'Copied'"))  # a shared database


def test_a_failed_transaction_is_rolled_back(engine: Engine) -> None:
    with pytest.raises(ZeroDivisionError), db.transaction(engine) as conn:
        conn.execute(
            text(
                "INSERT INTO suppliers (name, kind, created_at, updated_at) "
                "VALUES ('Never', 'retail', '2024-01-01', '2024-01-01')"
            )
        )
        raise ZeroDivisionError
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM suppliers WHERE name = 'Never'")) == 0
