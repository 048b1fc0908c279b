"""SKU and size normalisation, and brand/model from product names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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
    normal = _SKU_SEP.sub("-", text).strip("-")
    return None if normal in _MISSING else normal  # `---` or `-NA` leave nothing of a SKU


def _number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:  # the patterns admit dots anywhere: `1.2.3`, `.`
        raise SizeError(f"unknown size {text!r}") from None
    if value <= 0 or value > 60 or (value * 2) % 1:
        raise SizeError(f"unknown size {text!r}")
    return f"{value:g}"


# Bare numbers from this one up are EU sizes (US men's stop near 22), also `44,5`, `44 2/3`, `44⅔`.
EU_FROM = 25
_BARE_EU = r"(\d{2}(?:[.,]5)?)(?: ?([12]/3|⅓|⅔))?"


def _us(number: str, text: str, kind: str = "men's") -> str:
    """A US size's number; one from EU_FROM up is no US size."""
    norm = _number(number)
    if float(norm) >= EU_FROM:
        raise SizeError(f"unknown size {text!r}: no US {kind} size is that big (EU {norm}?)")
    return norm


def _eu(text: str, number: str, third: str | None) -> Size:
    """An EU size (decimal comma allowed), with adidas' thirds written `2/3` or `⅔`."""
    fraction = {"⅓": "1/3", "⅔": "2/3"}.get(third or "", third or "")
    return Size(text, "EU" + _number(number.replace(",", ".")) + fraction, "eu")


# The letters each mark allows, its default first: pre-school (PS) runs from 10.5C to 3Y.
PS_YOUTH_TO = 3  # a pre-school size without its letter up to this is a Y size (PS 3 = 3Y, PS 11 = 11C)
_MARKS = {"W": "W", "Y": "Y", "C": "C", "K": "C", "GS": "Y", "PS": "CY", "TD": "C"}
_KINDS = {"W": "women's", "Y": "youth", "C": "kids'"}
_LETTERED = re.compile(r"(?:US ?)?(?:(W|GS|PS|TD) ?)?([\d.]+) ?(W|Y|C|K|GS|PS|TD)?(?: ?(GS|PS|TD))?")
_MEN_PART = re.compile(r"(?:US ?)?(?:M ?([\d.]+)|([\d.]+) ?M)")
_WOMEN_PART = re.compile(r"(?:US ?)?(?:W ?([\d.]+)|([\d.]+) ?W)")


def _dual(text: str, upper: str) -> Size | None:
    """A label giving men's and women's sizes (`M 9 / W 10.5`, `12W / 10.5M`) as its men's size."""
    parts = [part.strip() for part in upper.split("/")]
    if len(parts) != 2:
        return None
    for men, women in (parts, parts[::-1]):
        if (man := _MEN_PART.fullmatch(men)) and (woman := _WOMEN_PART.fullmatch(women)):
            numbers = {"women's": woman[1] or woman[2], "men's": man[1] or man[2]}
            for kind, number in numbers.items():
                try:
                    _number(number)
                except SizeError:  # named with the whole label, not its part: `12.3W / 10.5M`
                    raise SizeError(f"unknown size {text!r}: no US {kind} size {number!r}") from None
            _us(numbers["women's"], text, "women's")
            return Size(text, _us(numbers["men's"], text), "us-m")
    return None


def _lettered(text: str, upper: str) -> Size | None:
    """A women's, youth or kids' size, lettered before or after (`W 8`, `8W`, `GS 6`, `6Y GS`, `2C`)."""
    match = _LETTERED.fullmatch(upper)
    if match is None or not (marks := [mark for mark in (match[1], match[3], match[4]) if mark]):
        return None
    allowed = [letter for letter in _MARKS[marks[0]] if all(letter in _MARKS[m] for m in marks)]
    if not allowed:  # `W 6Y`, `GS 2C`: which one is meant?
        raise SizeError(f"unknown size {text!r}: {' and '.join(marks)} contradict each other")
    letter = allowed[0]
    if len(allowed) > 1 and float(_number(match[2])) <= PS_YOUTH_TO:
        letter = "Y"
    prefix_only = marks == [match[1]]  # `W 30` says US, and no US size is that big
    number = _us(match[2], text, _KINDS[letter]) if prefix_only else _number(match[2])
    return Size(text, number + letter, "us-" + letter.lower())


