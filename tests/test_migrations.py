"""Migrations run from empty on SQLite and PostgreSQL and match the models exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, inspect

from soleflip_cli import db
from soleflip_cli.models import Base
from tests.conftest import Cli


def test_head_revision_matches_alembic() -> None:
    config = Config()
    config.set_main_option("script_location", str(db.migrations_dir()))
    assert ScriptDirectory.from_config(config).get_current_head() == db.head_revision()


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_first_use_creates_schema_and_says_so(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'new.db'}")
    first = cli("db", "status", "--json")
    assert '"current": null' in first.stdout
    upgraded = cli("db", "upgrade")
    assert upgraded.exit_code == 0
    assert "Creating the database schema" in upgraded.stderr
    again = cli("db", "status", "--json")
    assert '"up_to_date": true' in again.stdout


def test_unreachable_postgres_is_a_clear_error() -> None:
    result = Cli("postgresql+psycopg://nobody@127.0.0.1:1/none")("db", "status")
    assert result.exit_code == 1
    assert "cannot open the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_an_interrupted_first_migration_leaves_no_half_schema(tmp_path: Path) -> None:
    """Ctrl-C while the schema is created (at its 8th CREATE TABLE) keeps nothing; the next run migrates."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    created: list[str] = []

    def interrupt(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("CREATE TABLE"):
            created.append(statement)
            if len(created) == 8:
                raise KeyboardInterrupt

    event.listen(engine, "before_cursor_execute", interrupt)
    with pytest.raises(KeyboardInterrupt):
        db.ensure_schema(engine, lambda _: None)
    event.remove(engine, "before_cursor_execute", interrupt)
    assert inspect(engine).get_table_names() == []  # the 7 tables created before were rolled back
    assert db.ensure_schema(engine, lambda _: None).up_to_date
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # the pooled connection as before
    engine.dispose()


def test_a_file_that_is_no_database_says_so_without_a_server_hint(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database, just text " * 10)
    result = Cli(f"sqlite:///{junk}")("import", "history")
    assert result.exit_code == 1 and "file is not a database" in result.stderr
    assert "server" not in result.stderr and "that the file is a soleflip database" in result.stderr
