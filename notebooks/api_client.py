"""HTTP client for the notebooks: a running server (SP_API_URL) or the app built in-process."""

from __future__ import annotations

import os

import httpx


class ApiClient:
    """Opens an httpx client on ``SP_API_URL`` if set, else on ``create_app()`` through ASGITransport."""

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = base_url or os.environ.get("SP_API_URL")
        self._lifespan = None
        self.http: httpx.AsyncClient | None = None

    async def open(self) -> httpx.AsyncClient:
        """Start the in-process app (its database pool) if needed and return the client."""
        if self.base_url:
            self.http = httpx.AsyncClient(base_url=self.base_url, timeout=300)
            return self.http
        from spatial_platform.app import create_app
        from spatial_platform.settings import Settings

        app = create_app(Settings.from_env())
        self._lifespan = app.router.lifespan_context(app)
        await self._lifespan.__aenter__()
        transport = httpx.ASGITransport(app=app)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://in-process", timeout=300)
        return self.http

    async def close(self) -> None:
        """Close the client and the in-process app."""
        if self.http is not None:
            await self.http.aclose()
        if self._lifespan is not None:
            await self._lifespan.__aexit__(None, None, None)
