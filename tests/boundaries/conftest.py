"""Fixtures for the boundaries tests: the real areacodes data loaded once into PostGIS."""

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from boundaries.ingest import IngestReport, ingest_areacodes
from spatial_platform.app import create_app, get_connection
from spatial_platform.settings import DatabaseSettings

AREACODES = Path(os.environ.get("SP_AREACODES_PATH", Path(__file__).parents[2] / "../shared/data/areacodes"))


@pytest.fixture(scope="session")
def areacodes_path() -> Path:
    assert (AREACODES / "data" / "1981.txt").exists(), f"areacodes data set not found at {AREACODES}"
    return AREACODES


@pytest.fixture(scope="session")
def loaded(test_dsn: str, areacodes_path: Path) -> IngestReport:
    """Ingest the real data set once per session (committed, shared by every test)."""

    async def run() -> IngestReport:
        conn = await asyncpg.connect(test_dsn)
        try:
            return await ingest_areacodes(conn, areacodes_path)
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
async def conn(test_dsn: str, loaded: IngestReport) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    connection = await asyncpg.connect(test_dsn)
    tx = connection.transaction()
    await tx.start()
    try:
        yield connection
    finally:
        await tx.rollback()
        await connection.close()


@pytest.fixture
async def client(conn: asyncpg.Connection, db_settings: DatabaseSettings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the real app whose requests all use the test's connection."""
    app = create_app(db_settings)

    async def same_connection() -> AsyncIterator[asyncpg.Connection]:
        yield conn

    app.dependency_overrides[get_connection] = same_connection
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
