"""A second run on the same database gets LockedError (exit 5) at once."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from soleflip_cli.errors import LockedError
from soleflip_cli.locking import run_lock


def test_second_holder_is_refused(engine: Engine) -> None:
    with run_lock(engine, "sync"):
        with pytest.raises(LockedError) as info:
            with run_lock(engine, "sync"):
                pass
        assert info.value.exit_code == 5
        with run_lock(engine, "import"):  # another job's lock is independent
            pass
    with run_lock(engine, "sync"):  # released
        pass
