"""Median wall time of `soleflip --version` next to `python -c "import typer"` (target <= 1.5x)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15


def median_seconds(argv: list[str]) -> float:
    """Median wall time of running argv RUNS times (after one warm-up)."""
    subprocess.run(argv, check=True, capture_output=True)
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    """Print both medians and their ratio."""
    baseline = median_seconds([sys.executable, "-c", "import typer"])
    ours = median_seconds([sys.executable, "-m", "soleflip_cli", "--version"])
    ratio = ours / baseline
    print(f"import typer:       {baseline * 1000:7.1f} ms (median of {RUNS})")
    print(f"soleflip --version: {ours * 1000:7.1f} ms (median of {RUNS})")
    print(f"ratio:              {ratio:7.2f}x (target <= 1.50x)")


if __name__ == "__main__":
    main()
