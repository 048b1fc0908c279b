"""Both secret stores: the OS keyring, and the Fernet-encrypted file when no keyring is usable."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from cryptography.fernet import Fernet
from keyring.backends import fail
from keyring.errors import KeyringLocked

from soleflip_cli.errors import AuthError, ExitCode
from soleflip_cli.secrets import SECRET_FILE, SERVICE, open_store
from tests.conftest import MemoryKeyring


@pytest.fixture
def no_keyring() -> None:
    """A system without a usable keyring backend (conftest restores the memory one afterwards)."""
    keyring.set_keyring(fail.Keyring())


def test_keyring_store_round_trip(tmp_path: Path, isolated: MemoryKeyring) -> None:
    store = open_store(tmp_path, "ignored-when-a-keyring-exists")
    assert store.backend_name.startswith("keyring (") and "MemoryKeyring" in store.backend_name
    assert store.get("stockx.refresh_token") is None
    store.set("stockx.refresh_token", "r-1")
    store.set("supplier.Footlocker.password", "hunter2")
    assert isolated.store[(SERVICE, "stockx.refresh_token")] == "r-1"
    assert store.get("supplier.Footlocker.password") == "hunter2"
    store.delete("stockx.refresh_token")
    store.delete("stockx.refresh_token")  # absent: no error
    assert store.get("stockx.refresh_token") is None
    assert not (tmp_path / SECRET_FILE).exists()


@pytest.mark.usefixtures("no_keyring")
@pytest.mark.parametrize(
    "key", [Fernet.generate_key().decode(), "correct horse battery staple"], ids=["fernet", "passphrase"]
)
def test_file_store_round_trip(tmp_path: Path, key: str) -> None:
    tmp_path = tmp_path / "data"
    store = open_store(tmp_path, key)
    assert store.backend_name == f"encrypted file {tmp_path / SECRET_FILE}"
    store.set("stockx.refresh_token", "refresh-PLAINTEXT")
    store.set("stockx.api_key", "apikey-PLAINTEXT")
    path = tmp_path / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert b"PLAINTEXT" not in raw and b"refresh_token" not in raw
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_FILE]  # atomic write left no temp file
    again = open_store(tmp_path, key)
    assert again.get("stockx.refresh_token") == "refresh-PLAINTEXT"
    again.delete("stockx.refresh_token")
    assert open_store(tmp_path, key).get("stockx.refresh_token") is None
    assert open_store(tmp_path, key).get("stockx.api_key") == "apikey-PLAINTEXT"


@pytest.mark.usefixtures("no_keyring")
@pytest.mark.parametrize(
    "other", [Fernet.generate_key().decode(), "a different passphrase"], ids=["fernet", "passphrase"]
)
def test_file_store_with_the_wrong_key(tmp_path: Path, other: str) -> None:
    open_store(tmp_path, "the passphrase").set("x", "y")
    with pytest.raises(AuthError) as info:
        open_store(tmp_path, other).get("x")
    assert info.value.exit_code == ExitCode.AUTH
    assert "SOLEFLIP_SECRET_KEY does not decrypt" in str(info.value)


@pytest.mark.usefixtures("no_keyring")
def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("garbage")
    with pytest.raises(AuthError, match="not a soleflip secret file"):
        open_store(tmp_path, "k").get("x")


@pytest.mark.usefixtures("no_keyring")
def test_neither_keyring_nor_key_explains_both_options(tmp_path: Path) -> None:
    with pytest.raises(AuthError) as info:
        open_store(tmp_path, None)
    message = str(info.value)
    assert info.value.exit_code == ExitCode.AUTH
    assert "no usable keyring backend" in message and "SOLEFLIP_SECRET_KEY" in message
    assert "Fernet" in message and "passphrase" in message


def test_environment_overrides_stored_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(tmp_path, None)
    for name in ("stockx.api_key", "stockx.client_secret", "stockx.client_id", "stockx.refresh_token"):
        store.set(name, "stored")
    monkeypatch.setenv("SOLEFLIP_STOCKX__API_KEY", "from-env-1")
    monkeypatch.setenv("SOLEFLIP_STOCKX__CLIENT_SECRET", "from-env-2")
    monkeypatch.setenv("SOLEFLIP_STOCKX__CLIENT_ID", "from-env-3")
    assert store.get("stockx.api_key") == "from-env-1"
    assert store.get("stockx.client_secret") == "from-env-2"
    assert store.get("stockx.client_id") == "from-env-3"
    assert store.get("stockx.refresh_token") == "stored"


class LockedKeyring(MemoryKeyring):
    """A keyring that exists but refuses every operation (a locked login keyring)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("locked")


@pytest.mark.parametrize("action", ["get", "set", "delete"])
def test_locked_keyring_is_an_auth_error(tmp_path: Path, action: str) -> None:
    keyring.set_keyring(LockedKeyring())
    store = open_store(tmp_path, None)
    with pytest.raises(AuthError, match="refused to (read|write|delete) a secret") as info:
        getattr(store, action)(*(["x", "y"] if action == "set" else ["x"]))
    assert "SOLEFLIP_SECRET_KEY" in str(info.value)
