"""Application assembly: ``create_app(settings)`` is the only way to build the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request

from boundaries.routes import DivisionRouter
from boundaries.service import IndexCache
from spatial_platform import db
from spatial_platform.errors import add_exception_handlers
from spatial_platform.settings import ApiSettings, DatabaseSettings


async def get_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """Lend one pooled connection to a request."""
    async with request.app.state.pool.acquire() as conn:
        yield conn


def create_app(database: DatabaseSettings, api: ApiSettings | None = None) -> FastAPI:
    """Build the FastAPI app; the asyncpg pool opens in the lifespan, on ``app.state``."""
    api = api or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await db.create_pool(database.dsn(), database.pool_min, database.pool_max)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(
        title="Spatial platform for China's divisions and place names",
        version="1",
        description="Division codes over time (GB/T 2260, 1981 to today), their lineage, "
        "and lookups other systems can rely on.",
        lifespan=lifespan,
    )
    app.state.index_cache = IndexCache()
    divisions = DivisionRouter(
        get_connection=get_connection,
        index_cache=app.state.index_cache,
        max_batch=api.resolve_max_items,
    )
    app.include_router(divisions.router())
    add_exception_handlers(app)
    return app
