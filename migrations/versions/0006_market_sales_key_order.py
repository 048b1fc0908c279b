"""market sales: the unique key is an index led by row_key, compared byte-wise on PostgreSQL

Revision ID: 0006_market_sales_key_order
Revises: 0005_sale_cost_copy
Create Date: 2026-11-29 07:00:00.000000

A big first load of market sales takes the table's unique key and indexes off and builds them once at
the end. Led by `source` (one value per file), the old key sorted every row by comparing `source` and
then `row_key` through the database's locale; led by `row_key` (a hex digest) under the "C" collation,
PostgreSQL sorts on abbreviated keys: the rebuild costs a third as much. As a unique index rather than
a table constraint, SQLite can drop and rebuild it as well (it cannot drop a constraint). Lookups by
(source, row_key) and ON CONFLICT (source, row_key) use either order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0006_market_sales_key_order"
down_revision: str | None = "0005_sale_cost_copy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "uq_market_sales_source_row_key", "uq_market_sales_row_key_source"


def _collation(batch_op: BatchOperations, collation: str | None) -> None:
    """row_key's collation on PostgreSQL (SQLite compares bytes anyway)."""
    if op.get_bind().dialect.name == "postgresql":
        batch_op.alter_column(
            "row_key",
            existing_type=sa.String(length=80),
            type_=sa.String(length=80, collation=collation),
            existing_nullable=False,
        )


def upgrade() -> None:
    with op.batch_alter_table("market_sales", schema=None) as batch_op:
        batch_op.drop_constraint(OLD, type_="unique")
        _collation(batch_op, "C")
    op.create_index(NEW, "market_sales", ["row_key", "source"], unique=True)


def downgrade() -> None:
    op.drop_index(NEW, table_name="market_sales")
    with op.batch_alter_table("market_sales", schema=None) as batch_op:
        _collation(batch_op, None)
        batch_op.create_unique_constraint(OLD, ["source", "row_key"])
