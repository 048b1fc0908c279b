"""PNG charts through matplotlib, the optional `soleflip[plot]` extra, imported only when asked for."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from soleflip_cli.errors import SoleflipError, UsageError

if TYPE_CHECKING:
    from soleflip_cli.services.report import Breakdown


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


def plot_history(path: Path, breakdown: Breakdown) -> None:
    """Save payout and profit per month/week of a breakdown as a PNG (history only)."""
    if breakdown.by not in ("month", "week"):
        raise UsageError("--plot draws a time series: use it with --by month or --by week")
    if path.suffix.lower() != ".png":
        raise UsageError(f"--plot writes PNG files; got {path.name!r}")
    plt = _pyplot()
    labels = [row.group or "" for row in breakdown.rows]
    figure, axes = plt.subplots(figsize=(10, 4.5), dpi=100)
    try:
        positions = list(range(len(labels)))
        axes.bar(positions, [float(r.payout) for r in breakdown.rows], color="#4c9be8", label="payout")
        axes.plot(
            positions, [float(r.profit) for r in breakdown.rows], color="#2a9d3a", marker="o", label="profit"
        )
        axes.axhline(0, color="#888888", linewidth=0.8)
        step = max(1, len(labels) // 12)
        axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
        axes.set_ylabel(breakdown.currency)
        axes.set_title(f"Payout and profit by {breakdown.by} ({breakdown.currency})")
        axes.legend()
        figure.tight_layout()
        try:
            figure.savefig(path, format="png")
        except OSError as exc:
            raise UsageError(f"{path}: cannot write: {exc.strerror}") from None
    finally:
        plt.close(figure)
