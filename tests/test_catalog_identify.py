"""Brand and model from product names: a table of cases, and every distinct name in the real data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from soleflip_cli.catalog import Identity, identify, name_from_slug
from tests.conftest import SAMPLES, SHARED_DATA


@pytest.mark.parametrize(
    ("name", "sku", "brand", "model"),
    [
        ("adidas Yeezy Boost 350 V2 Beluga 2.0", None, "adidas", "Yeezy Boost 350 V2"),
        ("adidas Yeezy Boost 350 Low V2 Beluga", None, "adidas", "Yeezy Boost 350 V2"),
        ("Adidas Yeezy Boost 350 Low Pirate Black 2015", None, "adidas", "Yeezy Boost 350"),
        ("adidas Yeezy Slide Pure", None, "adidas", "Yeezy Slide"),
        ("adidas Samba OG Cloud White", None, "adidas", None),
        ("Nike Air Yeezy 2 SP Red October", "508214-660", "Nike", "Air Yeezy 2"),
        ("Nike Air Yeezy 1 Blink", None, "Nike", "Air Yeezy 1"),
        ("Nike Air Yeezy", None, "Nike", "Air Yeezy"),
        ("Air Jordan 1 Mid SE High Voltage", None, "Jordan", "Air Jordan 1 Mid"),
        ("Air Jordan 1 Retro High OG Chicago", None, "Jordan", "Air Jordan 1 High"),
        ("Air Jordan 1 Low Travis Scott", None, "Jordan", "Air Jordan 1 Low"),
        ("Jordan 1 Retro High Off-White Chicago", None, "Jordan", "Air Jordan 1 High"),
        ("Air Jordan 1 Retro High Off-White Chicago", None, "Jordan", "Air Jordan 1 High"),
        ("Travis Scott x Air Jordan 1 Retro Low OG SP 'Reverse Olive'", None, "Jordan", "Air Jordan 1 Low"),
        ("Jordan 4 Retro Military Black", None, "Jordan", "Air Jordan 4"),
        ("Air Jordan 11 Retro Cherry", None, "Jordan", "Air Jordan 11"),
        ("Nike Dunk Low Retro White Black Panda", None, "Nike", "Dunk Low"),
        ("Nike SB Dunk Low Pro St. Patrick's Day (2022)", None, "Nike", "SB Dunk Low"),
        ("Nike Air Force 1 Low Off-White Volt", None, "Nike", "Air Force 1 Low"),
        ("Nike Air Force 1 '07 White", None, "Nike", "Air Force 1"),
        ("Nike Air Max 97 Off-White Menta", None, "Nike", "Air Max 97"),
        ("Air Max Ishod Wair SB 'Obsidian Pine'", None, "Nike", "Air Max Ishod"),
        ("Nike Air VaporMax Off-White 2018", None, "Nike", "Air VaporMax"),
        ("Nike Blazer Mid Off-White Grim Reaper", None, "Nike", "Blazer Mid"),
        ("Wmns Cortez '23 'Light Orewood Brown'", None, "Nike", "Cortez"),
        ("Nike x NOCTA L\u2019Art Apex Tech Pant 'Vivid Sulfur/Sail'", None, "Nike", None),
        ("New Balance 550 White Green", None, "New Balance", "550"),
        ("2002R 'Sandstone Magnet'", None, "New Balance", "2002R"),
        ("Protection Pack Rain Cloud", "M2002RDA", "New Balance", None),
        ("ASICS Gel-Lyte III OG Orange Purple", None, "ASICS", "Gel-Lyte III"),
        ("Gel Quantum 360 8 'Ocean Pack - Black Aquarium'", None, "ASICS", "Gel-Quantum 360"),
        ("Gel-Kayano 14 Cream Black", None, "ASICS", "Gel-Kayano 14"),
        ("Converse Chuck 70 Hi Comme des Garcons", None, "Converse", "Chuck 70"),
        ("Supreme Box Logo Hooded Sweatshirt", None, "Supreme", None),
        ("Taschen Sneaker Freaker. The Ultimate Sneaker Book", None, None, None),
        (None, None, None, None),
    ],
)
def test_identify(name: str | None, sku: str | None, brand: str | None, model: str | None) -> None:
    assert identify(name, sku) == Identity(brand, model)


def test_name_from_slug() -> None:
    assert name_from_slug("Adidas-Yeezy-Boost-350-V2-Beluga-2pt0") == "adidas Yeezy Boost 350 V2 Beluga 2.0"
    assert name_from_slug("Nike-Air-Presto-Off-White") == "Nike Air Presto Off-White"


def _names(path: Path, column: str) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


def test_every_name_in_the_real_data_gets_a_brand() -> None:
    files = {
        SHARED_DATA / "stockx-contest-2019.csv": "Sneaker Name",
        SAMPLES / "alias-sales-report-sample.csv": "NAME",
        SAMPLES / "stockx-seller-report-2025-sample.csv": "Item",
    }
    if not all(path.exists() for path in files):
        pytest.skip("the real data in ../shared/data is not on this machine")
    names = {
        name_from_slug(n) if "-" in n and " " not in n else n for p, c in files.items() for n in _names(p, c)
    }
    assert len(names) == 62
    unknown = sorted(n for n in names if identify(n).brand is None)
    assert unknown == ["Taschen Sneaker Freaker. The Ultimate Sneaker Book"]  # a book, not a shoe
    no_model = sorted(n for n in names if identify(n).model is None and identify(n).brand)
    assert no_model == ["Nike x NOCTA L\u2019Art Apex Tech Pant 'Vivid Sulfur/Sail'"]  # apparel
