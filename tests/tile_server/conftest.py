"""Tile tests use the boundaries and place-name fixtures: real data and HTTP clients."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from spatial_platform.settings import DatabaseSettings
from tests.boundaries.conftest import client
from tests.http import app_client
from tests.placenames.conftest import make_app

__all__ = ["client"]


@pytest.fixture
async def editing_client(
    conn: asyncpg.Connection, seeded, tokens, db_settings: DatabaseSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the real app with the place-name register and its staff, on the test's connection."""
    app = make_app(db_settings)
    async with app_client(app, conn) as http:
        yield http
