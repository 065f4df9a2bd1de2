"""The embedded PostgreSQL 15 + PostGIS 3 cluster, as seen by users of the CLI and the API."""

import psycopg
import pytest
from typer.testing import CliRunner

from spatial_platform.cli import app
from spatial_platform.db import create_pool
from spatial_platform.embedded import EmbeddedCluster, EmbeddedDatabaseError
from spatial_platform.settings import DatabaseSettings

runner = CliRunner()


@pytest.fixture
def embedded(db_settings: DatabaseSettings, test_dsn: str) -> EmbeddedCluster:
    if not db_settings.embedded:
        pytest.skip("DATABASE_URL points at an external server; the embedded cluster is unused")
    return EmbeddedCluster(db_settings)


@pytest.fixture
def local_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SP_DATABASE_URL", raising=False)
    return monkeypatch


def test_status_reports_running_on_configured_port(
    embedded: EmbeddedCluster, db_settings: DatabaseSettings
) -> None:
    status = embedded.status()
    assert status["running"] is True
    assert status["port"] == db_settings.db_port
    assert status["pid"] > 0
    assert status["pgdata"].endswith("pgdata")
    assert f":{db_settings.db_port}/" in status["dsn"]


def test_missing_binaries_explain_how_to_install(local_env: pytest.MonkeyPatch) -> None:
    local_env.setenv("SP_PG_BIN", "/nonexistent")
    with pytest.raises(EmbeddedDatabaseError, match="postgresql-15-postgis-3"):
        EmbeddedCluster(DatabaseSettings()).check_binaries()


def test_cli_status_says_running(embedded: EmbeddedCluster) -> None:
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 0, result.output
    assert "running" in result.output
    assert "stopped" not in result.output
    assert str(embedded.pgdata) in result.output


def test_cli_start_without_postgres_fails_cleanly(local_env: pytest.MonkeyPatch) -> None:
    local_env.setenv("SP_PG_BIN", "/nonexistent")
    result = runner.invoke(app, ["db", "start"])
    assert result.exit_code == 1
    assert "sudo apt-get install postgresql-15-postgis-3" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_server_listens_on_loopback_only(embedded: EmbeddedCluster, test_dsn: str) -> None:
    with psycopg.connect(test_dsn) as conn:
        row = conn.execute("SHOW listen_addresses").fetchone()
    assert row == ("127.0.0.1",)


def test_test_database_has_spatial_extensions(test_dsn: str) -> None:
    with psycopg.connect(test_dsn) as conn:
        rows = conn.execute("SELECT extname FROM pg_extension").fetchall()
    assert {"postgis", "pg_trgm", "btree_gist"} <= {name for (name,) in rows}


def test_database_is_utf8_with_c_utf8_collation(embedded: EmbeddedCluster, test_dsn: str) -> None:
    with psycopg.connect(test_dsn) as conn:
        row = conn.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database"
            " WHERE datname = current_database()"
        ).fetchone()
    assert row == ("UTF8", "C.UTF-8")


@pytest.mark.anyio
async def test_pool_round_trips_jsonb_and_chinese_text(test_dsn: str) -> None:
    pool = await create_pool(test_dsn, min_size=1, max_size=2)
    try:
        value = await pool.fetchval("SELECT $1::jsonb", {"name": "北京市", "codes": [110000]})
        assert value == {"name": "北京市", "codes": [110000]}
    finally:
        await pool.close()