def parse_size(raw: str | None) -> Size:
    """Normalise a printed size: `10`, `W 8`, `2.5Y`, `GS 6`, `10C`, `M 9 / W 10.5` (men's), `EU 44`, `L`."""
    text = (raw or "").strip()
    upper = re.sub(r"(?<=\d),(?=\d)", ".", re.sub(r"\s+", " ", text.upper()))  # a decimal comma: 10,5
    if upper in _MISSING or upper in {"OS", "ONE SIZE", "O/S"}:
        return Size(text, "OS", "os")
    if size := _dual(text, upper):
        return size
    if (match := re.fullmatch(_BARE_EU, upper)) and float(match[1].replace(",", ".")) >= EU_FROM:
        return _eu(text, match[1], match[2])  # a German spreadsheet's `42`: no US size is that big
    if match := re.fullmatch(r"(?:US ?)?(?:M ?)?([\d.]+)(?: ?(?:M|MEN|MENS|US M|US))?", upper):
        return Size(text, _us(match[1], text), "us-m")
    if size := _lettered(text, upper):
        return size
    if match := re.fullmatch(r"EU ?([\d.,]+)(?: ?([12]/3|⅓|⅔))?", upper):
        return _eu(text, match[1], match[2])
    if match := re.fullmatch(r"UK ?([\d.]+)", upper):
        return Size(text, "UK" + _number(match[1]), "uk")
    if match := re.fullmatch(r"(\d{2})(?: ?- ?|/)(\d{2})", upper):
        return Size(text, f"{match[1]}/{match[2]}", "eu")
    parts = [p.strip() for p in upper.split("/")]
    if all(p in _APPAREL for p in parts):
        return Size(text, "/".join(parts), "apparel")
    raise SizeError(f"unknown size {text!r} (expected e.g. 10, 10.5, 8W, 5Y, 10C, EU 44, UK 9, S/M/L/XL)")


@dataclass(frozen=True)
class Identity:
    """Brand and model read from a product name (None when the name does not say)."""

    brand: str | None
    model: str | None


