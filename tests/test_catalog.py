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
        # as resellers spell them
        ("W 8", "8W", "us-w"),
        ("W8.5", "8.5W", "us-w"),
        ("US W 8", "8W", "us-w"),
        ("US10", "10", "us-m"),
        ("10.5 US", "10.5", "us-m"),
        ("GS 6Y", "6Y", "us-y"),
        ("6Y GS", "6Y", "us-y"),
        ("GS 6", "6Y", "us-y"),
        ("PS 2C", "2C", "us-c"),
        ("2C PS", "2C", "us-c"),
        ("TD 5C", "5C", "us-c"),
        ("PS 3Y", "3Y", "us-y"),  # pre-school runs from 10.5C up to 3Y
        ("PS 3", "3Y", "us-y"),
        ("1PS", "1Y", "us-y"),
        ("PS 11", "11C", "us-c"),
        ("PS 7", "7C", "us-c"),  # no pre-school Y size: a toddler's C, as `7 PS` always was
        ("PS 13.5", "13.5C", "us-c"),
        ("M 9 / W 10.5", "9", "us-m"),
        ("9.5M / 11W", "9.5", "us-m"),
        ("US M 9 / US W 10.5", "9", "us-m"),
    ],
)
def test_sizes(raw: str, norm: str, system: str) -> None:
    size = parse_size(raw)
    assert (size.raw, size.norm, size.system) == (raw, norm, system)


@pytest.mark.parametrize("raw", ["banana", "10.3", "0", "99", "US 42", "42M"])
def test_unknown_sizes(raw: str) -> None:
    with pytest.raises(SizeError):
        parse_size(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("W", "expected e.g."),
        ("GS", "expected e.g."),
        ("W 8 / 9", "expected e.g."),  # which one is the men's?
        ("M 9 / 10.5", "expected e.g."),
        ("M 30", "no US men's size is that big"),
        ("W 30", "no US women's size is that big"),
        ("GS 36", "no US youth size is that big"),
        ("M 9 / W 10.3", "unknown size 'M 9 / W 10.3': no US women's size '10.3'"),  # the label, not its part
        ("12.3W / 10.5M", "unknown size '12.3W / 10.5M': no US women's size '12.3'"),  # was 10.5
        ("M 9 / W 30", "unknown size 'M 9 / W 30': no US women's size is that big"),
        ("W 6Y", "W and Y contradict each other"),  # was 6Y
        ("GS 2C", "GS and C contradict each other"),
        ("6C GS", "C and GS contradict each other"),
    ],
)
def test_sizes_that_say_no_one_size(raw: str, reason: str) -> None:
    with pytest.raises(SizeError, match=reason):
        parse_size(raw)


def test_skus() -> None:
    assert normalise_sku("DM7866 200") == normalise_sku("dm7866-200") == "DM7866-200"
    assert normalise_sku("N/A") is None and normalise_sku("  ") is None
