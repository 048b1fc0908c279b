"""Secret storage: the OS keyring (service `soleflip`), else a Fernet-encrypted file in the data dir."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from soleflip_cli.errors import AuthError

SERVICE = "soleflip"
SECRET_FILE = "secrets.enc"  # noqa: S105 - a file name
# Stored names that an environment variable overrides (they are also settings, see config.py).
ENV_OVERRIDES: Mapping[str, str] = {
    "stockx.api_key": "SOLEFLIP_STOCKX__API_KEY",
    "stockx.client_secret": "SOLEFLIP_STOCKX__CLIENT_SECRET",
    "stockx.client_id": "SOLEFLIP_STOCKX__CLIENT_ID",
}
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


class SecretStore(Protocol):
    """Named secrets (e.g. `stockx.refresh_token`); values are strings."""

    @property
    def backend_name(self) -> str:
        """Where the secrets live, for `auth status` (never a secret itself)."""
        ...

    def get(self, name: str) -> str | None:
        """The secret, or None when it is not stored."""
        ...

    def set(self, name: str, value: str) -> None:
        """Store or replace the secret."""
        ...

    def delete(self, name: str) -> None:
        """Forget the secret (no error when it is absent)."""
        ...


class KeyringStore:
    """Secrets in the OS keyring: service `soleflip`, the secret name as the user name."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    @property
    def backend_name(self) -> str:
        """`keyring (<backend class>)`."""
        return f"keyring ({type(self._backend).__module__}.{type(self._backend).__name__})"

    def get(self, name: str) -> str | None:
        """Read one secret from the keyring."""
        from keyring.errors import KeyringError

        try:
            value: str | None = self._backend.get_password(SERVICE, name)
        except KeyringError as exc:
            raise _keyring_failed("read", exc) from None
        return value

    def set(self, name: str, value: str) -> None:
        """Write one secret to the keyring."""
        from keyring.errors import KeyringError

        try:
            self._backend.set_password(SERVICE, name, value)
        except KeyringError as exc:
            raise _keyring_failed("write", exc) from None

    def delete(self, name: str) -> None:
        """Remove one secret from the keyring (absent is fine)."""
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            self._backend.delete_password(SERVICE, name)
        except PasswordDeleteError:
            return
        except KeyringError as exc:
            raise _keyring_failed("delete", exc) from None


def _keyring_failed(action: str, exc: Exception) -> AuthError:
    return AuthError(
        f"the OS keyring refused to {action} a secret ({type(exc).__name__})",
        hint="unlock the keyring, or set SOLEFLIP_SECRET_KEY to keep secrets in an encrypted file",
    )


class FileStore:
    """Secrets in `<data dir>/secrets.enc`: one Fernet token over a JSON object, mode 0600.

    The key is SOLEFLIP_SECRET_KEY itself when it is a Fernet key (32 url-safe base64 bytes),
    else derived from it as a passphrase with scrypt and a random salt kept in the file.
    """

    def __init__(self, path: Path, secret_key: str) -> None:
        self.path = path
        self._secret_key = secret_key
        self._fernet: Any = None
        self._salt: bytes | None = None

    @property
    def backend_name(self) -> str:
        """`encrypted file <path>`."""
        return f"encrypted file {self.path}"

    def get(self, name: str) -> str | None:
        """Read one secret from the file."""
        return self._load().get(name)

    def set(self, name: str, value: str) -> None:
        """Write one secret (the whole file is rewritten atomically)."""
        data = self._load()
        data[name] = value
        self._save(data)

    def delete(self, name: str) -> None:
        """Remove one secret from the file."""
        data = self._load()
        if data.pop(name, None) is not None:
            self._save(data)

    def _load(self) -> dict[str, str]:
        from cryptography.fernet import InvalidToken

        try:
            envelope = json.loads(self.path.read_text(encoding="utf-8"))
            salt = base64.b64decode(envelope["salt"])
            token = envelope["token"].encode("ascii")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise AuthError(
                f"{self.path}: not a soleflip secret file ({type(exc).__name__})",
                hint="move it away and log in again (`soleflip auth login stockx`)",
            ) from None
        try:
            plain = self._cipher(salt).decrypt(token)
        except InvalidToken:
            raise AuthError(
                f"SOLEFLIP_SECRET_KEY does not decrypt {self.path}",
                hint="set the key the file was written with, or delete the file and log in again",
            ) from None
        data: dict[str, str] = json.loads(plain)
        return data

    def _save(self, data: dict[str, str]) -> None:
        salt = self._salt or os.urandom(16)
        token = self._cipher(salt).encrypt(json.dumps(data, sort_keys=True).encode("utf-8"))
        envelope = {"version": 1, "salt": base64.b64encode(salt).decode("ascii"), "token": token.decode()}
        write_private(self.path, json.dumps(envelope) + "\n")

    def _cipher(self, salt: bytes) -> Any:
        from cryptography.fernet import Fernet

        if self._fernet is None or self._salt != salt:
            self._fernet = Fernet(_fernet_key(self._secret_key, salt))
            self._salt = salt
        return self._fernet


def _fernet_key(secret_key: str, salt: bytes) -> bytes:
    """The key itself when it is a Fernet key, else scrypt(passphrase, salt)."""
    raw = secret_key.strip().encode("utf-8")
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32 and len(raw) == 44:
            return raw
    except (binascii.Error, ValueError):
        pass
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    derived = Scrypt(salt=salt, length=32, **_SCRYPT).derive(raw)
    return base64.urlsafe_b64encode(derived)


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (temp file + rename), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class EnvOverlay:
    """A store whose values the environment overrides (SOLEFLIP_STOCKX__API_KEY and friends)."""

    def __init__(self, inner: SecretStore) -> None:
        self.inner = inner

    @property
    def backend_name(self) -> str:
        """The wrapped store's name."""
        return self.inner.backend_name

    def get(self, name: str) -> str | None:
        """The environment's value when set, else the stored one."""
        env = ENV_OVERRIDES.get(name)
        if env and os.environ.get(env):
            return os.environ[env]
        return self.inner.get(name)

    def set(self, name: str, value: str) -> None:
        """Store in the wrapped store."""
        self.inner.set(name, value)

    def delete(self, name: str) -> None:
        """Delete from the wrapped store."""
        self.inner.delete(name)


def keyring_backend() -> Any | None:
    """The active keyring backend when it can store secrets, else None (fail/null/empty chainer)."""
    import keyring

    backend = keyring.get_keyring()
    return backend if backend.priority > 0 else None


def open_store(data_dir: Path, secret_key: str | None) -> SecretStore:
    """The keyring when a usable backend exists, else the encrypted file keyed by `secret_key`.

    Raises AuthError (exit 4) explaining both options when neither is available.
    """
    backend = keyring_backend()
    if backend is not None:
        return EnvOverlay(KeyringStore(backend))
    if secret_key:
        return EnvOverlay(FileStore(data_dir / SECRET_FILE, secret_key))
    raise AuthError(
        "no place to keep secrets: this system has no usable keyring backend "
        "and SOLEFLIP_SECRET_KEY is unset",
        hint="install/unlock an OS keyring (e.g. gnome-keyring, KWallet, macOS Keychain), or set "
        'SOLEFLIP_SECRET_KEY to a passphrase or a Fernet key (python -c "from cryptography.fernet '
        'import Fernet; print(Fernet.generate_key().decode())") to use an encrypted file in the data dir',
    )
