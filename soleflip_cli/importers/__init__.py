"""Export formats: one importer module per format, and choosing the importer for a file."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from soleflip_cli.errors import ConfigError, FileFormatError, UsageError
from soleflip_cli.importers import reading
from soleflip_cli.importers.alias import AliasImporter
from soleflip_cli.importers.base import Importer, Rows
from soleflip_cli.importers.contest import ContestImporter
from soleflip_cli.importers.ebay import EbayOrdersImporter, EbayTransactionsImporter
from soleflip_cli.importers.generic import GenericImporter
from soleflip_cli.importers.purchases import PurchasesImporter
from soleflip_cli.importers.stockx import StockXImporter
from soleflip_cli.wording import first_few

if TYPE_CHECKING:
    from soleflip_cli.config import MappingSettings

MAX_SHOWN = 200  # characters of a line quoted in a message
FORMATS = ("auto", "stockx", "alias", "ebay-orders", "ebay-transactions", "contest", "purchases", "generic")


@dataclass(frozen=True)
class ImportOptions:
    """What importers need from the settings: base currency, today's date, generic mappings, fees.

    `fees` is settings.fees (the `[fees.*]` overrides): Alias reports carry no fees, so their fee
    lines come from the fee schedule with these settings, as `soleflip price fees` gives them.
    """

    base_currency: str = "USD"
    today: date | None = None
    mappings: Mapping[str, MappingSettings] = field(default_factory=dict)
    fees: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def builtin(options: ImportOptions) -> list[Importer]:
    """Every built-in importer, in detection order (the most specific header first)."""
    return [
        StockXImporter(today=options.today),
        AliasImporter(fees=options.fees, today=options.today),
        EbayOrdersImporter(today=options.today),
        EbayTransactionsImporter(),
        ContestImporter(),
        PurchasesImporter(default_currency=options.base_currency, today=options.today),
    ]


def check_choice(fmt: str, mapping: str | None, options: ImportOptions) -> None:
    """Refuse a --format / --mapping combination that no file could fit (UsageError, exit 2)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; known formats: {', '.join(FORMATS)}")
    if mapping is not None and fmt not in ("auto", "generic"):
        raise UsageError(f"--mapping goes with --format generic, not --format {fmt}")
    if fmt == "generic" and mapping is None:
        raise UsageError("--format generic needs --mapping NAME", hint=_MAPPING_HINT)
    if mapping is not None and mapping not in options.mappings:
        known = ", ".join(sorted(options.mappings)) or "none configured"
        raise UsageError(f"no mapping named {mapping!r} ({known})", hint=_MAPPING_HINT)
    if mapping is not None:  # its columns and settings checked now, before any database is made
        GenericImporter(mapping, options.mappings[mapping], base_currency=options.base_currency, today=None)


def choose(
    source: reading.Source,
    fmt: str,
    mapping: str | None,
    options: ImportOptions,
    earlier: Callable[[], Sequence[tuple[str, bool]]] | None = None,
) -> tuple[Importer, Rows]:
    """The importer for `source` and its rows: the one asked for, else the one its header matches.

    Raises UsageError for a wrong --format / --mapping (see check_choice), FileFormatError when the
    header fits no format or several (unless `earlier()` names one of them: see _detect).
    """
    check_choice(fmt, mapping, options)
    if mapping is not None:  # check_choice let a mapping through only with auto or generic
        return _generic(source, mapping, options)
    if fmt == "auto":
        return _detect(source, options, earlier)
    importer = next(i for i in builtin(options) if i.name == fmt)
    header = reading.find_header(source, importer.detect) or reading.first_record(source)
    if header is None:  # only blanks, empty cells or unreadable records where the header should be
        raise reading.UnreadableFileError(
            f"no header: no readable record in the first {reading.HEADER_SEARCH_LINES} lines"
        )
    return importer, reading.table(source, header)


def _generic(source: reading.Source, name: str, options: ImportOptions) -> tuple[Importer, Rows]:
    importer, settings = _mapped(name, options)
    header = _mapped_header(source, importer, settings)
    if header is None:  # the errors then name the mapped columns missing from the likelier header
        delimiters, skip = _delimiters(settings), settings.skip_lines
        firsts = [h for d in delimiters if (h := reading.first_record(source, d, skip)) is not None]
        header = max(firsts, key=lambda h: importer.columns_in(h.cells), default=None)
    if header is None:
        raise FileFormatError(f"no header after the {settings.skip_lines} lines the mapping skips")
    return importer, reading.table(source, header)


