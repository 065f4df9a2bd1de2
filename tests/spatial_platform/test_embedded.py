"""The embedded PostgreSQL 15 + PostGIS 3 cluster, as seen by users of the CLI and the API."""

import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from spatial_platform.cli import app
from spatial_platform.db import create_pool
from spatial_platform.embedded import EmbeddedCluster, EmbeddedDatabaseError
from spatial_platform.pgauth import uses_trust
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def private_cluster() -> Iterator[EmbeddedCluster]:
    """A new cluster of its own in /tmp (the shared one is never restarted or re-authenticated)."""
    data_dir = Path(tempfile.mkdtemp(prefix="sp-auth-test-", dir="/tmp"))
    os.chmod(data_dir, 0o755)
    settings = DatabaseSettings(
        data_dir=data_dir, db_port=_free_port(), db_name="auth_test", database_url=None
    )
    cluster = EmbeddedCluster(settings)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _connect(cluster: EmbeddedCluster, password: str | None) -> psycopg.Connection:
    return psycopg.connect(
        host="127.0.0.1",
        port=cluster.port,
        user="postgres",
        dbname="postgres",
        password=password or "",
        connect_timeout=5,
    )


def test_a_new_cluster_refuses_connections_without_its_password(private_cluster: EmbeddedCluster) -> None:
    with pytest.raises(psycopg.OperationalError, match="password"):
        _connect(private_cluster, None).close()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(private_cluster, "guess").close()
    with psycopg.connect(private_cluster.settings.dsn()) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("auth_test",)
    hba = private_cluster.hba_file.read_text()
    assert not uses_trust(hba) and "scram-sha-256" in hba
    assert "***" in private_cluster.status()["dsn"]
    assert private_cluster.settings.embedded_password() not in private_cluster.status()["dsn"]


def test_the_password_file_is_readable_only_by_its_owner(private_cluster: EmbeddedCluster) -> None:
    mode = private_cluster.password_file.stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert private_cluster.password_file.stat().st_uid == os.geteuid()


def test_an_old_trust_cluster_is_moved_to_passwords_on_start_keeping_its_data(
    private_cluster: EmbeddedCluster,
) -> None:
    # Make the private cluster look like one made by the old code: trust everywhere, no secret file.
    with psycopg.connect(private_cluster.settings.dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (v text)")
        conn.execute("INSERT INTO kept VALUES ('望城县')")
        conn.execute("ALTER ROLE postgres PASSWORD NULL")
    private_cluster.stop()
    private_cluster.hba_file.write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    old_password = private_cluster.settings.embedded_password()
    private_cluster.password_file.unlink()

    EmbeddedCluster(private_cluster.settings).start()

    new_password = private_cluster.settings.embedded_password()
    assert new_password and new_password != old_password
    assert stat.S_IMODE(private_cluster.password_file.stat().st_mode) == 0o600
    assert not uses_trust(private_cluster.hba_file.read_text())
    with pytest.raises(psycopg.OperationalError, match="password"):
        _connect(private_cluster, None).close()
    with psycopg.connect(private_cluster.settings.dsn()) as conn:
        assert conn.execute("SELECT v FROM kept").fetchall() == [("望城县",)]
