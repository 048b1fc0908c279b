"""generic mappings: purchases keyed as the purchases format keys them; sales on the mapping's platform

Revision ID: 0008_generic_keys
Revises: 0007_import_batch_exported_at
Create Date: 2026-11-30 02:30:00.000000

A purchase imported through `[import.mappings.NAME]` was keyed `generic:NAME:<row>`: the same file
through another mapping, a renamed one or `--format purchases` came in again as new pairs. Its key
is now `purchases:<row>` whatever reads it. And a sales mapping without `platform` put its sales on
the platform `other`, shared by every such mapping: order 1001 of one shop overwrote order 1001 of
another. Such a mapping's platform is now its name, and the sales its batches wrote move there.
Where the new key is taken already (the same purchase imported both ways), the row keeps its old one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_generic_keys"
down_revision: str | None = "0007_import_batch_exported_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ITEMS = sa.table("inventory_items", sa.column("id", sa.Integer), sa.column("source_key", sa.String))
_SALES = sa.table(
    "sales",
    sa.column("id", sa.Integer),
    sa.column("platform", sa.String),
    sa.column("external_id", sa.String),
    sa.column("import_batch_id", sa.Integer),
)
_BATCHES = sa.table("import_batches", sa.column("id", sa.Integer), sa.column("format", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    keys = set(bind.execute(sa.select(_ITEMS.c.source_key).where(_ITEMS.c.source_key.is_not(None))).scalars())
    query = sa.select(_ITEMS.c.id, _ITEMS.c.source_key).where(_ITEMS.c.source_key.like("generic:%"))
    for ident, key in bind.execute(query).all():
        _, row, unit = key.rsplit(":", 2)  # generic:NAME:<identity>:<occurrence>#<pair>
        new = f"purchases:{row}:{unit}"
        if new not in keys:
            keys.add(new)
            bind.execute(sa.update(_ITEMS).where(_ITEMS.c.id == ident).values(source_key=new))
    taken = {(p, e) for p, e in bind.execute(sa.select(_SALES.c.platform, _SALES.c.external_id))}
    query = (
        sa.select(_SALES.c.id, _SALES.c.external_id, _BATCHES.c.format)
        .join(_BATCHES, _BATCHES.c.id == _SALES.c.import_batch_id)
        .where(_SALES.c.platform == "other", _BATCHES.c.format.like("generic:%"))
    )
    for ident, external, fmt in bind.execute(query).all():
        platform = fmt.split(":", 1)[1].casefold()
        if (platform, external) not in taken:
            taken.add((platform, external))
            bind.execute(sa.update(_SALES).where(_SALES.c.id == ident).values(platform=platform))


def downgrade() -> None:
    """Keys and platforms stay: the old ones were the bug (a downgrade keeps the data readable)."""
