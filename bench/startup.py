"""Start-up: `soleflip --version` next to `python -c "import typer"` (target <= 1.5x), and the fixed
cost of a database command (`inventory list --json` on an empty, migrated SQLite database)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 15


def median_seconds(argv: list[str], env: dict[str, str] | None = None) -> float:
    """Median wall time of running argv RUNS times (after one warm-up)."""
    subprocess.run(argv, check=True, capture_output=True, env=env)
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    """Print the medians, the ratio and the load average."""
    soleflip = [sys.executable, "-m", "soleflip_cli"]
    baseline = median_seconds([sys.executable, "-c", "import typer"])
    ours = median_seconds([*soleflip, "--version"])
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k != "SOLEFLIP_DATABASE_URL"} | {"SOLEFLIP_HOME": home}
        subprocess.run([*soleflip, "db", "upgrade"], check=True, capture_output=True, env=env)
        database = median_seconds([*soleflip, "inventory", "list", "--json"], env)
    print(f"import typer:           {baseline * 1000:7.1f} ms (median of {RUNS})")
    print(f"soleflip --version:     {ours * 1000:7.1f} ms (median of {RUNS})")
    print(f"ratio:                  {ours / baseline:7.2f}x (target <= 1.50x)")
    print(f"inventory list, empty:  {database * 1000:7.1f} ms (median of {RUNS}; database command start-up)")
    print(f"load average:           {os.getloadavg()[0]:7.2f}")


if __name__ == "__main__":
    main()
