"""An in-process fake of the StockX Public API v2 and its Auth0 login, for tests and benchmarks."""

from tests.fake_stockx.fixtures import add_listing, add_orders, find_variant, seed_catalog, set_order_status
from tests.fake_stockx.server import FakeStockX

__all__ = ["FakeStockX", "add_listing", "add_orders", "find_variant", "seed_catalog", "set_order_status"]
