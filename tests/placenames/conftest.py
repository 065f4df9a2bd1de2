"""Fixtures for the place-name tests: request headers per user and HTTP clients on the real app."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from placenames.seed import SeedReport
from spatial_platform.app import create_app
from spatial_platform.settings import DatabaseSettings, PlacenamesSettings, Settings
from tests.http import app_client


def make_app(db_settings: DatabaseSettings, **settings):
    """The real app with rate limiting off unless the test turns it on."""
    return create_app(
        Settings.from_env(
            database=db_settings, placenames=PlacenamesSettings(**{"rate_limit_enabled": False, **settings})
        )
    )


@pytest.fixture
async def client(
    conn: asyncpg.Connection, seeded: SeedReport, tokens: dict[str, str], db_settings: DatabaseSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the real app whose requests all use the test's (rolled back) connection."""
    app = make_app(db_settings)

    async with app_client(app, conn) as http:
        yield http
