"""import batches: when the file was exported, when its name says so

Revision ID: 0007_import_batch_exported_at
Revises: 0006_market_sales_key_order
Create Date: 2026-11-29 18:30:00.000000

StockX names its downloads `stockx_historical_seller_sales_report_<uuid>_<epoch-ms>.csv`. Importing
an older export after a newer one reverted the newer values (a corrected fee, a payout date); with the
export time of each batch, a row last written from a newer export keeps its values.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_import_batch_exported_at"
down_revision: str | None = "0006_market_sales_key_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("import_batches", sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.drop_column("exported_at")
