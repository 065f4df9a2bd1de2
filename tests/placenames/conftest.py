"""Fixtures for the place-name tests: the register seeded from the real data, users with tokens."""

from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest

from placenames import auth
from placenames.seed import SeedReport, seed
from spatial_platform.app import create_app
from spatial_platform.db import run_on
from spatial_platform.settings import DatabaseSettings, PlacenamesSettings
from tile_server.service import OneConnection

USERS = {
    "alice": "editor",
    "erin": "editor",
    "bob": "reviewer",
    "rita": "reviewer",
    "ada": "admin",
    "pat": "public",
}


@pytest.fixture(scope="session")
def seeded(test_dsn: str, loaded) -> SeedReport:
    """Seed the register from the real division history once per session (committed)."""
    return run_on(test_dsn, seed)


@pytest.fixture(scope="session")
def tokens(test_dsn: str, seeded: SeedReport) -> dict[str, str]:
    """One user per role (two editors, two reviewers) with an API token each (committed)."""

    async def work(conn):
        out = {}
        for name, role in USERS.items():
            await auth.add_user(conn, name, role)
            out[name] = await auth.new_token(conn, name)
        return out

    return run_on(test_dsn, work)


@pytest.fixture
def as_user(tokens: dict[str, str]) -> Callable[..., dict[str, str]]:
    """Return request headers carrying a user's token (and If-Match when a version is given)."""

    def headers(name: str, version: int | str | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {tokens[name]}"}
        if version is not None:
            out["If-Match"] = f'"{version}"'
        return out

    return headers


def make_app(db_settings: DatabaseSettings, **settings):
    """The real app with rate limiting off unless the test turns it on."""
    return create_app(db_settings, placenames=PlacenamesSettings(**{"rate_limit_enabled": False, **settings}))


@pytest.fixture
async def client(
    conn: asyncpg.Connection, seeded: SeedReport, tokens: dict[str, str], db_settings: DatabaseSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the real app whose requests all use the test's (rolled back) connection."""
    app = make_app(db_settings)

    app.state.pool = OneConnection(conn)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
