"""How many examples each property test runs: the figures the README quotes (see README: Reliability).

`pytest --hypothesis-profile=deep` multiplies every count by ten.
"""

from __future__ import annotations

from hypothesis import settings

# Pure parsers: cheap, so many examples.
PARSER_EXAMPLES = {
    "money": 1500,
    "money round trip": 500,
    "dates": 1500,
    "date round trip": 500,
    "size": 1500,
    "size round trip": 300,
    "sku": 1000,
    "csv cells": 500,
}
# Whole files through the import service and a real database, per format.
IMPORT_EXAMPLES = {"sqlite": 60, "postgresql": 20}
# Whole files through the CLI (`soleflip import csv`), auto-detected.
CLI_EXAMPLES = {"sqlite": 25, "postgresql": 10}


def examples(count: int) -> settings:
    """Settings for a property test of `count` examples (scaled by the profile), no deadline."""
    scale = max(settings.default.max_examples, 1) / 100
    return settings(max_examples=max(1, round(count * scale)), deadline=None)
