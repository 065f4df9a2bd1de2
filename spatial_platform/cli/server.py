"""``spatial-platform serve``: the API and the map with uvicorn, one worker process per core."""

import os
from typing import Annotated

import typer

from spatial_platform.cli.common import database_settings, ensure_ready, user_errors


def register(app: typer.Typer) -> None:
    """Attach ``serve`` to the main CLI."""
    app.command("serve")(serve)


def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default SP_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default SP_PORT or 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default SP_WORKERS, else one per core).")
    ] = None,
) -> None:
    """Serve the API and the map with uvicorn.

    With several workers each process holds its own in-memory indexes, built on first use (no
    warm-up at start); tile caches, engines and rate limits stay right across them because they
    follow the database (its data versions, its notifications and its ``rate_limits`` table).
    """
    import uvicorn

    from spatial_platform.settings import ServerSettings

    server = ServerSettings()
    with user_errors():
        ensure_ready(database_settings())
    count = workers or server.workers or os.cpu_count() or 1
    # uvicorn trusts X-Forwarded-* from 127.0.0.1 by default; only SP_TRUSTED_PROXIES may set them.
    trusted = server.trusted_proxies.strip()
    options = {
        "host": host or server.host,
        "port": port or server.port,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }
    if count > 1:
        os.environ.setdefault("SP_WARM_TOWN_INDEX", "false")  # each worker builds it when first needed
    # Each worker process builds the app from the environment (spatial_platform.asgi:app).
    uvicorn.run("spatial_platform.asgi:app", factory=True, workers=count, **options)
