"""Rolling-origin backtests of daily unit forecasts per level, shaped for reports and JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from soleflip_cli.errors import UsageError
from soleflip_cli.services.forecast import (
    ARIMA_MAX_SERIES,
    KEYS,
    LEVELS,
    check_level,
    default_as_of,
    load_sales,
)

if TYPE_CHECKING:
    from soleflip_cli.analytics.backtest import Backtest
    from soleflip_cli.analytics.metrics import Scores

# Key names that give the metrics in every level and method row.
METRICS = ("rmsse", "mase", "wape", "bias", "coverage_80", "coverage_95")


@dataclass(frozen=True)
class MethodScores:
    """One method's scores on a level over the backtest windows (4 decimals)."""

    method: str
    rmsse: float | None
    mase: float | None
    wape: float | None
    bias: float | None
    coverage_80: float | None
    coverage_95: float | None
    ratio_to_seasonal_naive: float | None
    fallbacks: int
    seconds: float


@dataclass(frozen=True)
class WindowPick:
    """The method chosen for one window (on earlier windows only) and its RMSSE there."""

    first_day: date
    method: str
    rmsse: float | None
    series: int


@dataclass(frozen=True)
class LevelBacktest:
    """A level's backtest: the choice procedure's scores (`rmsse` etc.) and every method's.

    `chosen_method` is what `forecast sales` uses next; `rmsse` and the other top-level
    metrics score the choice made window by window on earlier data. None/empty with a note
    when no series had enough history for one window.
    """

    by: str
    source: str
    as_of: date
    horizon: int
    windows: int
    series: int
    chosen_method: str | None
    rmsse: float | None
    mase: float | None
    wape: float | None
    bias: float | None
    coverage_80: float | None
    coverage_95: float | None
    seasonal_naive_rmsse: float | None
    ratio_to_seasonal_naive: float | None
    window_choices: list[WindowPick]
    methods: list[MethodScores]
    note: str | None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _scores(
    method: str, scores: Scores, ratio: float | None, fallbacks: int = 0, seconds: float = 0.0
) -> MethodScores:
    return MethodScores(
        method=method,
        rmsse=_round(scores.rmsse),
        mase=_round(scores.mase),
        wape=_round(scores.wape),
        bias=_round(scores.bias),
        coverage_80=_round(scores.coverage_80),
        coverage_95=_round(scores.coverage_95),
        ratio_to_seasonal_naive=_round(ratio),
        fallbacks=fallbacks,
        seconds=round(seconds, 3),
    )


def _level(
    by: str, source: str, as_of: date, horizon: int, windows: int, result: Backtest | None
) -> LevelBacktest:
    from soleflip_cli.analytics.metrics import Scores
    from soleflip_cli.analytics.windows import MIN_HISTORY_DAYS

    note = None
    picks: list[WindowPick] = []
    methods: list[MethodScores] = []
    if result is None:
        need = MIN_HISTORY_DAYS + horizon
        note = f"not enough history: a series needs {need} days of sales to score one window"
        chosen = _scores("", Scores(None, None, None, None, None, None, 0), None)
        series, method, naive = 0, None, None
    else:
        rmsse, naive = result.chosen.rmsse, result.seasonal_naive_rmsse
        ratio = rmsse / naive if rmsse is not None and naive else None
        chosen = _scores(result.chosen_method, result.chosen, ratio)
        series, method = result.series, result.chosen_method
        picks = [WindowPick(w.first_period, w.method, _round(w.rmsse), w.series) for w in result.windows]
        methods = [
            _scores(m.method, m.scores, m.ratio_to_seasonal_naive, m.fallbacks, m.seconds)
            for m in result.methods
        ]
    return LevelBacktest(
        by=by,
        source=source,
        as_of=as_of,
        horizon=horizon,
        windows=windows,
        series=series,
        chosen_method=method,
        rmsse=chosen.rmsse,
        mase=chosen.mase,
        wape=chosen.wape,
        bias=chosen.bias,
        coverage_80=chosen.coverage_80,
        coverage_95=chosen.coverage_95,
        seasonal_naive_rmsse=_round(naive),
        ratio_to_seasonal_naive=chosen.ratio_to_seasonal_naive,
        window_choices=picks,
        methods=methods,
        note=note,
    )


def backtest_sales(
    session: Session,
    *,
    levels: Sequence[str] = LEVELS,
    windows: int = 3,
    horizon: int = 28,
    source: str = "own",
    skus: Sequence[str] = (),
    as_of: date | None = None,
    arima_max_series: int = ARIMA_MAX_SERIES,
) -> list[LevelBacktest]:
    """Backtest daily unit forecasts on each level over `windows` windows of `horizon` days."""
    from soleflip_cli.analytics.backtest import backtest
    from soleflip_cli.analytics.panel import build_panel

    for by in levels:
        check_level(by, "day")
    if windows < 1 or horizon < 1:
        raise UsageError("--windows and --horizon must be at least 1")
    end = as_of or default_as_of(session, source)
    frame = load_sales(session, source=source, skus=skus, as_of=end)
    out = []
    for by in levels:
        panel = build_panel(frame, KEYS[by], "day", end)
        result = backtest(panel, horizon=horizon, windows=windows, arima_max_series=arima_max_series)
        out.append(_level(by, source, end, horizon, windows, result))
    return out
