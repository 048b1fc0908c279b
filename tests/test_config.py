"""Configuration precedence, sources and errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from soleflip_cli.config import describe_sources, load_settings
from soleflip_cli.errors import ConfigError
from tests.conftest import Cli


def _write_config(text: str) -> Path:
    path = Path(os.environ["SOLEFLIP_HOME"]) / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    settings = load_settings().settings
    assert settings.base_currency == "USD"
    assert settings.stockx.api_url == "https://api.stockx.com/v2"
    assert settings.stockx.auth_url == "https://accounts.stockx.com"
    assert settings.stockx.requests_per_second == 1
    assert settings.database_url is None


def test_precedence_flag_over_env_over_file(monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config(
        'database_url = "sqlite:///file.db"\nbase_currency = "EUR"\n'
        '[stockx]\nrequests_per_second = 0.5\nclient_id = "from-file"\n'
    )
    assert load_settings().settings.database_url == "sqlite:///file.db"
    monkeypatch.setenv("SOLEFLIP_DATABASE_URL", "sqlite:///env.db")
    monkeypatch.setenv("SOLEFLIP_STOCKX__REQUESTS_PER_SECOND", "2")
    loaded = load_settings()
    assert loaded.settings.database_url == "sqlite:///env.db"
    assert loaded.settings.stockx.requests_per_second == 2
    assert loaded.settings.stockx.client_id == "from-file"  # nested keys merge across sources
    assert loaded.settings.base_currency == "EUR"
    assert load_settings({"database_url": "sqlite:///flag.db"}).settings.database_url == ("sqlite:///flag.db")


def test_soleflip_home_relocates_config_and_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOLEFLIP_HOME", str(tmp_path / "elsewhere"))
    paths = load_settings().paths
    assert paths.config_file == tmp_path / "elsewhere" / "config.toml"
    assert paths.default_database == tmp_path / "elsewhere" / "soleflip.db"


def test_malformed_toml_names_the_file() -> None:
    path = _write_config("[stockx\n")
    with pytest.raises(ConfigError, match=str(path)):
        load_settings()


def test_bad_value_names_file_and_key() -> None:
    path = _write_config("[stockx]\nrequests_per_second = 'fast'\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(path) in str(info.value) and "stockx.requests_per_second" in str(info.value)


def test_unknown_key_is_an_error() -> None:
    _write_config("colour = 'red'\n")
    with pytest.raises(ConfigError, match="'colour': unknown setting"):
        load_settings()


def test_bad_env_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOLEFLIP_BASE_CURRENCY", "XXX")
    with pytest.raises(ConfigError, match="SOLEFLIP_BASE_CURRENCY"):
        load_settings()


def test_config_show_masks_secrets_and_names_sources(cli_nodb: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config('[stockx]\nclient_id = "abc"\n')
    monkeypatch.setenv("SOLEFLIP_STOCKX__CLIENT_SECRET", "s3cr3t-value")
    monkeypatch.setenv("SOLEFLIP_SECRET_KEY", "another-secret")
    result = cli_nodb("config", "show", "--json")
    assert result.exit_code == 0, result.stderr
    assert "s3cr3t-value" not in result.stdout + result.stderr
    assert "another-secret" not in result.stdout + result.stderr
    data = json.loads(result.stdout)["settings"]
    assert data["stockx.client_secret"] == {
        "value": "********",
        "source": "env SOLEFLIP_STOCKX__CLIENT_SECRET",
    }
    assert data["stockx.client_id"]["source"].startswith("file ")
    assert data["base_currency"] == {"value": "USD", "source": "default"}


def test_config_show_bad_file_exits_2(cli_nodb: Cli) -> None:
    _write_config("[stockx\n")
    result = cli_nodb("config", "show")
    assert result.exit_code == 2
    assert "config.toml" in result.stderr and "Traceback" not in result.stderr


def test_paths_json(cli_nodb: Cli) -> None:
    result = cli_nodb("paths", "--json")
    home = os.environ["SOLEFLIP_HOME"]
    assert json.loads(result.stdout) == {
        "config_file": f"{home}/config.toml",
        "data_dir": home,
        "database": f"sqlite:///{home}/soleflip.db",
    }


def test_example_config_is_valid_and_complete() -> None:
    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    text = example.read_text(encoding="utf-8")
    _write_config(text)
    loaded = load_settings()
    for key, _value, _source in describe_sources(loaded):
        top = key.split(".")[-1]
        assert top in text, f"config.example.toml does not document {key}"


def test_env_mapping_merges_with_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config('[import.mappings.shop]\nplatform = "shopify"\n')
    monkeypatch.setenv("SOLEFLIP_IMPORT__MAPPINGS__SHOP__CURRENCY", "EUR")
    monkeypatch.setenv("IMPORT", '{"bogus": 1}')  # unprefixed: not ours, ignored
    shop = load_settings().settings.import_.mappings["shop"]
    assert (shop.platform, shop.currency) == ("shopify", "EUR")


def test_env_json_that_does_not_parse_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOLEFLIP_INVENTORY__AGING_BUCKETS", "30,60")
    with pytest.raises(ConfigError, match="must hold JSON"):
        load_settings()


def test_settings_are_pydantic_settings_reading_the_prefixed_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic_settings import BaseSettings

    from soleflip_cli.config import Settings

    assert issubclass(Settings, BaseSettings)
    monkeypatch.setenv("soleflip_stockx__client_id", "from-env")  # names are case-insensitive
    assert load_settings().settings.stockx.client_id == "from-env"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('currency = "EURO"', "import.mappings.m.currency': unknown currency code 'EURO'"),
        ('date_format = "%d/%q/%Y"', "import.mappings.m.date_format': '%d/%q/%Y' is not a date format"),
        ('date_format = "DD.MM.YYYY"', "'DD.MM.YYYY' does not read a whole date back"),
        ('date_format = "%Y-%m"', "'%Y-%m' does not read a whole date back"),
        ('delimiter = "||"', "import.mappings.m.delimiter': '\\|\\|' is not a delimiter: one character"),
        ("delimiter = '\"'", "import.mappings.m.delimiter': '\"' is not a delimiter"),
        ('delimiter = "\\n"', "import.mappings.m.delimiter': '\\\\n' is not a delimiter"),
        ('delimiter = ""', "import.mappings.m.delimiter': '' is not a delimiter"),
    ],
)
def test_a_mapping_setting_that_cannot_work_is_a_config_error(setting: str, message: str) -> None:
    """Not every row rejected later, blaming the data: the key is named before any file is read."""
    _write_config(f"[import.mappings.m]\n{setting}\n")
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_a_mapping_currency_is_upper_cased() -> None:
    _write_config('[import.mappings.m]\ncurrency = "eur"\ndate_format = "%d.%m.%Y %H:%M"\n')
    mapping = load_settings().settings.import_.mappings["m"]
    assert (mapping.currency, mapping.date_format) == ("EUR", "%d.%m.%Y %H:%M")


def test_the_example_shopify_mapping_uncommented_imports_a_shopify_export(
    cli_nodb: Cli, tmp_path: Path
) -> None:
    """A new user uncomments the example as it is: currencies and refunds come out right."""
    example = (Path(__file__).resolve().parents[1] / "config.example.toml").read_text(encoding="utf-8")
    block = example.split("# [import.mappings.shopify]\n", 1)[1].split("# Sales fields", 1)[0]
    mapping = "[import.mappings.shopify]\n" + "".join(line[2:] + "\n" for line in block.splitlines())
    _write_config(mapping)
    export = tmp_path / "orders_export.csv"
    export.write_text(
        "Name,Created at,Lineitem sku,Lineitem name,Lineitem price,Currency,Financial Status\n"
        "#1001,2024-05-14 11:23:45 +0100,DD1391-100,Nike Dunk Low Panda,135.00,USD,paid\n"
        "#1002,2024-05-15 09:00:00 +0100,DD1391-100,Nike Dunk Low Panda,140.00,USD,refunded\n"
    )
    result = cli_nodb("import", "csv", str(export), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["format"] == "generic:shopify"
    summary = json.loads(cli_nodb("report", "summary", "--json").stdout)
    assert (summary["orders"], summary["gross"], summary["currency"]) == (1, "135.00", "USD")
