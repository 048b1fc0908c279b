"""Core views of the tables the stock commands read, so `inventory list|aging|dead|value` need no ORM.

models.py defines the schema. These name only the columns those queries use, with the models'
column types (tests/test_tables.py holds them to it): importing the ORM and mapping every model
took longer than most of those commands' queries.
"""

from __future__ import annotations

from sqlalchemy import Date, Integer, String, column, table

from soleflip_cli.sqltypes import Money, Rate, UTCDateTime

ITEM_STATUSES = ("in_stock", "listed", "sold", "returned", "consigned", "personal", "removed")
# Pairs a sale may consume; sold/returned/personal/removed pairs are not for sale.
SELLABLE = ("in_stock", "listed", "consigned")
# Sale statuses (lower case) of sales that did not consume a pair: cancelled, or returned/refunded.
NON_SALE_STATUSES = ("cancelled", "canceled", "returned", "refunded", "didnotship", "authfailed")

inventory_items = table(
    "inventory_items",
    column("id", Integer),
    column("product_id", Integer),
    column("variant_id", Integer),
    column("condition", String),
    column("box_condition", String),
    column("purchase_price", Money),
    column("purchase_currency", String),
    column("purchase_date", Date),
    column("supplier_id", Integer),
    column("location", String),
    column("status", String),
)
products = table(
    "products", column("id", Integer), column("sku", String), column("name", String), column("brand", String)
)
variants = table(
    "variants",
    column("id", Integer),
    column("product_id", Integer),
    column("size_norm", String),
    column("size_system", String),
)
suppliers = table("suppliers", column("id", Integer), column("name", String))
sales = table("sales", column("inventory_item_id", Integer), column("sold_at", UTCDateTime))
market_prices = table(
    "market_prices",
    column("id", Integer),
    column("variant_id", Integer),
    column("source", String),
    column("lowest_ask", Money),
    column("highest_bid", Money),
    column("currency", String),
    column("observed_at", UTCDateTime),
)
fx_rates = table(
    "fx_rates",
    column("rate_date", Date),
    column("base", String),
    column("quote", String),
    column("rate", Rate),
)
