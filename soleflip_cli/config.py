"""Settings: command-line flags > SOLEFLIP_* environment > TOML config file > defaults."""

from __future__ import annotations

import json
import os
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from soleflip_cli.errors import ConfigError
from soleflip_cli.fee_schedules import parse_rate, validate_overrides
from soleflip_cli.money import check_currency
from soleflip_cli.paths import Paths, resolve_paths

ENV_PREFIX = "SOLEFLIP_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StockXSettings(_Section):
    """StockX Public API v2 access."""

    api_url: str = "https://api.stockx.com/v2"
    auth_url: str = "https://accounts.stockx.com"
    api_key: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    redirect_uri: str | None = None
    requests_per_second: float = Field(default=1.0, gt=0, le=50)
    daily_budget: int = Field(default=25_000, gt=0)
    timeout_s: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=5, ge=0, le=20)
    batch_items_per_window: int = Field(default=500, gt=0)
    batch_window_s: float = Field(default=300.0, gt=0)
    batch_items_per_day: int = Field(default=50_000, gt=0)


class InventorySettings(_Section):
    """Aging buckets, dead-stock rule and market-data staleness."""

    aging_buckets: list[int] = Field(default_factory=lambda: [30, 60, 90, 180])
    dead_after_days: int = Field(default=90, gt=0)
    stale_market_days: int = Field(default=7, gt=0)

    @field_validator("aging_buckets")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if not value or any(b <= 0 for b in value) or value != sorted(set(value)):
            raise ValueError("must be a non-empty list of ascending positive day counts")
        return value


class MappingSettings(_Section):
    """A named column mapping for `soleflip import csv --format generic --mapping NAME`."""

    target: Literal["sales", "purchases"] = "sales"
    platform: str = "other"
    columns: dict[str, str] = Field(default_factory=dict)
    date_format: str = "%Y-%m-%d"
    decimal_separator: Literal[".", ","] = "."
    delimiter: str | None = None
    currency: str | None = None
    skip_lines: int = Field(default=0, ge=0)


def _signed_rate(value: object) -> Decimal:
    text = str(value).strip()
    if text.startswith("-"):
        return -parse_rate(text[1:])
    return parse_rate(text.removeprefix("+"))


Rate = Annotated[Decimal, BeforeValidator(parse_rate)]
Condition = Literal["new", "new-defects", "used"]
BoxCondition = Literal["good", "damaged", "missing"]
SignedRate = Annotated[Decimal, BeforeValidator(_signed_rate)]


class MarkdownStep(_Section):
    """Pairs in stock at least `days` are priced `cut` below the market candidate."""

    days: int = Field(gt=0)
    cut: Rate


class PricingSettings(_Section):
    """Defaults of `soleflip price suggest` and `price apply` (a policy, not market facts)."""

    strategy: Literal["match-lowest", "beat-lowest", "sell-faster", "earn-more", "max-profit"] = "beat-lowest"
    min_margin: Rate = Decimal("0.05")
    undercut_step: Decimal = Field(default=Decimal(1), gt=0)
    markdown: list[MarkdownStep] = Field(
        default_factory=lambda: [
            MarkdownStep(days=30, cut=Decimal("0.03")),
            MarkdownStep(days=60, cut=Decimal("0.06")),
            MarkdownStep(days=90, cut=Decimal("0.10")),
        ]
    )
    max_cut_per_run: Rate = Decimal("0.10")
    condition_adjustments: dict[Condition, SignedRate] = Field(
        default_factory=lambda: dict[Condition, Decimal](
            {"new-defects": Decimal("-0.10"), "used": Decimal("-0.25")}
        )
    )
    box_adjustments: dict[BoxCondition, SignedRate] = Field(
        default_factory=lambda: dict[BoxCondition, Decimal](
            {"damaged": Decimal("-0.05"), "missing": Decimal("-0.10")}
        )
    )

    @field_validator("markdown")
    @classmethod
    def _ascending_days(cls, value: list[MarkdownStep]) -> list[MarkdownStep]:
        days = [step.days for step in value]
        if days != sorted(set(days)):
            raise ValueError("steps must have ascending, distinct days")
        return value


class ImportSettings(_Section):
    """CSV import options."""

    mappings: dict[str, MappingSettings] = Field(default_factory=dict)


class Settings(BaseModel):
    """Every soleflip setting; see config.example.toml for the documented file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True)

    database_url: str | None = None
    base_currency: str = "USD"
    secret_key: SecretStr | None = None
    stockx: StockXSettings = Field(default_factory=StockXSettings)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    import_: ImportSettings = Field(default_factory=ImportSettings, alias="import")
    fees: dict[str, dict[str, Any]] = Field(default_factory=dict)
    pricing: PricingSettings = Field(default_factory=PricingSettings)

    @field_validator("base_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)

    @field_validator("fees")
    @classmethod
    def _fees(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        try:
            validate_overrides(value)
        except ConfigError as exc:
            raise ValueError(exc.message.removeprefix("config ")) from None
        return value


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus what is needed to explain them (`config show`)."""

    settings: Settings
    paths: Paths
    file_data: Mapping[str, Any]
    overrides: Mapping[str, Any]

    def database_url(self) -> str:
        """The configured URL, else the embedded SQLite file in the data dir."""
        return self.settings.database_url or f"sqlite:///{self.paths.default_database}"


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse the TOML config file; a missing file is empty, a malformed one a ConfigError."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", hint="fix or remove the file") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from exc


