"""`soleflip auth login|status|logout`: StockX OAuth login and the secrets it stores."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from soleflip_cli.cli._common import FormatOption, JsonOption, output_format, state, stdin, stdin_is_terminal

if TYPE_CHECKING:
    from soleflip_cli.config import LoadedSettings
    from soleflip_cli.secrets import SecretStore

app = typer.Typer(help="Log in to StockX and manage the stored tokens.", no_args_is_help=True)

PlatformArg = Annotated[
    str, typer.Argument(metavar="PLATFORM", help="The marketplace: stockx.", show_default=False)
]
STDIN = "-"
_LABELS = {
    "client_id": "StockX client id",
    "client_secret": "StockX client secret",
    "api_key": "StockX API key",
}


@app.command("login")
def login(
    ctx: typer.Context,
    platform: PlatformArg,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the URL and read the redirect URL or code from stdin.")
    ] = False,
    stdin_dash: Annotated[
        str | None,
        typer.Option("--refresh-token", metavar="-", help="Read an existing refresh token from stdin ('-')."),
    ] = None,
    redirect_uri: Annotated[
        str | None,
        typer.Option(
            "--redirect-uri", help="Callback URI registered on your StockX app (else stockx.redirect_uri)."
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the browser redirect.", min=1)] = 300.0,
) -> None:
    """Log in to StockX (authorization code) and keep the tokens in the keyring or encrypted file.

    A loopback redirect URI (http://127.0.0.1:PORT/...) is answered by soleflip itself; otherwise
    paste the URL the browser ends on, or just the code. Missing client id, client secret and API
    key are asked for on a terminal (or set SOLEFLIP_STOCKX__CLIENT_ID/__CLIENT_SECRET/__API_KEY).

    Example: soleflip auth login stockx --redirect-uri http://127.0.0.1:8765/callback
    """
    from soleflip_cli import render
    from soleflip_cli.errors import UsageError
    from soleflip_cli.services import auth as service

    service.check_platform(platform)
    loaded = state(ctx).loaded
    store = service.open_secrets(loaded)
    _ask_missing_credentials(loaded, store)
    with service.open_stockx(loaded, store) as client:
        if stdin_dash is not None:
            if stdin_dash != STDIN:
                raise UsageError(
                    "--refresh-token only takes '-': pipe the token in, never put it on the command line"
                )
            result = service.login_with_refresh_token(client, store, stdin().read())
        else:
            uri = redirect_uri or loaded.settings.stockx.redirect_uri
            if not uri:
                raise UsageError(
                    "no redirect URI: pass --redirect-uri or set stockx.redirect_uri in config.toml",
                    hint="use the callback URI registered on your StockX application, "
                    "e.g. http://127.0.0.1:8765/callback",
                )
            io = service.LoginIO(
                open_browser=_open_browser, show_url=_show_url, read_line=lambda: stdin().readline()
            )
            settings = loaded.settings.stockx
            result = service.login_stockx(
                client, store, auth_url=settings.auth_url, redirect_uri=uri, no_browser=no_browser,
                io=io, timeout_s=timeout,
            )  # fmt: skip
    expires = render.jsonable(result.access_token_expires_at)
    render.info(f"Logged in to StockX; access token valid until {expires}; secrets kept in {result.store}.")


@app.command("status")
def status(
    ctx: typer.Context,
    platform: PlatformArg = "stockx",
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show whether soleflip is logged in, when the access token expires and where secrets live.

    Never prints a secret.

    Example: soleflip auth status --json
    """
    import dataclasses
    from datetime import UTC, datetime

    from soleflip_cli import render
    from soleflip_cli.services import auth as service

    service.check_platform(platform)
    loaded = state(ctx).loaded
    result = service.auth_status(loaded.settings.stockx, service.open_secrets(loaded), datetime.now(UTC))
    render.render_object(dataclasses.asdict(result), output_format(fmt, as_json), title="StockX login")


@app.command("logout")
def logout(
    ctx: typer.Context,
    platform: PlatformArg = "stockx",
    forget_app: Annotated[
        bool, typer.Option("--forget-app", help="Also forget the client id, client secret and API key.")
    ] = False,
) -> None:
    """Forget the stored StockX tokens (and with --forget-app the app credentials).

    Example: soleflip auth logout
    """
    from soleflip_cli import render
    from soleflip_cli.services import auth as service

    service.check_platform(platform)
    store = service.open_secrets(state(ctx).loaded)
    was_logged_in = service.logout(store, forget_app=forget_app)
    render.info("Logged out of StockX." if was_logged_in else "Not logged in to StockX; nothing to forget.")


def _ask_missing_credentials(loaded: LoadedSettings, store: SecretStore) -> None:
    """Prompt on a terminal for the app credentials that are neither configured nor stored."""
    from soleflip_cli.errors import AuthError
    from soleflip_cli.services import auth as service

    missing = service.missing_app_credentials(loaded.settings.stockx, store)
    if not missing:
        return
    if not stdin_is_terminal():
        raise AuthError(
            f"not configured: {', '.join(_LABELS[name] for name in missing)}; "
            "stdin is not a terminal to ask for them",
            hint="set SOLEFLIP_STOCKX__CLIENT_ID, SOLEFLIP_STOCKX__CLIENT_SECRET and "
            "SOLEFLIP_STOCKX__API_KEY, or run `soleflip auth login stockx` once on a terminal to store them",
        )
    values = {name: typer.prompt(_LABELS[name], hide_input=name != "client_id", err=True) for name in missing}
    service.save_app_credentials(store, values)


def _open_browser(url: str) -> bool:
    import webbrowser

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def _show_url(url: str, opened: bool, paste: bool) -> None:
    """The URL on stderr, unwrapped and flushed (it is needed even with --quiet)."""
    lead = "Your browser should open StockX; if it did not, open" if opened else "Open"
    typer.echo(f"{lead} this URL and log in to StockX:\n{url}", err=True)
    if paste:
        typer.echo("Then paste the URL the browser was sent to (or just the code): ", err=True, nl=False)
    sys.stderr.flush()
