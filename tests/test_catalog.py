"""SKU and size normalisation."""

from __future__ import annotations

import pytest

from soleflip_cli.catalog import SizeError, normalise_sku, parse_size


@pytest.mark.parametrize(
    ("raw", "norm", "system"),
    [
        ("10", "10", "us-m"),
        ("10.0", "10", "us-m"),
        ("US 10.5", "10.5", "us-m"),
        ("10.5W", "10.5W", "us-w"),
        ("2.5Y", "2.5Y", "us-y"),
        ("10C", "10C", "us-c"),
        ("12W / 10.5M", "10.5", "us-m"),
        ("36/38", "36/38", "eu"),
        ("L/XL", "L/XL", "apparel"),
        ("N/A", "OS", "os"),
        ("EU 44", "EU44", "eu"),
        ("UK 8.5", "UK8.5", "uk"),
        ("42", "EU42", "eu"),  # a German spreadsheet's size: no US men's size is that big
        ("24.5", "24.5", "us-m"),
        ("44,5", "EU44.5", "eu"),
        ("EU 44,5", "EU44.5", "eu"),
        ("44 2/3", "EU442/3", "eu"),
        ("44⅔", "EU442/3", "eu"),
        ("EU 44 2/3", "EU442/3", "eu"),
    ],
)
def test_sizes(raw: str, norm: str, system: str) -> None:
    size = parse_size(raw)
    assert (size.raw, size.norm, size.system) == (raw, norm, system)


@pytest.mark.parametrize("raw", ["banana", "10.3", "0", "99", "US 42", "42M"])
def test_unknown_sizes(raw: str) -> None:
    with pytest.raises(SizeError):
        parse_size(raw)


def test_skus() -> None:
    assert normalise_sku("DM7866 200") == normalise_sku("dm7866-200") == "DM7866-200"
    assert normalise_sku("N/A") is None and normalise_sku("  ") is None
