"""Backtest windows: which origins are scored, which series count, and their naive scales."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soleflip_cli.analytics.panel import Panel

# A series is scored (and may get ARIMA) from ~12 weeks of history on.
MIN_HISTORY_DAYS = 84
# Choices (method, damping, interval width) are learnt on weekly origins over the year before
# a forecast: many overlapping windows keep one odd month from deciding, and a full year
# weighs every season of the release calendar once.
LOOKBACK_DAYS = 364
STEP_DAYS = 7


@dataclass(frozen=True, eq=False)
class Window:
    """The actual values after one origin, which series are scored, and their scales there.

    `mse_scale`/`mae_scale` are each series' mean squared/absolute one-step change from its
    first sale to the origin (NaN with under two periods); `width` is the interval unit.
    """

    origin: int
    rows: np.ndarray
    actual: np.ndarray
    mse_scale: np.ndarray
    mae_scale: np.ndarray
    width: np.ndarray


class Windows:
    """Windows of one panel and horizon, built once per origin."""

    def __init__(self, panel: Panel, horizon: int) -> None:
        self.panel = panel
        self.horizon = horizon
        self.min_history = panel.periods_for_days(MIN_HISTORY_DAYS)
        units = panel.units
        zeros = np.zeros((panel.n_series, 1))
        diffs = np.diff(units, axis=1)
        self._squared = np.concatenate([zeros, np.cumsum(diffs**2, axis=1)], axis=1)
        self._absolute = np.concatenate([zeros, np.cumsum(np.abs(diffs), axis=1)], axis=1)
        self._level = np.concatenate([zeros, np.cumsum(units**2, axis=1)], axis=1)
        self._cache: dict[int, Window] = {}
        earliest = int(panel.start.min()) if panel.n_series else panel.n_periods
        self.earliest = earliest + self.min_history

    def __getitem__(self, origin: int) -> Window:
        if origin not in self._cache:
            self._cache[origin] = self._build(origin)
        return self._cache[origin]

    def _build(self, origin: int) -> Window:
        panel = self.panel
        mse, mae = self.scales(origin)
        history = panel.history(origin)
        start = np.clip(panel.start, 0, origin)
        mean_square = (self._level[:, origin] - _at(self._level, start)) / np.maximum(history, 1)
        width = np.sqrt(np.where(np.isfinite(mse), mse, mean_square))
        actual = panel.units[:, origin : origin + self.horizon]
        return Window(origin, history >= self.min_history, actual, mse, mae, width)

    def scales(self, origin: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean squared and mean absolute one-step change per series before `origin`."""
        start = np.clip(self.panel.start, 0, max(origin - 1, 0))
        count = origin - 1 - start
        ok = (count > 0) & (self.panel.start < origin)
        safe = np.maximum(count, 1)
        mse = (self._squared[:, origin - 1] - _at(self._squared, start)) / safe
        mae = (self._absolute[:, origin - 1] - _at(self._absolute, start)) / safe
        return np.where(ok, mse, np.nan), np.where(ok, mae, np.nan)

    def back_to_back(self, origin: int, count: int) -> list[int]:
        """Origins of up to `count` consecutive windows ending where `origin` starts (scorable ones)."""
        found = (origin - self.horizon * i for i in range(count, 0, -1))
        return [o for o in found if o >= self.earliest]

    def earlier(self, origin: int) -> list[int]:
        """Weekly origins over the year whose whole window ends by `origin`, oldest first."""
        step = self.panel.periods_for_days(STEP_DAYS)
        count = max(1, self.panel.periods_for_days(LOOKBACK_DAYS) // step)
        found = (origin - self.horizon - step * j for j in range(count - 1, -1, -1))
        return [o for o in found if o >= self.earliest]


def _at(cumulative: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.take_along_axis(cumulative, index[:, None], axis=1)[:, 0]
