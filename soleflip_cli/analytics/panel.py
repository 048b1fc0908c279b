"""Series panels: a long frame of daily unit sales turned into a series x period matrix."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

FREQS = ("day", "week", "month")
# Season length used by seasonal naive and the seasonality test.
SEASON = {"day": 7, "week": 52, "month": 12}
# Approximate days per period, to turn day-based settings (windows, guard rails) into periods.
DAYS_PER_PERIOD = {"day": 1, "week": 7, "month": 30}


@dataclass(frozen=True, eq=False)
class Panel:
    """Unit sales of n series over T consecutive periods.

    `keys` has one row per series (the level's key columns); `units` is (n, T); `periods` holds
    each period's first day; `start` is each series' first period with a sale (T when none).
    """

    keys: pd.DataFrame
    units: np.ndarray
    periods: pd.DatetimeIndex
    freq: str
    start: np.ndarray

    @property
    def n_series(self) -> int:
        """Number of series."""
        return int(self.units.shape[0])

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return int(self.units.shape[1])

    @property
    def season(self) -> int:
        """Season length in periods (7 days, 52 weeks, 12 months)."""
        return SEASON[self.freq]

    def periods_for_days(self, days: int) -> int:
        """The number of periods that covers `days` days (at least 1)."""
        return max(1, math.ceil(days / DAYS_PER_PERIOD[self.freq]))

    def history(self, origin: int) -> np.ndarray:
        """Periods of history each series has before `origin` (0 when it has not started)."""
        history: np.ndarray = np.clip(origin - self.start, 0, None)
        return history

    def future_periods(self, horizon: int) -> pd.DatetimeIndex:
        """First days of the `horizon` periods after the panel."""
        step = _offset(self.freq)
        first = self.periods[-1] + step
        return pd.date_range(first, periods=horizon, freq=step)


def _offset(freq: str) -> pd.offsets.BaseOffset:
    return {
        "day": pd.offsets.Day(1),
        "week": pd.offsets.Week(weekday=0),
        "month": pd.offsets.MonthBegin(1),
    }[freq]


def period_start(days: pd.Series, freq: str) -> pd.Series:
    """The first day of each date's period (weeks start on Monday)."""
    stamps = pd.to_datetime(days)
    if freq == "day":
        return stamps.dt.normalize()
    if freq == "week":
        return (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.normalize()
    return stamps.dt.to_period("M").dt.start_time


def last_complete_period(as_of: date, freq: str) -> pd.Timestamp:
    """First day of the last period that has ended on or before `as_of`."""
    stamp = pd.Timestamp(as_of)
    if freq == "day":
        return stamp
    nxt = pd.Timestamp(as_of + timedelta(days=1))
    current = period_start(pd.Series([nxt]), freq).iloc[0]
    return pd.Timestamp(current - _offset(freq))


def build_panel(sales: pd.DataFrame, key_columns: list[str], freq: str, as_of: date) -> Panel:
    """Group `sales` (columns `day`, `units` and the key columns) into a panel ending at `as_of`.

    Periods run from the first period with a sale to the last complete period on or before
    `as_of` (a half-finished week or month would look like a slump); later sales are ignored.
    """
    if not key_columns:
        raise ValueError("a panel needs at least one key column")
    if freq not in FREQS:
        raise ValueError(f"unknown frequency {freq!r}")
    last = last_complete_period(as_of, freq)
    frame = sales.loc[:, [*key_columns, "day", "units"]].copy()
    frame["period"] = period_start(frame["day"], freq)
    frame = frame[frame["period"] <= last]
    if frame.empty:
        keys = pd.DataFrame(columns=key_columns)
        empty = np.zeros((0, 0))
        return Panel(keys, empty, pd.DatetimeIndex([]), freq, np.zeros(0, dtype=int))
    periods = pd.date_range(frame["period"].min(), last, freq=_offset(freq))
    grouped = frame.groupby([*key_columns, "period"], dropna=False, sort=True)["units"].sum()
    wide = grouped.unstack("period", fill_value=0).reindex(columns=periods, fill_value=0)
    units = wide.to_numpy(dtype=float)
    keys = wide.index.to_frame(index=False)
    nonzero = units > 0
    start = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), units.shape[1])
    return Panel(keys.reset_index(drop=True), units, periods, freq, start)
