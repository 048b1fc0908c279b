"""Take a table's foreign keys, unique keys and indexes off for a bulk load, then put them back.

PostgreSQL's advice for populating a database: checking each row against a foreign key costs
several times the insert itself, while adding the key afterwards checks every row in one join,
and building an index once from sorted data beats growing it row by row. DDL is transactional
in PostgreSQL and SQLite, so a load that fails or is interrupted rolls back to the table as it was
(SQLite cannot drop a foreign key or a table constraint: only indexes come off there).
"""

from __future__ import annotations

from sqlalchemy import Connection, ForeignKeyConstraint, Index, Table, UniqueConstraint
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex


class Loosened:
    """What was taken off one table in the current transaction; `restore` builds it again."""

    def __init__(self, connection: Connection, table: Table) -> None:
        self.connection = connection
        self.table = table
        self.foreign_keys: list[ForeignKeyConstraint] = []
        self.unique: list[UniqueConstraint] = []
        self.indexes: list[Index] = []

    def drop_foreign_keys(self) -> None:
        """Drop the table's foreign keys (rows are checked again, all at once, by `restore`)."""
        for key in sorted(self.table.foreign_key_constraints, key=lambda c: str(c.name)):
            self.connection.execute(DropConstraint(key))
            self.foreign_keys.append(key)

    def drop_keys_and_indexes(self) -> None:
        """Drop the unique constraints and indexes: only for a load that cannot collide with a row."""
        for unique in self.table.constraints:
            if isinstance(unique, UniqueConstraint):
                self.connection.execute(DropConstraint(unique))
                self.unique.append(unique)
        for index in sorted(self.table.indexes, key=lambda i: str(i.name)):
            self.connection.execute(DropIndex(index))
            self.indexes.append(index)

    def restore(self) -> None:
        """Rebuild the unique keys and indexes, then add the foreign keys back (validating every row)."""
        for unique in self.unique:
            self.connection.execute(AddConstraint(unique))
        for index in self.indexes:
            self.connection.execute(CreateIndex(index))
        for key in self.foreign_keys:
            self.connection.execute(AddConstraint(key))
        self.unique, self.indexes, self.foreign_keys = [], [], []
