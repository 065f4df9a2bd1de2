"""Application assembly: ``create_app(Settings.from_env(...))`` is the only way to build the app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from boundaries import (
    AddressGeocoder,
    AuditRouter,
    BoundaryRouter,
    ChangeRouter,
    DeliveryWorker,
    DivisionRouter,
    FeedRouter,
    GeocodeRouter,
    IndexCache,
    ReverseGeocoder,
    ReverseRouter,
    SubscriptionRouter,
    TownIndexCache,
)
from placenames.ratelimit import RateLimiter, TrustedProxies, make_store
from placenames.routes import Authorizer, PlacenameRouter
from placenames.seed import seed as seed_placenames
from spatial_platform import db
from spatial_platform.about import about_router
from spatial_platform.conditional import ConditionalGet
from spatial_platform.cors import CorsPolicy, parse_origins
from spatial_platform.docs import mount_api_docs
from spatial_platform.errors import add_exception_handlers
from spatial_platform.facilities.routes import CivilAffairsRouter
from spatial_platform.guards import BodyGuard, HeavyGuard, heavy_routes
from spatial_platform.headers import add_security_headers
from spatial_platform.health import health_router
from spatial_platform.ogc.routes import OgcRouter
from spatial_platform.openapi import document_errors
from spatial_platform.planning.routes import PlanningRouter
from spatial_platform.populations.routes import PopulationRouter
from spatial_platform.settings import Settings
from tile_server.invalidation import ChangeListener
from tile_server.routes import TileRouter, mount_web_map
from tile_server.service import TileCache, TileService

UNZIPPED = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "application/vnd.mapbox-vector-tile",
    "application/x-protobuf",
    "application/geopackage+sqlite3",
    "application/vnd.apache.parquet",
    "application/vnd.pmtiles",
)
"""Answers gzip leaves alone: tiles (they come gzipped or not by themselves) and binary files."""


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


async def get_address_geocoder(request: Request) -> AddressGeocoder:
    """Return the app's forward geocoder (its index is built on first use)."""
    return request.app.state.address_geocoder


async def sync_division_names(conn: asyncpg.Connection):
    """After a published division change: the place-name records of counties and above follow it."""
    return await seed_placenames(conn, levels=("province", "prefecture", "county"))


async def _warm_towns(app: FastAPI) -> None:
    """Build the in-memory town index in the background, so the first batch with towns is fast."""
    try:
        async with app.state.pool.acquire() as conn:
            await app.state.town_cache.get(conn)
    except Exception:  # the first batch builds it then
        logging.getLogger("spatial_platform").warning("town index not built at start-up", exc_info=True)


def _listening(app: FastAPI) -> bool:
    """Tell whether this process hears every data change now (its listener is connected)."""
    listener = getattr(app.state, "listener", None)
    return listener is not None and listener.connected.is_set()


def _changed(app: FastAPI) -> None:
    """A data version moved (or the listener reconnected): tiles and the lineage index re-check."""
    app.state.tiles.invalidate()
    app.state.index_cache.invalidate()
    app.state.reverse_geocoder.invalidate()


