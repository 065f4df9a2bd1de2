"""``spatial-platform serve``: the API and the map with uvicorn."""

from typing import Annotated

import typer

from spatial_platform.cli.common import database_settings, ensure_ready, user_errors


def register(app: typer.Typer) -> None:
    """Attach ``serve`` to the main CLI."""
    app.command("serve")(serve)


def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default SP_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default SP_PORT or 8000).")] = None,
) -> None:
    """Serve the API and the map with uvicorn."""
    import uvicorn

    from spatial_platform.app import create_app
    from spatial_platform.settings import ServerSettings, Settings

    server = ServerSettings()
    settings = database_settings()
    with user_errors():
        ensure_ready(settings)
    app_ = create_app(Settings.from_env(database=settings, server=server))
    # uvicorn trusts X-Forwarded-* from 127.0.0.1 by default; only SP_TRUSTED_PROXIES may set them.
    trusted = server.trusted_proxies.strip()
    uvicorn.run(
        app_,
        host=host or server.host,
        port=port or server.port,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )
