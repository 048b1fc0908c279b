"""How messages list things: the first few, then an ellipsis."""

from __future__ import annotations

from collections.abc import Sequence


def first_few(items: Sequence[str], most: int) -> str:
    """`items` joined by commas, only the first `most` of them, then `...` when there are more."""
    return ", ".join(items[:most]) + (", ..." if len(items) > most else "")
