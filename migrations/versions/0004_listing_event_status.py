"""listing events: the listing status before and after each change

Revision ID: 0004_listing_event_status
Revises: 0003_reports_views
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_listing_event_status'
down_revision: str | None = '0003_reports_views'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('listing_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('old_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('new_status', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('listing_events', schema=None) as batch_op:
        batch_op.drop_column('new_status')
        batch_op.drop_column('old_status')
