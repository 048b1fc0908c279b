"""StockX login (authorization code, loopback or pasted; or an existing refresh token), status, logout."""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

from soleflip_cli.clients.stockx.tokens import (
    ACCESS_TOKEN,
    API_KEY,
    AUDIENCE,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SCOPE,
    load_credentials,
    stored_access_token,
)
from soleflip_cli.errors import AuthError, UsageError

if TYPE_CHECKING:
    from soleflip_cli.clients.stockx import StockXClient
    from soleflip_cli.config import LoadedSettings, StockXSettings
    from soleflip_cli.secrets import SecretStore

PLATFORMS = ("stockx",)
LOOPBACK_HOSTS = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "[::1]": "::1"}
_DONE_PAGE = b"<html><body><h1>soleflip</h1><p>Login received. You can close this tab.</p></body></html>"


@dataclass(frozen=True)
class LoginResult:
    """A finished login: where the tokens went and until when the access token is valid (UTC)."""

    platform: str
    store: str
    access_token_expires_at: datetime


@dataclass(frozen=True)
class AuthStatus:
    """Whether soleflip can call StockX, without revealing any secret."""

    platform: str
    logged_in: bool
    access_token_expires_at: datetime | None
    access_token_valid: bool
    client_id_set: bool
    client_secret_set: bool
    api_key_set: bool
    store: str


@dataclass(frozen=True)
class Loopback:
    """Where a loopback redirect URI points: bind address, port and path."""

    host: str
    port: int
    path: str


@dataclass(frozen=True)
class LoginIO:
    """How a login talks to the user: open a browser, show the URL (stderr), read a line (stdin).

    `show_url(url, opened, paste)`: whether the browser opened, and whether a paste is expected.
    """

    open_browser: Callable[[str], bool]
    show_url: Callable[[str, bool, bool], None]
    read_line: Callable[[], str]


def check_platform(platform: str) -> str:
    """The platform name, lower-cased, or UsageError for one soleflip cannot log in to."""
    name = platform.strip().lower()
    if name not in PLATFORMS:
        raise UsageError(f"unknown platform {platform!r}; soleflip can log in to: {', '.join(PLATFORMS)}")
    return name


def missing_app_credentials(settings: StockXSettings, store: SecretStore) -> list[str]:
    """Which of client id, client secret and API key are neither configured nor stored."""
    credentials = load_credentials(settings, store)
    pairs = [("client_id", credentials.client_id), ("client_secret", credentials.client_secret)]
    pairs.append(("api_key", credentials.api_key))
    return [name for name, value in pairs if not value]


def save_app_credentials(store: SecretStore, values: dict[str, str]) -> None:
    """Store client id / client secret / API key entered by the user."""
    names = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_key": API_KEY}
    for key, value in values.items():
        store.set(names[key], value.strip())


