"""Settings: command-line flags > SOLEFLIP_* environment > TOML config file > defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
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


MappedStatus = Literal["completed", "cancelled", "returned", "refunded"]


class MappingSettings(_Section):
    """A named column mapping for `soleflip import csv --format generic --mapping NAME`."""

    target: Literal["sales", "purchases"] = "sales"
    platform: str | None = None  # sales are keyed (platform, external_id); default: the mapping's name
    columns: dict[str, str] = Field(default_factory=dict)
    date_format: str = "%Y-%m-%d"
    decimal_separator: Literal[".", ","] = "."
    delimiter: str | None = None
    currency: str | None = None
    skip_lines: int = Field(default=0, ge=0)
    # A sale's price column: one pair's price (Shopify's Lineitem price) or the whole line's. Fees
    # and payout are the line's; a purchase's cost is always one pair's.
    price_per: Literal["pair", "line"] = "pair"
    # Rows repeating the previous row's external_id are further lines of its order (Shopify): their
    # blank order-level cells (sold_at, currency, status, ...) are the order's first row's.
    order_lines: bool = False
    # A sale's status cells in the file's own words, as soleflip's: {"Storniert" = "cancelled"}.
    statuses: dict[str, MappedStatus] = Field(default_factory=dict)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else check_currency(value)

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str | None) -> str | None:
        """One character that can separate CSV cells (not a quote or a line break)."""
        if value is not None and (len(value) != 1 or value in '"\r\n'):
            raise ValueError(f'{value!r} is not a delimiter: one character such as ",", ";" or "\\t"')
        return value

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str) -> str:
        """A format that writes a day and reads it back (`%q` or `DD.MM.YYYY` would reject every row)."""
        day = datetime(2024, 3, 15, 14, 30, tzinfo=UTC)
        try:
            back = datetime.strptime(day.strftime(value), value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a date format ({exc}); e.g. %d.%m.%Y or %Y-%m-%d") from None
        if back.date() != day.date():
            raise ValueError(f"{value!r} does not read a whole date back; use directives such as %d.%m.%Y")
        return value


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


class Settings(BaseSettings):
    """Every soleflip setting; see config.example.toml for the documented file."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        # The prefix applies to aliased fields too: [import] is SOLEFLIP_IMPORT, never a bare IMPORT.
        env_prefix_target="all",
        extra="forbid",
        populate_by_name=True,
    )

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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings layers file < environment < flags itself and passes the result in.
        return (init_settings,)


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
    except (FileNotFoundError, NotADirectoryError):  # no such file (a folder on its path is a file)
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", hint="fix or remove the file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start + 1} is {exc.object[exc.start : exc.start + 1]!r})",
            hint="save the file as UTF-8",
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from exc


def load_settings(overrides: Mapping[str, Any] | None = None) -> LoadedSettings:
    """Build Settings from flags (`overrides`), environment and the config file."""
    paths = resolve_paths()
    file_data = read_config_file(paths.config_file)
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    try:
        environment = EnvSettingsSource(Settings)()
        settings = Settings(**_layered(_by_field_name(file_data), environment, flags))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, paths.config_file, file_data)) from None
    except SettingsError as exc:
        raise ConfigError(
            f"environment: {exc} (a {ENV_PREFIX}* variable for a section, list or table must hold JSON, "
            'e.g. SOLEFLIP_INVENTORY__AGING_BUCKETS="[30, 60, 90]")'
        ) from None
    return LoadedSettings(settings=settings, paths=paths, file_data=file_data, overrides=flags)


def _by_field_name(data: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level keys as the environment source names them ([import] is the field import_)."""
    names = {field.alias: name for name, field in Settings.model_fields.items() if field.alias}
    return {names.get(key, key): value for key, value in data.items()}


def _layered(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Later layers win; tables merge key by key, so a variable overrides one key of a file table."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            below = merged.get(key)
            merged[key] = (
                _layered(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
            )
    return merged


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
