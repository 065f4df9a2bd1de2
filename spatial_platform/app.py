"""Application assembly: ``create_app(settings)`` is the only way to build the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request

from boundaries.geometry_routes import BoundaryRouter
from boundaries.reverse_service import ReverseGeocoder
from boundaries.routes import DivisionRouter, ReverseRouter
from boundaries.service import IndexCache
from placenames.ratelimit import TokenBuckets, TrustedProxies
from placenames.routes import Authorizer, PlacenameRouter
from spatial_platform import db
from spatial_platform.errors import add_exception_handlers
from spatial_platform.facilities.routes import CivilAffairsRouter
from spatial_platform.guards import BodyGuard, HeavyGuard, heavy_routes
from spatial_platform.headers import add_security_headers
from spatial_platform.health import health_router
from spatial_platform.planning.routes import PlanningRouter
from spatial_platform.settings import (
    ApiSettings,
    DatabaseSettings,
    MapSettings,
    PlacenamesSettings,
    PlanningSettings,
    ReverseSettings,
    ServerSettings,
)
from tile_server.invalidation import ChangeListener
from tile_server.routes import TileRouter, mount_api_docs, mount_web_map
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
        pool = await db.create_pool(
            database.dsn(), database.pool_min, database.pool_max, database.statement_timeout_ms
        )
        app.state.pool = db.BoundedPool(pool, database.acquire_timeout)
        app.state.listener = ChangeListener(
            lambda: asyncpg.connect(database.dsn()), app.state.tiles.invalidate
        )
        await app.state.listener.start()
        try:
            yield
        finally:
            await app.state.listener.stop()
            await app.state.pool.close()

    app = FastAPI(
        title="Spatial platform for China's divisions and place names",
        version="1",
        description="Division codes over time (GB/T 2260, 1981 to today), their lineage, "
        "and lookups other systems can rely on.",
        lifespan=lifespan,
        docs_url=None,  # served from the local swagger-ui-dist by mount_api_docs
        redoc_url=None,
    )
    app.state.index_cache = IndexCache()
    # Tiles first: the busiest route is matched before any other.
    app.state.tiles = TileService(cache=TileCache(web_map.tile_cache_bytes))
    app.include_router(TileRouter(get_pool, app.state.index_cache, app.state.tiles).router())
    authorize = Authorizer(get_connection)
    divisions = DivisionRouter(
        get_connection=get_connection,
        index_cache=app.state.index_cache,
        authorize=authorize,
        max_batch=api.resolve_max_items,
    )
    app.include_router(divisions.router())
    app.include_router(BoundaryRouter(get_connection, app.state.index_cache, authorize).router())
    mount_web_map(app, web_map.node_modules)
    mount_api_docs(app, web_map.node_modules)
    pn = placenames or PlacenamesSettings()
    limiter = TokenBuckets(pn.rate_per_second, pn.rate_burst, enabled=pn.rate_limit_enabled)
    limiter.proxies = TrustedProxies.parse(ServerSettings().trusted_proxies)
    names = PlacenameRouter(
        get_connection,
        limiter,
        get_pool,
        pn.name_max_length,
        pn.search_max_limit,
        pn.import_max_bytes,
        import_max_rows=pn.import_max_rows,
        import_max_expanded_bytes=pn.import_max_expanded_bytes,
    )
    app.include_router(names.router())
    rev = reverse or ReverseSettings()
    app.state.reverse_geocoder = ReverseGeocoder(rev.cells_per_degree, rev.max_vertices, rev.cache_size)
    app.include_router(ReverseRouter(get_connection, get_geocoder, authorize, rev.max_points).router())
    civil = CivilAffairsRouter(get_connection, get_geocoder, authorize, import_max_rows=api.import_max_rows)
    app.include_router(civil.router())
    plan = planning or PlanningSettings()
    app.include_router(PlanningRouter(get_connection, authorize, **plan.model_dump()).router())
    app.include_router(health_router(get_pool))
    app.add_middleware(InvalidateTilesAfterWrites)
    app.add_middleware(
        BodyGuard, max_bytes=api.max_body_bytes, timeout=api.body_timeout, idle_timeout=api.body_idle_timeout
    )
    app.add_middleware(
        HeavyGuard,
        routes=lambda: heavy_routes(app),
        max_concurrent=api.heavy_max_concurrent,
        max_per_client=api.heavy_max_per_client,
        proxies=limiter.proxies,
    )
    add_exception_handlers(app)
    add_security_headers(app)
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
