"""The sync fault tests use the sync suite's fixtures: a logged-in fake StockX and a migrated database."""

from tests.sync.conftest import stockx, synced_db

__all__ = ["stockx", "synced_db"]
