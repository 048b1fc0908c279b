"""import batches: when the file was exported, when its name says so

Revision ID: 0007_import_batch_exported_at
Revises: 0006_market_sales_key_order
Create Date: 2026-11-29 18:30:00.000000

StockX names its downloads `stockx_historical_seller_sales_report_<uuid>_<epoch-ms>.csv`. Importing
an older export after a newer one reverted the newer values (a corrected fee, a payout date); with the
export time of each batch, a row last written from a newer export keeps its values. Batches of StockX
files imported before get theirs from the file names they were imported under.
"""

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0007_import_batch_exported_at"
down_revision: str | None = "0006_market_sales_key_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# As importers.stockx reads a download's name (kept here as it was: migrations never change).
_EXPORTED = re.compile(r"_(\d{13})\.csv$", re.IGNORECASE)
_FIRST_EXPORT = datetime(2015, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    op.add_column("import_batches", sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    batches = sa.table(
        "import_batches",
        sa.column("id", sa.Integer),
        sa.column("file_name", sa.String),
        sa.column("format", sa.String),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("exported_at", sa.DateTime(timezone=True)),
    )
    found = bind.execute(
        sa.select(batches.c.id, batches.c.file_name, batches.c.started_at).where(batches.c.format == "stockx")
    )
    for ident, name, started in found.all():
        if (match := _EXPORTED.search(name.replace("\\", "/").rsplit("/", 1)[-1])) is None:
            continue
        when = datetime.fromtimestamp(int(match[1]) / 1000, tz=UTC)
        imported = started if started.tzinfo else started.replace(tzinfo=UTC)
        if _FIRST_EXPORT <= when <= imported + timedelta(days=1):  # exported before it was imported
            value = when.replace(tzinfo=None) if bind.dialect.name == "sqlite" else when
            bind.execute(sa.update(batches).where(batches.c.id == ident).values(exported_at=value))


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.drop_column("exported_at")
