"""PNG charts through matplotlib, the optional `soleflip[plot]` extra, imported only when asked for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soleflip_cli.errors import SoleflipError, UsageError

if TYPE_CHECKING:
    from soleflip_cli.services.report import Breakdown, ForecastPoint


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise SoleflipError(
            "--plot needs matplotlib, which is not installed",
            hint="install the plot extra: pip install 'soleflip[plot]'",
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_target(path: Path, by: str) -> None:
    """Refuse what --plot cannot draw before any work is done."""
    if by not in ("month", "week"):
        raise UsageError("--plot draws a time series: use it with --by month or --by week")
    if path.suffix.lower() != ".png":
        raise UsageError(f"--plot writes PNG files; got {path.name!r}")
    _pyplot()


def plot_history(path: Path, breakdown: Breakdown, forecast: Sequence[ForecastPoint] = ()) -> None:
    """Save gross sales (bars) and profit (line) per month/week as a PNG, then the forecast gross with
    its 95 % interval when given."""
    check_target(path, breakdown.by)
    plt = _pyplot()
    labels = [row.group or "" for row in breakdown.rows] + [p.group for p in forecast]
    history = range(len(breakdown.rows))
    ahead = [len(breakdown.rows) + k for k in range(len(forecast))]
    figure, axes = plt.subplots(figsize=(10, 4.5), dpi=100)
    try:
        axes.bar(list(history), [float(r.gross) for r in breakdown.rows], color="#4c9be8", label="gross")
        axes.plot(
            list(history),
            [float(r.profit) for r in breakdown.rows],
            color="#2a9d3a",
            marker="o",
            label="profit",
        )
        if forecast:
            axes.plot(
                ahead,
                [float(p.gross) for p in forecast],
                color="#e07b39",
                linestyle="--",
                marker="o",
                label="gross forecast",
            )
            axes.fill_between(
                ahead,
                [float(p.lower_95) for p in forecast],
                [float(p.upper_95) for p in forecast],
                color="#e07b39",
                alpha=0.2,
                label="95 % interval",
            )
        axes.axhline(0, color="#888888", linewidth=0.8)
        step = max(1, len(labels) // 12)
        positions = list(range(len(labels)))
        axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
        axes.set_ylabel(breakdown.currency)
        axes.set_title(f"Gross sales and profit by {breakdown.by} ({breakdown.currency})")
        axes.legend()
        figure.tight_layout()
        try:
            figure.savefig(path, format="png")
        except OSError as exc:
            raise UsageError(f"{path}: cannot write: {exc.strerror}") from None
    finally:
        plt.close(figure)