def load_settings(overrides: Mapping[str, Any] | None = None) -> LoadedSettings:
    """Build Settings from flags (`overrides`), environment and the config file."""
    paths = resolve_paths()
    file_data = read_config_file(paths.config_file)
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    try:
        settings = Settings.model_validate(_merged(file_data, environment_settings(os.environ), flags))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, paths.config_file, file_data)) from None
    return LoadedSettings(settings=settings, paths=paths, file_data=file_data, overrides=flags)


def environment_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The SOLEFLIP_* variables as nested settings: names are case-insensitive, `__` separates keys.

    A variable for a section, list or table holds JSON (SOLEFLIP_INVENTORY__AGING_BUCKETS="[30, 90]");
    any other value is text for the models to convert. Variables that name no setting
    (SOLEFLIP_HOME, SOLEFLIP_FORMAT, ...) are left alone; nested variables win over a JSON section.
    """
    data: dict[str, Any] = {}
    found = [
        (name, name[len(ENV_PREFIX) :].lower().split("__"))
        for name in environ
        if name.upper().startswith(ENV_PREFIX)
    ]
    for name, keys in sorted(found, key=lambda item: len(item[1])):
        if keys[0] not in _TOP_LEVEL:
            continue
        text = environ[name]
        if text and _holds_json(_TOP_LEVEL[keys[0]], keys[1:]):
            try:
                value: Any = json.loads(text)
            except ValueError as exc:
                raise ConfigError(f"environment variable {name}: not valid JSON ({exc})") from None
        else:
            value = text
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {}) if isinstance(node.get(key, {}), dict) else {}
        node[keys[-1]] = _merged(node[keys[-1]], value) if isinstance(node.get(keys[-1]), dict) else value
    return data


# Top-level settings by the name their variable uses (the alias where there is one: "import").
_TOP_LEVEL = {field.alias or name: field.annotation for name, field in Settings.model_fields.items()}


def _holds_json(annotation: Any, keys: list[str]) -> bool:
    """Whether the setting at `keys` below a field of this type is a section, list or table."""
    for key in keys:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {field.alias or name: field for name, field in annotation.model_fields.items()}
            field = fields.get(key)
            annotation = field.annotation if field is not None else None
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        else:
            return False
    annotation = _unwrap(annotation)
    return get_origin(annotation) in (dict, list) or (
        isinstance(annotation, type) and issubclass(annotation, BaseModel)
    )


def _unwrap(annotation: Any) -> Any:
    """The type inside Annotated[...] and X | None."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _merged(base: Any, *updates: Any) -> Any:
    """Later sources win key by key; tables (dicts) are merged rather than replaced."""
    result = base
    for update in updates:
        if isinstance(result, dict) and isinstance(update, dict):
            result = {**result, **{k: _merged(result[k], v) if k in result else v for k, v in update.items()}}
        else:
            result = update
    return result


def _describe(exc: ValidationError, config_file: Path, file_data: Mapping[str, Any]) -> str:
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = ".".join("import" if p == "import_" else p for p in loc)
        env = ENV_PREFIX + "__".join(p.upper() for p in loc)
        if env in os.environ:
            where = f"environment variable {env}"
        elif _dig(file_data, ["import" if p == "import_" else p for p in loc]) is not _MISSING:
            where = f"{config_file}"
        else:
            where = "settings"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown setting (see config.example.toml for the valid keys)"
        lines.append(f"{where}: key {key!r}: {message}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


_MISSING = object()


def _dig(data: Mapping[str, Any], keys: list[str]) -> Any:
    node: Any = data
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return _MISSING
        node = node[key]
    return node


def describe_sources(loaded: LoadedSettings) -> list[tuple[str, Any, str]]:
    """Each leaf setting as (dotted key, value with secrets masked, where it came from)."""
    rows: list[tuple[str, Any, str]] = []
    dumped = loaded.settings.model_dump(by_alias=True)
    for key, value in _flatten(dumped):
        parts = key.split(".")
        env = ENV_PREFIX + "__".join(p.upper() for p in parts)
        if key in loaded.overrides:
            source = "flag"
        elif env in os.environ or (len(parts) > 1 and ENV_PREFIX + parts[0].upper() in os.environ):
            source = f"env {env}"
        elif _dig(loaded.file_data, parts) is not _MISSING:
            source = f"file {loaded.paths.config_file}"
        else:
            source = "default"
        rows.append((key, _mask(value), source))
    return rows


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and key not in {"columns"}:
            items.extend(_flatten(value, dotted + "."))
        else:
            items.append((dotted, value))
    return items


def _mask(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else ""
    return value
