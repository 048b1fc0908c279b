"""StockX OAuth tokens: code exchange, single-flight refresh, the access token kept in the secret store."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from soleflip_cli.clients.stockx.http import unreadable
from soleflip_cli.errors import ApiError, AuthError

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx.http import Sender
    from soleflip_cli.clients.stockx.limits import Clock
    from soleflip_cli.config import StockXSettings
    from soleflip_cli.secrets import SecretStore

AUDIENCE = "gateway.stockx.com"
SCOPE = "offline_access openid"
# Names of entries in the secret store (not secrets themselves).
REFRESH_TOKEN = "stockx.refresh_token"  # noqa: S105
ACCESS_TOKEN = "stockx.access_token"  # noqa: S105
CLIENT_ID = "stockx.client_id"
CLIENT_SECRET = "stockx.client_secret"  # noqa: S105
API_KEY = "stockx.api_key"
# Reuse an access token until this long before it expires.
EXPIRY_MARGIN = timedelta(minutes=5)
# StockX access tokens live 12 h; used when neither `expires_in` nor a JWT `exp` says otherwise.
DEFAULT_LIFETIME = timedelta(hours=12)
# A longer `expires_in` (a year) is not a real answer.
MAX_LIFETIME_S = 366 * 86_400
LOGIN_HINT = "run `soleflip auth login stockx`"
ADOPT_HINT = (
    "pipe in the current refresh token (one StockX has rotated is used up), "
    "or log in with the browser: `soleflip auth login stockx`"
)


@dataclass(frozen=True)
class Credentials:
    """The application's client id, client secret and API key (settings/env first, then the store)."""

    client_id: str | None
    client_secret: str | None
    api_key: str | None

    def require_client(self) -> tuple[str, str]:
        """(client id, client secret) or AuthError saying how to provide them."""
        if not self.client_id or not self.client_secret:
            missing = "client id" if not self.client_id else "client secret"
            raise AuthError(
                f"the StockX {missing} is not configured",
                hint=f"{LOGIN_HINT} on a terminal, or set SOLEFLIP_STOCKX__CLIENT_ID and "
                "SOLEFLIP_STOCKX__CLIENT_SECRET",
            )
        return self.client_id, self.client_secret

    def require_api_key(self) -> str:
        """The API key or AuthError saying how to provide it."""
        if not self.api_key:
            raise AuthError(
                "the StockX API key is not configured",
                hint=f"{LOGIN_HINT} on a terminal, or set SOLEFLIP_STOCKX__API_KEY",
            )
        return self.api_key


def load_credentials(settings: StockXSettings, store: SecretStore) -> Credentials:
    """Credentials from settings (flag, environment, config file) or else the secret store."""
    return Credentials(
        client_id=settings.client_id or store.get(CLIENT_ID),
        client_secret=(settings.client_secret.get_secret_value() if settings.client_secret else None)
        or store.get(CLIENT_SECRET),
        api_key=(settings.api_key.get_secret_value() if settings.api_key else None) or store.get(API_KEY),
    )


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and when it expires (UTC)."""

    value: str
    expires_at: datetime

    def usable(self, now: datetime) -> bool:
        """True until five minutes before expiry."""
        return now < self.expires_at - EXPIRY_MARGIN


def stored_access_token(store: SecretStore) -> AccessToken | None:
    """The persisted access token, or None when absent or unreadable."""
    raw = store.get(ACCESS_TOKEN)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        expires_at = datetime.fromisoformat(data["expires_at"])
        return AccessToken(str(data["token"]), expires_at.astimezone(UTC))
    except (ValueError, KeyError, TypeError):
        return None


def _jwt_expiry(token: str) -> datetime | None:
    """`exp` from a JWT payload (unverified: only used to schedule the next refresh)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return datetime.fromtimestamp(int(payload["exp"]), UTC)
    except (ValueError, KeyError, TypeError):
        return None