def authorize_url(auth_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """The StockX (Auth0) authorize URL for the authorization-code flow."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "audience": AUDIENCE,
        "state": state,
    }
    return f"{auth_url.rstrip('/')}/authorize?{urlencode(params)}"


def code_from_redirect(text: str, state: str) -> str:
    """The code from a pasted redirect URL (its `state` must match) or a bare pasted code."""
    pasted = text.strip()
    if not pasted:
        raise AuthError("no authorization code was entered", hint="run `soleflip auth login stockx` again")
    if "=" not in pasted and "?" not in pasted and " " not in pasted:
        return pasted
    params = parse_qs(urlsplit(pasted).query if "?" in pasted else pasted)
    if "error" in params:
        detail = params.get("error_description", [""])[0]
        raise AuthError(f"StockX refused the login: {params['error'][0]} {detail}".strip())
    if params.get("state", [""])[0] != state:
        raise AuthError(
            "the redirect's state does not match this login (a stale or forged redirect)",
            hint="run `soleflip auth login stockx` again and use the URL it prints",
        )
    code = params.get("code", [""])[0]
    if not code:
        raise AuthError("the redirect URL carries no code", hint="paste the whole URL the browser ended on")
    return code


def loopback_address(redirect_uri: str) -> Loopback | None:
    """The listener for an `http://127.0.0.1:PORT/...` or `http://localhost:PORT/...` redirect, else None."""
    parts = urlsplit(redirect_uri)
    host = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    if parts.scheme != "http" or host not in LOOPBACK_HOSTS or not parts.port:
        return None
    return Loopback(LOOPBACK_HOSTS[host], parts.port, parts.path or "/")


def wait_for_redirect(address: Loopback, *, timeout_s: float, ready: Callable[[], None]) -> str:
    """Listen on `address` (bound before `ready` opens the browser) and return the redirect's query."""
    received: dict[str, str] = {}
    arrived = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            parts = urlsplit(self.path)
            if parts.path != address.path or arrived.is_set():
                self.send_error(404)
                return
            received["query"] = parts.query
            arrived.set()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(_DONE_PAGE)))
            self.end_headers()
            self.wfile.write(_DONE_PAGE)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Silent: the request line holds the authorization code."""

    class Server(HTTPServer):
        address_family = socket.AF_INET6 if ":" in address.host else socket.AF_INET

    try:
        server = Server((address.host, address.port), Handler)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {address.host}:{address.port} for the login redirect: {exc.strerror}",
            hint="free the port, or use `soleflip auth login stockx --no-browser` and paste the URL",
        ) from None
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        ready()
        if not arrived.wait(timeout_s):
            raise AuthError(
                f"no login redirect arrived within {timeout_s:g} s",
                hint="run `soleflip auth login stockx` again, or pass --no-browser and paste the URL",
            )
    finally:
        server.shutdown()
        server.server_close()
    return "?" + received["query"]


def login_stockx(
    client: StockXClient,
    store: SecretStore,
    *,
    auth_url: str,
    redirect_uri: str,
    no_browser: bool,
    io: LoginIO,
    timeout_s: float = 300.0,
) -> LoginResult:
    """The authorization-code flow: browser + loopback listener, or a pasted redirect URL / code."""
    client_id, _ = client.credentials.require_client()
    state = secrets.token_urlsafe(24)
    url = authorize_url(auth_url, client_id, redirect_uri, state)
    address = None if no_browser else loopback_address(redirect_uri)
    if address is not None:

        def ready() -> None:
            io.show_url(url, io.open_browser(url), False)

        pasted = wait_for_redirect(address, timeout_s=timeout_s, ready=ready)
    else:
        io.show_url(url, False if no_browser else io.open_browser(url), True)
        pasted = io.read_line()
    code = code_from_redirect(pasted, state)
    token = client.tokens.exchange_code(code, redirect_uri)
    return LoginResult("stockx", store.backend_name, token.expires_at)


def login_with_refresh_token(client: StockXClient, store: SecretStore, refresh_token: str) -> LoginResult:
    """Adopt an existing refresh token (headless setup); it is checked by one refresh."""
    token_text = refresh_token.strip()
    if not token_text:
        raise AuthError(
            "no refresh token on stdin", hint="pipe it in: `soleflip auth login stockx --refresh-token -`"
        )
    client.credentials.require_client()
    token = client.tokens.adopt_refresh_token(token_text)
    return LoginResult("stockx", store.backend_name, token.expires_at)


def auth_status(settings: StockXSettings, store: SecretStore, now: datetime) -> AuthStatus:
    """Logged in (a refresh token is stored), access-token expiry and which store; never a secret."""
    credentials = load_credentials(settings, store)
    access = stored_access_token(store)
    return AuthStatus(
        platform="stockx",
        logged_in=store.get(REFRESH_TOKEN) is not None,
        access_token_expires_at=access.expires_at if access else None,
        access_token_valid=bool(access and access.usable(now)),
        client_id_set=bool(credentials.client_id),
        client_secret_set=bool(credentials.client_secret),
        api_key_set=bool(credentials.api_key),
        store=store.backend_name,
    )


def logout(store: SecretStore, *, forget_app: bool) -> bool:
    """Delete the stored tokens (and with `forget_app` the app credentials); True if one was logged in."""
    was_logged_in = store.get(REFRESH_TOKEN) is not None
    names = [REFRESH_TOKEN, ACCESS_TOKEN] + ([CLIENT_ID, CLIENT_SECRET, API_KEY] if forget_app else [])
    for name in names:
        store.delete(name)
    return was_logged_in


def open_secrets(loaded: LoadedSettings) -> SecretStore:
    """The secret store for these settings (keyring, else the encrypted file in the data dir)."""
    from soleflip_cli.secrets import open_store

    key = loaded.settings.secret_key
    return open_store(loaded.paths.data_dir, key.get_secret_value() if key else None)


def open_stockx(loaded: LoadedSettings, store: SecretStore | None = None) -> StockXClient:
    """A StockX client for these settings; its rate-limit state lives in the data dir."""
    from soleflip_cli.clients.stockx import build_client

    store = store or open_secrets(loaded)
    return build_client(loaded.settings.stockx, store, state_dir=loaded.paths.data_dir)
