"""import: payment transactions, purchase row hashes

Revision ID: 0002_import_payments
Revises: 0001
Create Date: 2026-11-27 21:51:55.335349
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_import_payments'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('payment_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=30), nullable=False),
    sa.Column('row_key', sa.String(length=128), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('order_number', sa.String(length=128), nullable=True),
    sa.Column('item_id', sa.String(length=64), nullable=True),
    sa.Column('net_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('gross_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('fees_total', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('fee_lines', sa.Text(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payout_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payout_id', sa.String(length=64), nullable=True),
    sa.Column('sale_id', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_payment_transactions_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_payment_transactions_sale_id_sales'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_transactions')),
    sa.UniqueConstraint('platform', 'row_key', name=op.f('uq_payment_transactions_platform_row_key'))
    )
    with op.batch_alter_table('payment_transactions', schema=None) as batch_op:
        batch_op.create_index('ix_payment_transactions_platform_order', ['platform', 'order_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_transactions_sale_id'), ['sale_id'], unique=False)

    with op.batch_alter_table('inventory_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_hash', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('inventory_items', schema=None) as batch_op:
        batch_op.drop_column('content_hash')

    with op.batch_alter_table('payment_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_transactions_sale_id'))
        batch_op.drop_index('ix_payment_transactions_platform_order')

    op.drop_table('payment_transactions')
