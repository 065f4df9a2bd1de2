"""Fixtures for the boundaries tests: an HTTP client on the test's connection."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from spatial_platform.app import create_app
from spatial_platform.settings import DatabaseSettings, Settings
from tests.http import app_client


@pytest.fixture
async def client(conn: asyncpg.Connection, db_settings: DatabaseSettings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the real app whose requests all use the test's connection."""
    app = create_app(Settings.from_env(database=db_settings))

    async with app_client(app, conn) as http:
        yield http


# --- reverse geocoding: one geocoder per session so its engines are built once ---------------


@pytest.fixture(scope="session")
def reverse_geocoder():
    from boundaries.reverse.service import ReverseGeocoder

    return ReverseGeocoder(cache_size=6)


@pytest.fixture
async def reverse_client(
    conn: asyncpg.Connection, db_settings: DatabaseSettings, boundaries_loaded, reverse_geocoder
) -> AsyncIterator[httpx.AsyncClient]:
    """Like ``client`` (with the boundaries loaded), sharing the session's reverse geocoder."""
    app = create_app(Settings.from_env(database=db_settings))
    app.state.reverse_geocoder = reverse_geocoder

    async with app_client(app, conn) as http:
        yield http
