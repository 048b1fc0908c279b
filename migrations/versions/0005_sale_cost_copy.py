"""sales carry their pair's cost (kept by triggers), and indexes for reports

Revision ID: 0005_sale_cost_copy
Revises: 0004_listing_event_status
Create Date: 2026-11-28 12:00:00.000000

`sales.cost_price`, `cost_currency` and `cost_date` always equal the `purchase_price`,
`purchase_currency` and `purchase_date` of the pair in `inventory_item_id` (all NULL without one).
Triggers keep them so on every write path: a sale inserted or (re)linked, a pair's cost edited, a pair
deleted (ON DELETE SET NULL relinks the sale). Reports then read one table, in `sold_at` order through
`ix_sales_report`, instead of joining a million pairs; `ix_sales_left_out` holds the few cancelled and
returned sales they count apart.

A later migration that rebuilds `sales` or `inventory_items` on SQLite (batch mode) drops their
triggers: it must create them again (`create_triggers`); tests/test_sale_cost.py fails otherwise.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_sale_cost_copy"
down_revision: str | None = "0004_listing_event_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPORT_INDEX_COLUMNS = [
    "sold_at",
    "status",
    "inventory_item_id",
    "platform",
    "currency",
    "sale_price",
    "payout",
    "fees_total",
    "vat_amount",
    "quantity",
    "cost_price",
    "cost_currency",
    "cost_date",
]
_COPY = (
    "SELECT purchase_price, purchase_currency, purchase_date FROM inventory_items "
    "WHERE id = {sale}.inventory_item_id"
)
LEFT_OUT = "status IN ('cancelled', 'canceled', 'returned', 'refunded', 'didnotship', 'authfailed')"
# Rows whose cost columns may be wrong: linked to a pair, or carrying a cost without one.
_STALE = (
    "NEW.inventory_item_id IS NOT NULL OR NEW.cost_price IS NOT NULL OR NEW.cost_currency IS NOT NULL "
    "OR NEW.cost_date IS NOT NULL"
)
BACKFILL = (
    "UPDATE sales SET (cost_price, cost_currency, cost_date) = ("
    + _COPY.format(sale="sales")
    + ") WHERE inventory_item_id IS NOT NULL"
)
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER sales_cost_on_insert AFTER INSERT ON sales WHEN {_STALE}
    BEGIN
        UPDATE sales SET (cost_price, cost_currency, cost_date) = ({_COPY.format(sale="NEW")})
        WHERE id = NEW.id;
    END""",
    f"""CREATE TRIGGER sales_cost_on_link AFTER UPDATE OF inventory_item_id ON sales
    BEGIN
        UPDATE sales SET (cost_price, cost_currency, cost_date) = ({_COPY.format(sale="NEW")})
        WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER inventory_items_cost_to_sale
    AFTER UPDATE OF purchase_price, purchase_currency, purchase_date ON inventory_items
    BEGIN
        UPDATE sales SET cost_price = NEW.purchase_price, cost_currency = NEW.purchase_currency,
            cost_date = NEW.purchase_date
        WHERE inventory_item_id = NEW.id;
    END""",
]
# OR REPLACE: a restore drops the tables (and their triggers) of a schema, not its functions.
POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION sales_copy_cost() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT purchase_price, purchase_currency, purchase_date
            INTO NEW.cost_price, NEW.cost_currency, NEW.cost_date
            FROM inventory_items WHERE id = NEW.inventory_item_id;
        RETURN NEW;
    END $$""",
    f"""CREATE TRIGGER sales_cost BEFORE INSERT OR UPDATE OF inventory_item_id ON sales
    FOR EACH ROW WHEN ({_STALE}) EXECUTE FUNCTION sales_copy_cost()""",
    """CREATE OR REPLACE FUNCTION inventory_items_copy_cost() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE sales SET cost_price = NEW.purchase_price, cost_currency = NEW.purchase_currency,
            cost_date = NEW.purchase_date
        WHERE inventory_item_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER inventory_items_cost_to_sale
    AFTER UPDATE OF purchase_price, purchase_currency, purchase_date ON inventory_items
    FOR EACH ROW EXECUTE FUNCTION inventory_items_copy_cost()""",
]
DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS sales_cost_on_insert",
        "DROP TRIGGER IF EXISTS sales_cost_on_link",
        "DROP TRIGGER IF EXISTS inventory_items_cost_to_sale",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS sales_cost ON sales",
        "DROP TRIGGER IF EXISTS inventory_items_cost_to_sale ON inventory_items",
        "DROP FUNCTION IF EXISTS sales_copy_cost()",
        "DROP FUNCTION IF EXISTS inventory_items_copy_cost()",
    ],
}


def create_triggers() -> None:
    """The triggers that keep the sales' cost columns equal to their pair's (SQLite or PostgreSQL)."""
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cost_price", sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column("cost_currency", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("cost_date", sa.Date(), nullable=True))
    op.execute(BACKFILL)
    create_triggers()
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_sold_at_status_item")
        batch_op.create_index("ix_sales_report", REPORT_INDEX_COLUMNS, unique=False)
        batch_op.create_index(
            "ix_sales_left_out",
            ["sold_at", "status"],
            unique=False,
            sqlite_where=sa.text(LEFT_OUT),
            postgresql_where=sa.text(LEFT_OUT),
        )


def downgrade() -> None:
    for statement in DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_left_out")
        batch_op.drop_index("ix_sales_report")
        batch_op.create_index(
            "ix_sales_sold_at_status_item", ["sold_at", "status", "inventory_item_id"], unique=False
        )
        batch_op.drop_column("cost_date")
        batch_op.drop_column("cost_currency")
        batch_op.drop_column("cost_price")
