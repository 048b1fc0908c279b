"""report views for BI tools, and lookup indexes for reports

Revision ID: 0003_reports_views
Revises: 0002_import_payments
Create Date: 2026-11-28 10:00:00.000000

Views: v_sales_enriched (one row per sale with its pair's cost), v_inventory_status (one row per
pair) and v_monthly_kpis (per UTC month and sale currency). Amounts stay in their own currency;
`soleflip report` converts them. Sale status classes: cancelled/canceled/didnotship/authfailed are
'cancelled', returned/refunded are 'returned', anything else is a 'sale'.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_reports_views'
down_revision: str | None = '0002_import_payments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Dialect-specific expressions; everything else in the views is portable SQL.
_DIALECT = {
    "sqlite": {
        "sold_date": "date(s.sold_at)",
        "sold_month": "strftime('%Y-%m', s.sold_at)",
        "sold_week": "date(s.sold_at, '-6 days', 'weekday 1')",
        "days_to_sell": "CAST(julianday(date(s.sold_at)) - julianday(i.purchase_date) AS INTEGER)",
        "days_in_stock": "CAST(julianday(COALESCE(s.sold_date, date('now'))) - julianday(i.purchase_date) AS INTEGER)",
    },
    "postgresql": {
        "sold_date": "(s.sold_at AT TIME ZONE 'UTC')::date",
        "sold_month": "to_char(s.sold_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        "sold_week": "date_trunc('week', s.sold_at AT TIME ZONE 'UTC')::date",
        "days_to_sell": "((s.sold_at AT TIME ZONE 'UTC')::date - i.purchase_date)",
        "days_in_stock": "(COALESCE(s.sold_date, (now() AT TIME ZONE 'UTC')::date) - i.purchase_date)",
    },
}

_PAYOUT = "COALESCE(s.payout, s.sale_price - COALESCE(s.fees_total, 0))"

V_SALES_ENRICHED = f"""
CREATE VIEW v_sales_enriched AS
SELECT
    s.id AS sale_id,
    s.platform,
    s.external_id AS order_id,
    s.status,
    CASE
        WHEN s.status IN ('cancelled', 'canceled', 'didnotship', 'authfailed') THEN 'cancelled'
        WHEN s.status IN ('returned', 'refunded') THEN 'returned'
        ELSE 'sale'
    END AS status_class,
    s.sold_at,
    {{sold_date}} AS sold_date,
    {{sold_month}} AS sold_month,
    {{sold_week}} AS sold_week,
    s.quantity,
    COALESCE(s.item_name, p.name) AS item_name,
    COALESCE(p.sku, s.sku) AS sku,
    p.brand,
    COALESCE(v.size_norm, s.size) AS size,
    s.currency,
    s.sale_price,
    s.sale_price - {_PAYOUT} AS fees,
    {_PAYOUT} AS payout,
    s.vat_amount AS vat,
    s.inventory_item_id,
    CASE WHEN s.inventory_item_id IS NULL THEN 0 ELSE 1 END AS has_cost,
    i.purchase_price AS cost,
    i.purchase_currency AS cost_currency,
    i.purchase_date,
    sup.name AS supplier,
    {{days_to_sell}} AS days_to_sell,
    CASE WHEN i.purchase_currency = s.currency THEN {_PAYOUT} - i.purchase_price END AS profit
FROM sales s
LEFT JOIN products p ON p.id = s.product_id
LEFT JOIN variants v ON v.id = s.variant_id
LEFT JOIN inventory_items i ON i.id = s.inventory_item_id
LEFT JOIN suppliers sup ON sup.id = i.supplier_id
"""

V_INVENTORY_STATUS = """
CREATE VIEW v_inventory_status AS
SELECT
    i.id AS item_id,
    p.sku,
    p.brand,
    p.name,
    v.size_norm AS size,
    i.condition,
    i.status,
    i.location,
    sup.name AS supplier,
    i.purchase_date,
    i.purchase_price,
    i.purchase_currency,
    CASE WHEN i.status IN ('in_stock', 'listed', 'consigned', 'returned') THEN 1 ELSE 0 END AS held,
    s.sale_id,
    s.platform AS sale_platform,
    s.sold_at,
    s.sold_date,
    s.payout AS sale_payout,
    s.currency AS sale_currency,
    {days_in_stock} AS days_in_stock
FROM inventory_items i
JOIN products p ON p.id = i.product_id
JOIN variants v ON v.id = i.variant_id
LEFT JOIN suppliers sup ON sup.id = i.supplier_id
LEFT JOIN v_sales_enriched s ON s.inventory_item_id = i.id AND s.status_class = 'sale'
"""


def _sum(condition: str, value: str) -> str:
    return f"SUM(CASE WHEN status_class = 'sale'{condition} THEN {value} ELSE 0 END)"


_SAME = " AND has_cost = 1 AND cost_currency = currency"
V_MONTHLY_KPIS = f"""
CREATE VIEW v_monthly_kpis AS
SELECT
    sold_month AS month,
    currency,
    {_sum("", "1")} AS orders,
    {_sum("", "quantity")} AS units,
    ROUND({_sum("", "sale_price")}, 2) AS gross,
    ROUND({_sum("", "fees")}, 2) AS fees,
    ROUND({_sum("", "payout")}, 2) AS payout,
    ROUND({_sum("", "COALESCE(vat, 0)")}, 2) AS vat,
    ROUND({_sum(_SAME, "cost")}, 2) AS cogs,
    ROUND({_sum(_SAME, "profit")}, 2) AS profit,
    {_sum(" AND has_cost = 0", "1")} AS no_cost_basis,
    {_sum(" AND has_cost = 1 AND cost_currency <> currency", "1")} AS cost_in_other_currency,
    SUM(CASE WHEN status_class = 'returned' THEN 1 ELSE 0 END) AS returned,
    SUM(CASE WHEN status_class = 'cancelled' THEN 1 ELSE 0 END) AS cancelled
FROM v_sales_enriched
GROUP BY sold_month, currency
"""


def upgrade() -> None:
    with op.batch_alter_table('fx_rates', schema=None) as batch_op:
        batch_op.create_index('ix_fx_rates_base_quote_date', ['base', 'quote', 'rate_date'], unique=False)
    with op.batch_alter_table('inventory_items', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_items_purchase_date_status', ['purchase_date', 'status'], unique=False)
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.create_index('ix_sales_sold_at_status_item', ['sold_at', 'status', 'inventory_item_id'], unique=False)
    parts = _DIALECT[op.get_bind().dialect.name]
    op.execute(V_SALES_ENRICHED.format(**parts))
    op.execute(V_INVENTORY_STATUS.format(**parts))
    op.execute(V_MONTHLY_KPIS)


def downgrade() -> None:
    op.execute("DROP VIEW v_monthly_kpis")
    op.execute("DROP VIEW v_inventory_status")
    op.execute("DROP VIEW v_sales_enriched")
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_sold_at_status_item')
    with op.batch_alter_table('inventory_items', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_items_purchase_date_status')
    with op.batch_alter_table('fx_rates', schema=None) as batch_op:
        batch_op.drop_index('ix_fx_rates_base_quote_date')
