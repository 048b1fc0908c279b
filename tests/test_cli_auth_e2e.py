"""Real `soleflip` processes against the fake StockX: loopback login via $BROWSER, pasted login, leak scan."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from soleflip_cli.secrets import FileStore
from tests.fake_stockx import FakeStockX

pytestmark = pytest.mark.slow

BROWSER_SCRIPT = f"""#!{sys.executable}
# A scripted browser: follow the authorize URL (302 to the loopback listener) like a user's browser.
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=20).read()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def proc_env(fake_stockx: FakeStockX, tmp_path: Path) -> dict[str, str]:
    """Environment for a soleflip subprocess: its own home, the fake, the file store (no keyring)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SOLEFLIP_") and k != "BROWSER"}
    home = tmp_path / "proc-home"
    home.mkdir()
    (home / "config.toml").write_text("[stockx]\ntimeout_s = 20\n")
    return (
        base
        | fake_stockx.env(requests_per_second=50)
        | {
            "SOLEFLIP_HOME": str(home),
            "SOLEFLIP_SECRET_KEY": "e2e passphrase",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never the developer's keyring
            "NO_COLOR": "1",
        }
    )


def soleflip(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "soleflip_cli", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_loopback_login_through_a_scripted_browser(
    fake_stockx: FakeStockX, proc_env: dict[str, str], tmp_path: Path
) -> None:
    browser = tmp_path / "browser"
    browser.write_text(BROWSER_SCRIPT)
    browser.chmod(0o755)
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    fake_stockx.redirect_uri = redirect  # the registered callback must match exactly
    result = soleflip(
        proc_env | {"BROWSER": str(browser)}, "auth", "login", "stockx", "--redirect-uri", redirect
    )
    assert result.returncode == 0, result.stderr
    assert "Logged in to StockX" in result.stderr
    assert fake_stockx.grants["authorization_code"] == 1
    shown = soleflip(proc_env, "auth", "status", "--json")
    assert '"logged_in": true' in shown.stdout and "encrypted file" in shown.stdout
    secret_file = Path(proc_env["SOLEFLIP_HOME"]) / "secrets.enc"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def test_no_browser_login_with_the_pasted_redirect_url(
    fake_stockx: FakeStockX, proc_env: dict[str, str]
) -> None:
    args = [sys.executable, "-m", "soleflip_cli", "auth", "login", "stockx", "--no-browser"]
    args += ["--redirect-uri", "https://localhost/callback"]
    with subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=proc_env
    ) as proc:
        assert proc.stderr is not None and proc.stdin is not None and proc.stdout is not None
        url = ""
        while not url:  # the URL arrives (flushed) before soleflip waits on stdin
            line = proc.stderr.readline()
            assert line, "soleflip ended before printing the authorize URL"
            url = line.strip() if line.startswith(fake_stockx.auth_url) else ""
        location = httpx.get(url).headers["location"]  # what the browser ends on after logging in
        assert parse_qs(urlsplit(location).query)["state"] == parse_qs(urlsplit(url).query)["state"]
        proc.stdin.write(location + "\n")
        proc.stdin.close()
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 0, rest
        assert proc.stdout.read() == ""
    assert "Logged in to StockX" in rest


def test_no_secret_in_any_output_or_file(fake_stockx: FakeStockX, proc_env: dict[str, str]) -> None:
    refresh = fake_stockx.issue_refresh_token()
    outputs = [soleflip(proc_env, "auth", "login", "stockx", "--refresh-token", "-", stdin=refresh)]
    fake_stockx.expire_access_tokens()  # the next call gets a 401 and refreshes
    outputs.append(soleflip(proc_env, "catalog", "search", "dunk", "--json"))
    outputs.append(soleflip(proc_env, "catalog", "resolve", "DD1391-100", "10", "--json"))
    outputs.append(soleflip(proc_env, "auth", "status", "--json"))
    outputs.append(soleflip(proc_env, "config", "show", "--json"))
    outputs.append(soleflip(proc_env, "catalog", "search", "x" * 101))  # an error path
    assert [o.returncode for o in outputs] == [0, 0, 0, 0, 0, 2], [o.stderr for o in outputs]
    assert fake_stockx.grants["refresh_token"] == 2
    secrets = [refresh, *fake_stockx.access_tokens, fake_stockx.client_secret, fake_stockx.api_key]
    assert len(secrets) >= 4
    texts = [o.stdout + o.stderr for o in outputs]
    home = Path(proc_env["SOLEFLIP_HOME"])
    files = [p for p in home.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"soleflip.db", "secrets.enc", "config.toml", "stockx-rate.json"}
    for secret in secrets:
        for text in texts:
            assert secret not in text
        for path in files:
            assert secret.encode() not in path.read_bytes(), path


# Make the pty the controlling terminal (getpass reads hidden input from /dev/tty), then run soleflip.
TTY_LAUNCHER = (
    "import os, sys; os.close(os.open(os.ttyname(0), os.O_RDWR)); os.execv(sys.executable, sys.argv[1:])"
)


class Terminal:
    """A soleflip process on a pseudo-terminal: wait for text, type lines."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.master, slave = os.openpty()
        command = [sys.executable, "-c", TTY_LAUNCHER, sys.executable, "-m", "soleflip_cli", *args]
        self.proc = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )  # fmt: skip
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"timed out waiting for {text!r}; got {self.seen!r}"
            try:
                chunk = os.read(self.master, 4096).decode(errors="replace")
            except OSError:  # EIO: the process closed the terminal
                chunk = ""
            assert chunk, f"the process ended before printing {text!r}; got {self.seen!r}"
            self.seen += chunk
        return self.seen

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 60) -> int:
        with contextlib.suppress(AssertionError):
            self.expect("\0never\0", timeout)  # drain until the process closes the terminal
        os.close(self.master)
        return self.proc.wait(timeout=timeout)


def test_missing_credentials_are_prompted_on_a_terminal(
    fake_stockx: FakeStockX, proc_env: dict[str, str]
) -> None:
    bare = {
        k: v for k, v in proc_env.items() if k not in fake_stockx.env() or k.endswith(("_URL", "PER_SECOND"))
    }
    term = Terminal(
        bare, "auth", "login", "stockx", "--no-browser", "--redirect-uri", "https://localhost/callback"
    )
    term.expect("StockX client id: ")
    term.type(fake_stockx.client_id)
    term.expect("StockX client secret: ")
    term.type(fake_stockx.client_secret)
    term.expect("StockX API key: ")
    term.type(fake_stockx.api_key)
    seen = term.expect("(or just the code): ")
    url = next(line.strip() for line in seen.splitlines() if line.startswith(fake_stockx.auth_url))
    term.type(httpx.get(url).headers["location"])
    assert term.finish() == 0, term.seen
    assert "Logged in to StockX" in term.seen
    assert fake_stockx.client_secret not in term.seen and fake_stockx.api_key not in term.seen  # hidden input
    store = FileStore(Path(bare["SOLEFLIP_HOME"]) / "secrets.enc", bare["SOLEFLIP_SECRET_KEY"])
    assert store.get("stockx.client_id") == fake_stockx.client_id
    assert store.get("stockx.client_secret") == fake_stockx.client_secret
    assert store.get("stockx.api_key") == fake_stockx.api_key
