"""IN-list lookups on PostgreSQL are planned for their values inside `planned_for_values`, and only there."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from soleflip_cli.services.lookups import planned_for_values


def test_lookups_are_planned_for_their_values_and_the_rest_keeps_the_default(session: Session) -> None:
    postgres = session.get_bind().dialect.name == "postgresql"

    def mode() -> str | None:
        return session.execute(text("SHOW plan_cache_mode")).scalar_one() if postgres else None

    before = mode()
    with planned_for_values(session):
        assert mode() == ("force_custom_plan" if postgres else None)
        session.execute(text("SELECT 1"))
    assert mode() == before  # the sales trigger's statements, run per row, keep their cached plans
    assert before in ("auto", None)


def test_an_error_inside_is_the_error_raised(session: Session) -> None:
    """Not a failed reset on the aborted transaction: the caller maps the real error (a timeout, ...)."""
    import pytest
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as raised, planned_for_values(session):
        session.execute(text("SELECT * FROM no_such_table"))
    assert "no_such_table" in str(raised.value)
