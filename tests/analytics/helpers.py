"""Small hand-built panels for the analytics tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from soleflip_cli.analytics.panel import Panel


def make_panel(rows: Sequence[Sequence[float]], freq: str = "day", first: str = "2024-01-01") -> Panel:
    """A panel of the given unit rows (one series each), periods from `first`."""
    units = np.asarray(rows, dtype=float)
    step = {"day": "D", "week": "W-MON", "month": "MS"}[freq]
    periods = pd.date_range(first, periods=units.shape[1], freq=step)
    nonzero = units > 0
    start = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), units.shape[1])
    keys = pd.DataFrame({"series": [f"s{i}" for i in range(units.shape[0])]})
    return Panel(keys, units, periods, freq, start)


def intermittent(period: int, length: int, size: float = 1.0) -> list[float]:
    """`size` units every `period` days, starting on day 0."""
    return [size if t % period == 0 else 0.0 for t in range(length)]