def _mapped(name: str, options: ImportOptions) -> tuple[GenericImporter, MappingSettings]:
    """The importer of mapping `name`, and its settings (ConfigError when the mapping cannot work)."""
    settings = options.mappings[name]
    return GenericImporter(name, settings, base_currency=options.base_currency, today=options.today), settings


def _delimiters(settings: MappingSettings) -> tuple[str, ...]:
    """The delimiters a mapping's file is read with: its own, else `,` and `;`."""
    return (settings.delimiter,) if settings.delimiter else (",", ";")


def _mapped_header(
    source: reading.Source, importer: GenericImporter, settings: MappingSettings
) -> reading.HeaderMatch | None:
    """The mapping's header in the file, read with its own delimiter and skipped lines."""
    return reading.find_header(
        source, importer.detect, delimiters=_delimiters(settings), skip_lines=settings.skip_lines
    )


def _detect(
    source: reading.Source, options: ImportOptions, earlier: Callable[[], Sequence[tuple[str, bool]]] | None
) -> tuple[Importer, Rows]:
    """The one format whose header the file has: a built-in one or a mapping.

    Several fit: the one these very bytes were imported with before (`earlier()`: formats, newest
    first, and whether the bytes were the same; the rows are keyed by the format), else exit 2, the
    hint naming the format a file of its name was read with. A mapping that cannot work is skipped,
    and named when no format fits the file.
    """
    importers = builtin(options)
    header = reading.find_header(source, lambda cells: any(i.detect(cells) for i in importers))
    found: list[tuple[Importer, reading.HeaderMatch]] = []
    if header is not None:
        found = [(i, header) for i in importers if i.detect(header.cells)]
    broken: list[ConfigError] = []
    for name in sorted(options.mappings):
        try:
            generic, settings = _mapped(name, options)
        except ConfigError as exc:
            broken.append(exc)
            continue
        if (mapped := _mapped_header(source, generic, settings)) is not None:
            found.append((generic, mapped))
    hint = "pass --format NAME or --mapping NAME (a file's rows are keyed by the format reading them)"
    if len(found) > 1 and earlier is not None:
        names = [i.name for i, _ in found]
        history = [(f, same) for f, same in earlier() if f in names]
        if history and history[0][1]:  # these very bytes were read with it
            found = [found[names.index(history[0][0])]]
        elif history:  # a file of its name was: most likely an older version of this one
            hint = f"pass {_option(history[0][0])}, as a file of this name was imported with before"
    if not found:
        seen = reading.first_record(source)
        near = PurchasesImporter().near_miss(seen.cells) if seen else None
        unusable = "".join(f"; a mapping that cannot work: {exc.message}" for exc in broken)
        raise FileFormatError(
            f"cannot tell the export format from the header ({_first_line(source, seen)}); "
            + (f"{near}; " if near else "")
            + f"known formats: {', '.join(FORMATS[1:])}{unusable}",
            hint=_MAPPING_HINT,
        )
    if len(found) > 1:
        raise FileFormatError(
            f"the header ({_shown(found[0][1])}) fits several formats "
            f"({', '.join(i.name for i, _ in found)}); "
            f"known formats: {', '.join(FORMATS[1:])}",
            hint=hint,
        )
    return found[0][0], reading.table(source, found[0][1])


def _option(fmt: str) -> str:
    """The command-line option that chooses format `fmt` (`generic:NAME` is a mapping)."""
    return f"--mapping {fmt.removeprefix('generic:')}" if fmt.startswith("generic:") else f"--format {fmt}"


def _first_line(source: reading.Source, seen: reading.HeaderMatch | None) -> str:
    """The file's first record for messages, or its first line as written when that is no CSV record."""
    line = reading.first_line(source)
    if line is not None and (seen is None or line[0] < seen.line):
        return repr(line[1][:MAX_SHOWN]) + ("..." if len(line[1]) > MAX_SHOWN else "")
    return _shown(seen)


def _shown(header: reading.HeaderMatch | None) -> str:
    """The first cells of a header, quoted, for messages."""
    cells = header.cells if header else []
    return first_few([repr(c) for c in cells], 8) or "none found"


_MAPPING_HINT = (
    "pass --format NAME, or map the columns in config.toml ([import.mappings.NAME]) and pass --mapping NAME"
)
