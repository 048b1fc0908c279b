"""Login building blocks: authorize URL, redirect parsing with the state check, loopback detection."""

from __future__ import annotations

import socket
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from soleflip_cli.errors import AuthError, UsageError
from soleflip_cli.services.auth import (
    Loopback,
    authorize_url,
    code_from_redirect,
    loopback_address,
    wait_for_redirect,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_authorize_url() -> None:
    url = authorize_url("https://accounts.stockx.com/", "cid", "https://localhost/callback", "st8")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "accounts.stockx.com", "/authorize")
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["cid"],
        "redirect_uri": ["https://localhost/callback"],
        "scope": ["offline_access openid"],
        "audience": ["gateway.stockx.com"],
        "state": ["st8"],
    }


@pytest.mark.parametrize(
    ("pasted", "code"),
    [
        ("https://localhost/callback?code=abc&state=st8", "abc"),
        ("  https://localhost/callback?state=st8&code=a%2Fb  \n", "a/b"),
        ("code=xyz&state=st8", "xyz"),
        ("bare-code_123", "bare-code_123"),
    ],
)
def test_code_from_redirect(pasted: str, code: str) -> None:
    assert code_from_redirect(pasted, "st8") == code


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("", "no authorization code"),
        ("https://localhost/callback?code=abc&state=other", "state does not match"),
        ("https://localhost/callback?code=abc", "state does not match"),
        ("https://localhost/callback?state=st8", "carries no code"),
        ("https://localhost/callback?error=access_denied&state=st8", "refused the login: access_denied"),
    ],
)
def test_code_from_redirect_refusals(pasted: str, message: str) -> None:
    with pytest.raises(AuthError, match=message):
        code_from_redirect(pasted, "st8")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://127.0.0.1:8765/callback", Loopback("127.0.0.1", 8765, "/callback")),
        ("http://localhost:9000/cb", Loopback("127.0.0.1", 9000, "/cb")),
        ("http://localhost:9000", Loopback("127.0.0.1", 9000, "/")),
        ("http://[::1]:9000/cb", Loopback("::1", 9000, "/cb")),
        ("https://localhost/callback", None),
        ("https://127.0.0.1:8765/callback", None),
        ("http://localhost/callback", None),
        ("http://example.com:8765/callback", None),
    ],
)
def test_loopback_address(uri: str, expected: Loopback | None) -> None:
    assert loopback_address(uri) == expected


def test_listener_takes_one_redirect_and_ignores_other_paths() -> None:
    address = Loopback("127.0.0.1", free_port(), "/callback")
    base = f"http://127.0.0.1:{address.port}"
    statuses: list[int] = []

    def browser() -> None:
        statuses.append(httpx.get(f"{base}/favicon.ico").status_code)
        statuses.append(httpx.get(f"{base}/callback?code=c1&state=s").status_code)

    thread = threading.Thread(target=browser)
    assert wait_for_redirect(address, timeout_s=10, ready=thread.start) == "?code=c1&state=s"
    thread.join(timeout=10)
    assert statuses == [404, 200]


def test_listener_times_out() -> None:
    with pytest.raises(AuthError, match="no login redirect arrived within 0.2 s"):
        wait_for_redirect(Loopback("127.0.0.1", free_port(), "/cb"), timeout_s=0.2, ready=lambda: None)


def test_listener_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"cannot listen on 127.0.0.1:{port}"):
            wait_for_redirect(Loopback("127.0.0.1", port, "/cb"), timeout_s=1, ready=lambda: None)