class TokenManager:
    """Hands out a usable access token, refreshing it at most once at a time (single flight)."""

    def __init__(
        self,
        *,
        store: SecretStore,
        credentials: Credentials,
        sender: Sender,
        token_url: str,
        clock: Clock,
    ) -> None:
        self.store = store
        self.credentials = credentials
        self.sender = sender
        self.token_url = token_url
        self.clock = clock
        self._lock = threading.Lock()
        self._token: AccessToken | None = None

    def current(self) -> str:
        """A token valid for at least five more minutes: cached, stored, or freshly refreshed."""
        now = self.clock.now()
        if self._token is not None and self._token.usable(now):
            return self._token.value
        stored = stored_access_token(self.store)
        if stored is not None and stored.usable(now):
            self._token = stored
            return stored.value
        return self.refresh(stale=None)

    def refresh(self, stale: str | None) -> str:
        """Refresh the access token unless another caller already replaced `stale`."""
        with self._lock:
            token = self._token
            if token is not None and token.value != stale and token.usable(self.clock.now()):
                return token.value
            self._token = None
            self.store.delete(ACCESS_TOKEN)
            refresh_token = self.store.get(REFRESH_TOKEN)
            if not refresh_token:
                raise AuthError("not logged in to StockX", hint=LOGIN_HINT)
            return self._grant(self._refresh_form(refresh_token)).value

    def exchange_code(self, code: str, redirect_uri: str) -> AccessToken:
        """Trade an authorization code for tokens and store them."""
        client_id, client_secret = self.credentials.require_client()
        form = {
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        }
        with self._lock:
            return self._grant(form, what="the authorization code")

    def adopt_refresh_token(self, refresh_token: str) -> AccessToken:
        """Prove an existing refresh token works by refreshing once, then store it.

        When StockX refuses it (or cannot be asked) nothing is stored: a previous login stays as it was.
        """
        form = self._refresh_form(refresh_token)
        with self._lock:
            try:
                return self._grant(form, what="the given refresh token", adopted=refresh_token)
            except AuthError as exc:
                kept = (
                    "your previous login is unchanged"
                    if self.store.get(REFRESH_TOKEN)
                    else "nothing was stored"
                )
                raise AuthError(f"{exc.message}; {kept}", hint=exc.hint) from None

    def _refresh_form(self, refresh_token: str) -> dict[str, str]:
        client_id, client_secret = self.credentials.require_client()
        return {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": AUDIENCE,
            "refresh_token": refresh_token,
        }

    def _grant(
        self, form: dict[str, str], what: str = "the stored login", adopted: str | None = None
    ) -> AccessToken:
        """Ask the token endpoint; on success store the access token and the refresh token it sent
        (else `adopted`, a refresh token given by the user, which is stored only now)."""
        response = self.sender.send(
            "POST",
            self.token_url,
            headers={"Accept": "application/json"},
            data=form,
            limited=False,
            repeatable=True,
        )
        body = _json_or_none(response.content)
        if response.status_code >= 400:
            hint = ADOPT_HINT if adopted else LOGIN_HINT
            content_type = response.headers.get("content-type", "")
            raise _grant_error(response.status_code, body, content_type, what, hint)
        try:
            access, refresh, lifetime = _token_reply(body)
        except ValueError:
            where = f"POST {urlsplit(self.token_url).path}"
            raise unreadable(where, "a reply without a usable token", response.status_code) from None
        now = self.clock.now()
        expires_at = now + lifetime if lifetime else _jwt_expiry(access) or now + DEFAULT_LIFETIME
        if keep := refresh or adopted:
            self.store.set(REFRESH_TOKEN, keep)
        token = AccessToken(access, expires_at)
        self.store.set(ACCESS_TOKEN, json.dumps({"token": access, "expires_at": expires_at.isoformat()}))
        self._token = token
        return token


def _token_reply(body: Any) -> tuple[str, str | None, timedelta | None]:
    """(access token, new refresh token, lifetime) from a token reply; ValueError when it is not one."""
    if not isinstance(body, dict) or not _text(body.get("access_token")):
        raise ValueError("no access token")
    refresh, expires_in = body.get("refresh_token"), body.get("expires_in")
    if refresh is not None and not _text(refresh):
        raise ValueError("a refresh token that is not text")
    if expires_in is None:
        return body["access_token"], refresh, None
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float | str):
        raise ValueError("expires_in is not a number")
    seconds = float(expires_in)
    if not 0 < seconds <= MAX_LIFETIME_S:
        raise ValueError("expires_in out of range")
    return body["access_token"], refresh, timedelta(seconds=seconds)


def _text(value: Any) -> bool:
    """True for a non-empty string (what a token must be)."""
    return isinstance(value, str) and bool(value.strip())


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def _grant_error(status: int, body: Any, content_type: str, what: str, hint: str) -> Exception:
    """Translate a token-endpoint failure; only the OAuth error code is quoted, never the request."""
    code = body.get("error") if isinstance(body, dict) else None
    error = code[:60] if isinstance(code, str) and code else None
    if status == 403 and "html" in content_type:
        return ApiError(
            "StockX's login service blocked the request (HTTP 403, bot protection)",
            status=403,
            hint="wait a few minutes before trying again",
        )
    if error == "invalid_grant" or (status in (400, 401, 403) and error is None):
        return AuthError(
            f"StockX refused {what} ({error or f'HTTP {status}'}): it was revoked, expired or already used",
            hint=hint,
        )
    if error in ("invalid_client", "unauthorized_client", "access_denied"):
        return AuthError(
            f"StockX rejected the application credentials ({error})",
            hint="check the client id and secret on the StockX developer portal, then " + LOGIN_HINT,
        )
    return ApiError(
        f"the StockX token endpoint failed: HTTP {status} ({error or 'no error code'})", status=status
    )