def create_app(settings: Settings) -> FastAPI:
    """Build the FastAPI app from ``settings``; the asyncpg pool opens in the lifespan, on ``app.state``."""
    database, api, web_map = settings.database, settings.api, settings.map
    pn, rev = settings.placenames, settings.reverse

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await db.create_pool(
            database.dsn(), database.pool_min, database.pool_max, database.statement_timeout_ms
        )
        app.state.pool = db.BoundedPool(pool, database.acquire_timeout)
        app.state.listener = ChangeListener(lambda: asyncpg.connect(database.dsn()), lambda: _changed(app))
        await app.state.listener.start()
        warm = (
            asyncio.create_task(_warm_towns(app), name="town index")
            if settings.server.warm_town_index
            else None
        )
        app.state.webhooks = None
        if settings.webhooks.enabled:
            app.state.webhooks = DeliveryWorker.from_settings(
                lambda: asyncpg.connect(database.dsn()), settings.webhooks
            )
            await app.state.webhooks.start()
        try:
            yield
        finally:
            if warm is not None:
                warm.cancel()
            if app.state.webhooks is not None:
                await app.state.webhooks.stop()
            await app.state.listener.stop()
            await app.state.pool.close()
            if hasattr(app.state.limiter.store, "close"):
                await app.state.limiter.store.close()

    app = FastAPI(
        title="Spatial platform for China's divisions and place names",
        version="1",
        description="Division codes over time (GB/T 2260, 1981 to today), their lineage, "
        "and lookups other systems can rely on.",
        lifespan=lifespan,
        docs_url=None,  # served from the local swagger-ui-dist by mount_api_docs
        redoc_url=None,
    )
    # Current without a query while the change listener is connected (every worker has one).
    app.state.index_cache = IndexCache(trusted=lambda: _listening(app))
    app.state.town_cache = TownIndexCache()
    # Tiles first: the busiest route is matched before any other.
    app.state.tiles = TileService(cache=TileCache(web_map.tile_cache_bytes))
    app.include_router(TileRouter(get_pool, app.state.index_cache, app.state.tiles).router())
    authorize = Authorizer(get_connection)
    divisions = DivisionRouter(
        get_connection=get_connection,
        index_cache=app.state.index_cache,
        authorize=authorize,
        settings=api,
        town_cache=app.state.town_cache,
    )
    app.include_router(divisions.router())
    app.include_router(BoundaryRouter(get_connection, app.state.index_cache, authorize).router())
    app.include_router(AuditRouter(get_connection, app.state.index_cache, authorize).router())
    app.include_router(ChangeRouter(get_connection, authorize, sync_division_names).router())
    app.include_router(FeedRouter(get_connection, authorize).router())
    app.include_router(SubscriptionRouter(get_connection, authorize).router())
    mount_web_map(app, web_map.node_modules)
    mount_api_docs(app, web_map.node_modules)
    limiter = RateLimiter(pn.rate_per_second, pn.rate_burst, enabled=pn.rate_limit_enabled,
                          store=make_store(settings.server.rate_limit_store, settings.server.redis_url),
                          proxies=TrustedProxies.parse(settings.server.trusted_proxies),
                          service_rate=pn.service_rate_per_second)  # fmt: skip
    app.state.limiter = limiter
    names = PlacenameRouter(get_connection, limiter, get_pool, pn)
    app.include_router(names.router())
    app.state.reverse_geocoder = ReverseGeocoder(rev.cells_per_degree, rev.max_vertices, rev.cache_size)
    app.state.reverse_geocoder.trusted = lambda: _listening(app)
    app.include_router(ReverseRouter(get_connection, get_geocoder, authorize, rev).router())
    app.state.address_geocoder = AddressGeocoder(app.state.index_cache, settings.geocode.village_towns)
    app.include_router(
        GeocodeRouter(get_connection, get_address_geocoder, authorize, settings.geocode).router()
    )
    app.include_router(CivilAffairsRouter(get_connection, get_geocoder, authorize, api).router())
    app.include_router(PopulationRouter(get_connection, authorize, api).router())
    app.include_router(PlanningRouter(get_connection, authorize, settings.planning).router())
    app.include_router(OgcRouter(get_connection).router())
    app.include_router(health_router(get_pool))
    app.include_router(about_router(get_connection))
    app.add_middleware(InvalidateTilesAfterUnsafeMethods)
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
    document_errors(app)
    app.add_middleware(ConditionalGet)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6, exclude_content_types=UNZIPPED)
    app.add_middleware(CorsPolicy, origins=parse_origins(settings.server.cors_origins))
    return app


class InvalidateTilesAfterUnsafeMethods:
    """ASGI middleware: after every request not GET, HEAD or OPTIONS, tiles and the lineage index re-check.

    That covers every write; read-only POSTs (``x-roles: ["anyone"]``, e.g. site suggestions or
    batch lookups) trigger it too, which costs the next tile one small query and nothing else.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        """Pass the request on; mark tile versions stale once an unsafe-method request was handled."""
        await self.app(scope, receive, send)
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            _changed(scope["app"])
