"""Alembic environment: the connection comes from soleflip (or its settings for the alembic CLI)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from soleflip_cli.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # Batch migrations rebuild a table and rename it into place; SQLite >= 3.26 then re-checks every
        # view and fails while the table is away. The report views (0003) need the pre-3.26 rename.
        connection.exec_driver_sql("PRAGMA legacy_alter_table=ON")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run with the connection soleflip passed in, else one built from the settings."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from soleflip_cli.config import load_settings
    from soleflip_cli.db import make_engine

    loaded = load_settings()
    url = loaded.settings.database_url or f"sqlite:///{loaded.paths.default_database}"
    with make_engine(url).connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    raise SystemExit("soleflip migrations run online only")
run_migrations_online()
