"""The ORM-free table views name real columns of the models, with the same types."""

from __future__ import annotations

from sqlalchemy import Numeric

from soleflip_cli import tables
from soleflip_cli.models import Base

VIEWS = [
    tables.inventory_items,
    tables.products,
    tables.variants,
    tables.suppliers,
    tables.sales,
    tables.market_prices,
    tables.fx_rates,
]


def test_views_match_the_models() -> None:
    for view in VIEWS:
        model = Base.metadata.tables[view.name]
        for column in view.columns:
            actual = model.columns[column.name].type
            assert type(column.type) is type(actual), f"{view.name}.{column.name}"
            if isinstance(actual, Numeric):
                assert isinstance(column.type, Numeric)
                assert (column.type.precision, column.type.scale) == (actual.precision, actual.scale)


def test_statuses_match_the_check_constraint() -> None:
    checks = [
        str(c.sqltext) for c in Base.metadata.tables["inventory_items"].constraints if hasattr(c, "sqltext")
    ]
    assert "status IN (" + ", ".join(f"'{s}'" for s in tables.ITEM_STATUSES) + ")" in checks
    assert set(tables.SELLABLE) < set(tables.ITEM_STATUSES)