# (pattern on the simplified name, brand, model) — first match wins, so specific lines come first.
# "{}" in a model is filled with the pattern's first group, capitalised ("dunk (low)" -> "Dunk Low").
_MODELS: tuple[tuple[str, str, str | None], ...] = (
    (r"\bair yeezy (1|2)\b", "Nike", "Air Yeezy {}"),  # Nike's Yeezys (2009-2014), before adidas'
    (r"\bair yeezy\b", "Nike", "Air Yeezy"),
    (r"yeezy boost 350 (?:low )?v2", "adidas", "Yeezy Boost 350 V2"),
    (r"yeezy boost 350", "adidas", "Yeezy Boost 350"),
    (r"yeezy boost 700", "adidas", "Yeezy Boost 700"),
    (r"yeezy slide", "adidas", "Yeezy Slide"),
    (r"yeezy foam (?:runner|rnnr)", "adidas", "Yeezy Foam Runner"),
    (r"yeezy", "adidas", "Yeezy"),
    (r"(?:air )?jordan 1\b.*?\b(low|mid|high)\b", "Jordan", "Air Jordan 1 {}"),  # the first: `Mid SE High`
    (r"(?:air )?jordan (\d{1,2})\b", "Jordan", "Air Jordan {}"),
    (r"jordan", "Jordan", None),
    (r"\bsb dunk (low|mid|high)", "Nike", "SB Dunk {}"),
    (r"\bdunk (low|mid|high)", "Nike", "Dunk {}"),
    (r"air force 1 (low|mid|high)", "Nike", "Air Force 1 {}"),
    (r"air force 1", "Nike", "Air Force 1"),
    (r"air max (1|90|95|97|270|plus|ishod)\b", "Nike", "Air Max {}"),
    (r"(?:air )?vapormax", "Nike", "Air VaporMax"),
    (r"air presto", "Nike", "Air Presto"),
    (r"blazer (low|mid)", "Nike", "Blazer {}"),
    (r"zoom fly mercurial", "Nike", "Zoom Fly Mercurial"),
    (r"zoom fly", "Nike", "Zoom Fly"),
    (r"react hyperdunk", "Nike", "React Hyperdunk"),
    (r"hot step air terra", "Nike", "Hot Step Air Terra"),
    (r"air terra humara", "Nike", "Air Terra Humara"),
    (r"\bcortez\b", "Nike", "Cortez"),
    (r"\b(?:nike|nocta|acg)\b", "Nike", None),
    (r"(?:new balance |\bm)?(2002r|1906r|9060|990v\d|991|992|993|550|530|327)\b", "New Balance", "{}"),
    (r"new balance", "New Balance", None),
    (r"gel lyte (?:iii|3)\b", "ASICS", "Gel-Lyte III"),
    (r"gel lyte (?:v|5)\b", "ASICS", "Gel-Lyte V"),
    (r"gel quantum (\d+)", "ASICS", "Gel-Quantum {}"),
    (r"gel kayano (\d+)", "ASICS", "Gel-Kayano {}"),
    (r"gel (1130|nyc)\b", "ASICS", "Gel-{}"),
    (r"\basics\b", "ASICS", None),
    (r"chuck (70|taylor)", "Converse", "Chuck {}"),
    (r"\bconverse\b", "Converse", None),
    (r"\bsalomon\b|\bxt 6\b", "Salomon", None),
    (r"\b(vans|puma|reebok|crocs|ugg|birkenstock|supreme|bape|stussy)\b", "{}", None),
    (r"\badidas\b", "adidas", None),
)
_COMPILED = tuple((re.compile(p), b, m) for p, b, m in _MODELS)
_BRAND_CASE = {"bape": "BAPE", "ugg": "UGG", "stussy": "Stussy"}
_NB_SKU = re.compile(r"^[MUW](?:2002R|1906R|9060|990|991|992|993|550|530|327)")
_ASICS_SKU = re.compile(r"^1[02]\d{2}[AB]\d{3}")


def _simplify(name: str) -> str:
    text = name.casefold().replace("\u2019", "'")
    text = re.sub(r"[-_/'()\".,]+", " ", text)
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def identify(name: str | None, sku: str | None = None) -> Identity:
    """Brand and model from a product name (`Nike Dunk Low Panda` -> Nike, Dunk Low), SKU as a hint."""
    text = _simplify(name or "")
    for pattern, brand, model in _COMPILED:
        match = pattern.search(text)
        if match is None:
            continue
        group = match.group(1) if pattern.groups else ""
        if brand == "{}":
            brand = _BRAND_CASE.get(group, group.capitalize())
        if model is not None and "{}" in model:
            model = model.format(group.upper() if group[:1].isdigit() else group.capitalize())
        return Identity(brand, model)
    code = (normalise_sku(sku) or "").replace("-", "")
    if _NB_SKU.match(code):
        return Identity("New Balance", None)
    if _ASICS_SKU.match(code):
        return Identity("ASICS", None)
    return Identity(None, None)


def name_from_slug(slug: str) -> str:
    """A readable name from a URL slug (`Adidas-Yeezy-Boost-350-V2-Beluga-2pt0` -> `adidas Yeezy … 2.0`)."""
    text = " ".join(slug.replace("-", " ").split())
    text = re.sub(r"\boff white\b", "Off-White", text, flags=re.IGNORECASE)
    text = re.sub(r"^adidas\b", "adidas", text, flags=re.IGNORECASE)
    return re.sub(r"(\d)pt(\d)", r"\1.\2", text)
