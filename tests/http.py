"""The tests' HTTP client: the real app with every request on the test's own connection."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
from fastapi import FastAPI

from tile_server.service import OneConnection


@asynccontextmanager
async def app_client(app: FastAPI, conn: asyncpg.Connection, **transport) -> AsyncIterator[httpx.AsyncClient]:
    """Lend the test's connection to the app (as its pool) and open an HTTP client on it."""
    app.state.pool = OneConnection(conn)
    asgi = httpx.ASGITransport(app=app, **transport)
    async with httpx.AsyncClient(transport=asgi, base_url="http://test") as http:
        yield http
