"""`soleflip auth login|status|logout` in-process against the fake StockX (keyring and file store)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import keyring
import pytest
from keyring.backends import fail

from soleflip_cli.secrets import SECRET_FILE
from tests.conftest import Cli, MemoryKeyring
from tests.fake_stockx import FakeStockX

CALLBACK = "https://localhost/callback"


def env(fake: FakeStockX, **extra: str) -> dict[str, str]:
    return fake.env(requests_per_second=50) | extra


def authorize(fake: FakeStockX, redirect_uri: str = CALLBACK, state: str = "s") -> dict[str, str]:
    """What the StockX login page redirects to (the code and state), as a dict."""
    params = {"response_type": "code", "client_id": fake.client_id, "redirect_uri": redirect_uri,
              "scope": "offline_access openid", "audience": "gateway.stockx.com", "state": state}  # fmt: skip
    location = httpx.get(f"{fake.auth_url}/authorize?{urlencode(params)}").headers["location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def status(cli: Cli, fake: FakeStockX) -> dict[str, object]:
    result = cli("auth", "status", "--json", env=env(fake))
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_status_before_login(cli_nodb: Cli, fake_stockx: FakeStockX) -> None:
    assert status(cli_nodb, fake_stockx) == {
        "platform": "stockx",
        "logged_in": False,
        "access_token_expires_at": None,
        "access_token_valid": False,
        "client_id_set": True,
        "client_secret_set": True,
        "api_key_set": True,
        "store": "keyring (tests.conftest.MemoryKeyring)",
    }


def test_login_no_browser_with_a_pasted_code(
    cli_nodb: Cli, fake_stockx: FakeStockX, isolated: MemoryKeyring
) -> None:
    code = authorize(fake_stockx)["code"]
    result = cli_nodb(
        "auth",
        "login",
        "stockx",
        "--no-browser",
        "--redirect-uri",
        CALLBACK,
        input=code + "\n",
        env=env(fake_stockx),
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    url = next(line for line in result.stderr.splitlines() if line.startswith(fake_stockx.auth_url))
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/authorize"
    assert {k: v[0] for k, v in query.items() if k != "state"} == {
        "response_type": "code",
        "client_id": fake_stockx.client_id,
        "redirect_uri": CALLBACK,
        "scope": "offline_access openid",
        "audience": "gateway.stockx.com",
    }
    assert len(query["state"][0]) >= 24
    assert "Logged in to StockX" in result.stderr
    assert isolated.store[("soleflip", "stockx.refresh_token")] in fake_stockx.refresh_tokens
    after = status(cli_nodb, fake_stockx)
    assert after["logged_in"] is True and after["access_token_valid"] is True
    assert str(after["access_token_expires_at"]).endswith("Z")
    assert fake_stockx.grants["authorization_code"] == 1


def test_pasted_redirect_with_another_state_is_refused(cli_nodb: Cli, fake_stockx: FakeStockX) -> None:
    redirect = f"{CALLBACK}?" + urlencode(authorize(fake_stockx, state="not-ours"))
    result = cli_nodb(
        "auth",
        "login",
        "stockx",
        "--no-browser",
        "--redirect-uri",
        CALLBACK,
        input=redirect + "\n",
        env=env(fake_stockx),
    )
    assert result.exit_code == 4
    assert "state does not match" in result.stderr
    assert fake_stockx.grants["authorization_code"] == 0


def test_denied_login_is_an_auth_error(cli_nodb: Cli, fake_stockx: FakeStockX) -> None:
    result = cli_nodb(
        "auth", "login", "stockx", "--no-browser", "--redirect-uri", CALLBACK,
        input=f"{CALLBACK}?error=access_denied&error_description=User+denied&state=x\n", env=env(fake_stockx),
    )  # fmt: skip
    assert result.exit_code == 4 and "StockX refused the login: access_denied User denied" in result.stderr


def test_a_used_code_is_refused(cli_nodb: Cli, fake_stockx: FakeStockX) -> None:
    code = authorize(fake_stockx)["code"]
    args = ("auth", "login", "stockx", "--no-browser", "--redirect-uri", CALLBACK)
    assert cli_nodb(*args, input=code + "\n", env=env(fake_stockx)).exit_code == 0
    again = cli_nodb(*args, input=code + "\n", env=env(fake_stockx))
    assert again.exit_code == 4 and "invalid_grant" in again.stderr


def test_login_with_a_refresh_token_from_stdin(
    cli_nodb: Cli, fake_stockx: FakeStockX, isolated: MemoryKeyring
) -> None:
    token = fake_stockx.issue_refresh_token()
    result = cli_nodb(
        "auth", "login", "stockx", "--refresh-token", "-", input=token + "\n", env=env(fake_stockx)
    )
    assert result.exit_code == 0, result.stderr
    assert isolated.store[("soleflip", "stockx.refresh_token")] == token
    assert fake_stockx.grants["refresh_token"] == 1
    assert status(cli_nodb, fake_stockx)["logged_in"] is True
    assert token not in result.stdout + result.stderr


def test_refresh_token_on_the_command_line_is_refused(cli_nodb: Cli, fake_stockx: FakeStockX) -> None:
    result = cli_nodb("auth", "login", "stockx", "--refresh-token", "abc", env=env(fake_stockx))
    assert result.exit_code == 2 and "only takes '-'" in result.stderr


def test_revoked_refresh_token_keeps_the_previous_login(
    cli_nodb: Cli, fake_stockx: FakeStockX, isolated: MemoryKeyring
) -> None:
    good = fake_stockx.issue_refresh_token()
    assert (
        cli_nodb(
            "auth", "login", "stockx", "--refresh-token", "-", input=good, env=env(fake_stockx)
        ).exit_code
        == 0
    )
    result = cli_nodb(
        "auth", "login", "stockx", "--refresh-token", "-", input="revoked\n", env=env(fake_stockx)
    )
    assert result.exit_code == 4
    assert result.stderr.startswith(
        "Error: StockX refused the given refresh token (invalid_grant): it was revoked, expired or "
        "already used; your previous login is unchanged\n"
    )
    assert "stored login" not in result.stderr and "soleflip auth login stockx" in result.stderr
    assert isolated.store[("soleflip", "stockx.refresh_token")] == good
    assert status(cli_nodb, fake_stockx)["logged_in"] is True


def test_a_refused_refresh_token_is_never_stored(
    cli_nodb: Cli, fake_stockx: FakeStockX, isolated: MemoryKeyring
) -> None:
    result = cli_nodb(
        "auth", "login", "stockx", "--refresh-token", "-", input="v1.revoked\n", env=env(fake_stockx)
    )
    assert (result.exit_code, result.stdout) == (4, "")
    assert result.stderr == (
        "Error: StockX refused the given refresh token (invalid_grant): it was revoked, expired or "
        "already used; nothing was stored\n"
        "Tip: pipe in the current refresh token (one StockX has rotated is used up), or log in with the "
        "browser: `soleflip auth login stockx`\n"
    )
    assert fake_stockx.grants["refresh_token"] == 1
    assert not [name for (_, name) in isolated.store if name.endswith("_token")]
    assert status(cli_nodb, fake_stockx)["logged_in"] is False


def test_missing_credentials_without_a_terminal(cli_nodb: Cli, fake_stockx: FakeStockX) -> None:
    partial = {k: v for k, v in env(fake_stockx).items() if not k.endswith(("CLIENT_SECRET", "API_KEY"))}
    result = cli_nodb("auth", "login", "stockx", "--refresh-token", "-", input="x\n", env=partial)
    assert result.exit_code == 4
    assert "not configured: StockX client secret, StockX API key" in result.stderr
    assert "SOLEFLIP_STOCKX__CLIENT_SECRET" in result.stderr


def test_login_needs_a_redirect_uri(cli_nodb: Cli, fake_stockx: FakeStockX) -> None:
    result = cli_nodb("auth", "login", "stockx", "--no-browser", input="code\n", env=env(fake_stockx))
    assert result.exit_code == 2 and "--redirect-uri" in result.stderr


def test_unknown_platform(cli_nodb: Cli, fake_stockx: FakeStockX) -> None:
    result = cli_nodb("auth", "login", "goat", env=env(fake_stockx))
    assert result.exit_code == 2 and "unknown platform 'goat'" in result.stderr


def test_logout(cli_nodb: Cli, fake_stockx: FakeStockX, isolated: MemoryKeyring) -> None:
    token = fake_stockx.issue_refresh_token()
    cli_nodb("auth", "login", "stockx", "--refresh-token", "-", input=token, env=env(fake_stockx))
    result = cli_nodb("auth", "logout", env=env(fake_stockx))
    assert result.exit_code == 0 and "Logged out of StockX." in result.stderr
    assert status(cli_nodb, fake_stockx)["logged_in"] is False
    assert "Not logged in" in cli_nodb("auth", "logout", env=env(fake_stockx)).stderr
    isolated.store[("soleflip", "stockx.api_key")] = "stored-key"
    assert cli_nodb("auth", "logout", "--forget-app", env=env(fake_stockx)).exit_code == 0
    assert ("soleflip", "stockx.api_key") not in isolated.store


def test_file_store_when_no_keyring(cli_nodb: Cli, fake_stockx: FakeStockX, tmp_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    no_key = cli_nodb("auth", "status", env=env(fake_stockx))
    assert no_key.exit_code == 4 and "SOLEFLIP_SECRET_KEY" in no_key.stderr and "keyring" in no_key.stderr
    with_key = env(fake_stockx, SOLEFLIP_SECRET_KEY="a long passphrase")
    token = fake_stockx.issue_refresh_token()
    result = cli_nodb("auth", "login", "stockx", "--refresh-token", "-", input=token, env=with_key)
    assert result.exit_code == 0, result.stderr
    secret_file = tmp_path / "soleflip-home" / SECRET_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert token.encode() not in secret_file.read_bytes()
    shown = json.loads(cli_nodb("auth", "status", "--json", env=with_key).stdout)
    assert shown["logged_in"] is True and shown["store"] == f"encrypted file {secret_file}"
    wrong = cli_nodb("auth", "status", env=env(fake_stockx, SOLEFLIP_SECRET_KEY="another passphrase"))
    assert wrong.exit_code == 4 and "does not decrypt" in wrong.stderr


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_status_other_formats_hold_no_secret(cli_nodb: Cli, fake_stockx: FakeStockX, fmt: str) -> None:
    token = fake_stockx.issue_refresh_token()
    cli_nodb("auth", "login", "stockx", "--refresh-token", "-", input=token, env=env(fake_stockx))
    result = cli_nodb("auth", "status", "--format", fmt, env=env(fake_stockx))
    assert result.exit_code == 0 and "logged in" in result.stdout.replace("_", " ")
    for secret in [token, *fake_stockx.access_tokens, fake_stockx.client_secret, fake_stockx.api_key]:
        assert secret not in result.stdout + result.stderr
