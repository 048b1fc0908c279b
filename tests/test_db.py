"""db.connection_scope: the read-only unit of work of the stock reports."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from soleflip_cli import db
from soleflip_cli.errors import DatabaseError


def test_reads_on_one_connection_and_a_failure_is_a_database_error(engine: Engine) -> None:
    with db.connection_scope(engine) as conn:
        assert conn.execute(text("SELECT count(*) FROM inventory_items")).scalar() is not None
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
    with pytest.raises(DatabaseError, match="failed: server closed the connection unexpectedly") as info:
        with db.connection_scope(engine):
            raise lost
    assert info.value.__cause__ is lost and "reachable" in str(info.value.hint)
