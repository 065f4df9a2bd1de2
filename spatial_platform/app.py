"""Application assembly: ``create_app(settings)`` is the only way to build the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request

from boundaries.reverse_service import ReverseGeocoder
from boundaries.routes import BoundaryRouter, DivisionRouter, ReverseRouter
from boundaries.service import IndexCache
from placenames.ratelimit import TokenBuckets
from placenames.routes import PlacenameRouter
from spatial_platform import db
from spatial_platform.errors import add_exception_handlers
from spatial_platform.facilities.routes import CivilAffairsRouter
from spatial_platform.planning.routes import PlanningRouter
from spatial_platform.settings import (
    ApiSettings,
    DatabaseSettings,
    MapSettings,
    PlacenamesSettings,
    PlanningSettings,
    ReverseSettings,
)
from tile_server.routes import TileRouter, mount_web_map
from tile_server.service import TileCache, TileService


async def get_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """Lend one pooled connection to a request."""
    async with get_pool(request).acquire() as conn:
        yield conn


def get_pool(request: Request) -> asyncpg.Pool:
    """Return the app's pool (tests may put a one-connection pool on ``app.state``)."""
    return request.app.state.pool


async def get_geocoder(request: Request) -> ReverseGeocoder:
    """Return the app's reverse geocoder (tests may put a shared one on ``app.state``)."""
    return request.app.state.reverse_geocoder


def create_app(
    database: DatabaseSettings,
    api: ApiSettings | None = None,
    web_map: MapSettings | None = None,
    placenames: PlacenamesSettings | None = None,
    reverse: ReverseSettings | None = None,
    planning: PlanningSettings | None = None,
) -> FastAPI:
    """Build the FastAPI app; the asyncpg pool opens in the lifespan, on ``app.state``."""
    api = api or ApiSettings()
    web_map = web_map or MapSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await db.create_pool(database.dsn(), database.pool_min, database.pool_max)
        listener = await asyncpg.connect(database.dsn())
        await listener.add_listener("data_versions", lambda *_: app.state.tiles.invalidate())
        try:
            yield
        finally:
            await listener.close()
            await app.state.pool.close()

    app = FastAPI(
        title="Spatial platform for China's divisions and place names",
        version="1",
        description="Division codes over time (GB/T 2260, 1981 to today), their lineage, "
        "and lookups other systems can rely on.",
        lifespan=lifespan,
    )
    app.state.index_cache = IndexCache()
    # Tiles first: the busiest route is matched before any other.
    app.state.tiles = TileService(cache=TileCache(web_map.tile_cache_bytes))
    app.include_router(TileRouter(get_pool, app.state.index_cache, app.state.tiles).router())
    divisions = DivisionRouter(
        get_connection=get_connection,
        index_cache=app.state.index_cache,
        max_batch=api.resolve_max_items,
    )
    app.include_router(divisions.router())
    app.include_router(BoundaryRouter(get_connection, app.state.index_cache).router())
    mount_web_map(app, web_map.node_modules)
    pn = placenames or PlacenamesSettings()
    limiter = TokenBuckets(pn.rate_per_second, pn.rate_burst, enabled=pn.rate_limit_enabled)
    names = PlacenameRouter(
        get_connection, limiter, pn.name_max_length, pn.search_max_limit, pn.import_max_bytes
    )
    app.include_router(names.router())
    rev = reverse or ReverseSettings()
    app.state.reverse_geocoder = ReverseGeocoder(rev.cells_per_degree, rev.max_vertices, rev.cache_size)
    app.include_router(ReverseRouter(get_connection, get_geocoder, rev.max_points).router())
    app.include_router(CivilAffairsRouter(get_connection, get_geocoder).router())
    plan = planning or PlanningSettings()
    app.include_router(PlanningRouter(get_connection, **plan.model_dump()).router())
    app.add_middleware(InvalidateTilesAfterWrites)
    add_exception_handlers(app)
    return app


class InvalidateTilesAfterWrites:
    """ASGI middleware: after any write request, tiles re-read the data versions."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        """Pass the request on; mark tile versions stale once a write has been handled."""
        await self.app(scope, receive, send)
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            scope["app"].state.tiles.invalidate()
