"""GET /health: whether the process answers and its database is reachable, for probes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse


def health_router(get_pool: Callable, timeout: float = 1.0) -> APIRouter:
    """Return the router of ``GET /health`` (200 ok, or 503 with Retry-After when the database is down)."""
    api = APIRouter(tags=["health"])

    @api.get("/health", summary="Liveness and database reachability")
    async def health(request: Request) -> JSONResponse:
        try:
            async with asyncio.timeout(timeout):
                async with get_pool(request).acquire() as conn:
                    await conn.fetchval("SELECT 1")
        except Exception as exc:  # any failure to reach the database within the timeout is "down"
            return JSONResponse(
                {"status": "unavailable", "database": f"{type(exc).__name__}: {exc}".strip()},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        listener = getattr(request.app.state, "listener", None)
        armed = listener is None or listener.connected.is_set()
        return JSONResponse(
            {"status": "ok", "database": "ok", "change_listener": "connected" if armed else "reconnecting"}
        )

    return api
