"""Tile tests use the boundaries and place-name fixtures: real data and HTTP clients."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from spatial_platform.settings import DatabaseSettings
from tests.boundaries.conftest import boundaries_loaded, client
from tests.placenames.conftest import as_user, make_app, seeded, tokens
from tile_server.service import OneConnection

__all__ = ["as_user", "boundaries_loaded", "client", "seeded", "tokens"]


@pytest.fixture
async def editing_client(
    conn: asyncpg.Connection, seeded, tokens, db_settings: DatabaseSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the real app with the place-name register and its staff, on the test's connection."""
    app = make_app(db_settings)
    app.state.pool = OneConnection(conn)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
