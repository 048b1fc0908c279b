"""Helpers for importer tests: hand-written fixture files and parsing a file end to end (no database)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from soleflip_cli.importers import ImportOptions, choose, reading
from soleflip_cli.importers.base import Record, RowError

FIXTURES = Path(__file__).parent / "fixtures"
Parsed = tuple[str, list[Record], list[RowError]]


def parse_path(
    path: Path, fmt: str = "auto", options: ImportOptions | None = None, mapping: str | None = None
) -> Parsed:
    """(format name, records, errors) of a file, as the import service would read it."""
    source = reading.prepare(path, path.name)
    importer, rows = choose(source, fmt, mapping, options or ImportOptions(today=date(2026, 12, 31)))
    records: list[Record] = []
    errors: list[RowError] = []
    for item in importer.parse(rows):
        (errors if isinstance(item, RowError) else records).append(item)  # type: ignore[arg-type]
    return importer.name, records, errors


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write text (or bytes) to a temp file and return its path."""

    def _write(content: str | bytes, name: str = "data.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode(encoding))
        return path

    return _write
