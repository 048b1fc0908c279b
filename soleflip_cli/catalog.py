"""SKU and size normalisation, and brand/model from product names."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SKU_SEP = re.compile(r"[\s_/]+")
_MISSING = {"", "N/A", "NA", "NONE", "--", "-", "NULL"}
_APPAREL = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "2XL", "3XL", "4XL", "OS", "ONE SIZE")


class SizeError(ValueError):
    """A size that no known size format matches."""


@dataclass(frozen=True)
class Size:
    """A size as printed, its normalised form and its size system."""

    raw: str
    norm: str
    system: str


def normalise_sku(sku: str | None) -> str | None:
    """Upper-case style code with hyphens (`dm7866 200` -> `DM7866-200`); None when missing."""
    if sku is None:
        return None
    text = sku.strip().upper()
    if text in _MISSING:
        return None
    return _SKU_SEP.sub("-", text).strip("-")


def _number(text: str) -> str:
    value = float(text)
    if value <= 0 or value > 60 or (value * 2) % 1:
        raise SizeError(f"unknown size {text!r}")
    return f"{value:g}"


def parse_size(raw: str | None) -> Size:
    """Normalise a printed size: `10`, `US 10.5`, `10.5W`, `2.5Y`, `10C`, `12W / 10.5M`, `EU 44`, `L`."""
    text = (raw or "").strip()
    upper = re.sub(r"\s+", " ", text.upper())
    if upper in _MISSING or upper in {"OS", "ONE SIZE", "O/S"}:
        return Size(text, "OS", "os")
    if match := re.fullmatch(r"(?:US )?[\d.]+ ?W ?/ ?(?:US )?([\d.]+) ?M", upper):
        return Size(text, _number(match[1]), "us-m")
    if match := re.fullmatch(r"(?:US )?(?:M ?)?([\d.]+)(?: ?(?:M|MEN|MENS|US M))?", upper):
        return Size(text, _number(match[1]), "us-m")
    if match := re.fullmatch(r"(?:US )?(?:W ?)?([\d.]+) ?(W|Y|C|K|GS|PS|TD)", upper):
        suffix = {"GS": "Y", "PS": "C", "TD": "C", "K": "C"}.get(match[2], match[2])
        system = {"W": "us-w", "Y": "us-y", "C": "us-c"}[suffix]
        return Size(text, _number(match[1]) + suffix, system)
    if match := re.fullmatch(r"EU ?([\d.]+(?: ?[1-2]/3)?)", upper):
        return Size(text, "EU" + match[1].replace(" ", ""), "eu")
    if match := re.fullmatch(r"UK ?([\d.]+)", upper):
        return Size(text, "UK" + _number(match[1]), "uk")
    if match := re.fullmatch(r"(\d{2})(?: ?- ?|/)(\d{2})", upper):
        return Size(text, f"{match[1]}/{match[2]}", "eu")
    parts = [p.strip() for p in upper.split("/")]
    if all(p in _APPAREL for p in parts):
        return Size(text, "/".join(parts), "apparel")
    raise SizeError(f"unknown size {text!r} (expected e.g. 10, 10.5, 8W, 5Y, 10C, EU 44, UK 9, S/M/L/XL)")
