"""``db backup`` and ``db restore``: a restored copy answers exactly like the original."""

import asyncpg
import pytest
from typer.testing import CliRunner

from spatial_platform.app import create_app
from spatial_platform.cli import app
from spatial_platform.embedded import drop_database
from spatial_platform.settings import DatabaseSettings, Settings
from tests.http import app_client

pytestmark = pytest.mark.anyio
runner = CliRunner()

TABLES = """
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name
"""


async def answers(db_settings: DatabaseSettings, dsn: str) -> tuple[dict, dict[str, int]]:
    """The division API's answer for 望城县 in 1990 and the row count of every table."""
    conn = await asyncpg.connect(dsn)
    try:
        async with app_client(create_app(Settings.from_env(database=db_settings)), conn) as http:
            r = await http.get("/v1/divisions/430122", params={"at": "1990"})
            assert r.status_code == 200, r.text
        counts = {}
        for (table,) in await conn.fetch(TABLES):
            counts[table] = await conn.fetchval(f'SELECT count(*) FROM "{table}"')
        return r.json(), counts
    finally:
        await conn.close()


async def test_a_backup_restores_into_a_new_database_that_answers_the_same(
    loaded, test_dsn, test_db_name, db_settings, tmp_path
):
    env = {"SP_DB_NAME": test_db_name}
    if db_settings.embedded:
        env["DATABASE_URL"] = ""
    copy = f"{test_db_name}_restored"
    admin = db_settings.dsn("postgres")
    drop_database(admin, copy)
    file = tmp_path / "backup.dump"
    try:
        r = runner.invoke(app, ["db", "backup", str(file)], env=env)
        assert r.exit_code == 0, r.output
        assert file.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

        refused = runner.invoke(app, ["db", "restore", str(file)], env=env)
        assert refused.exit_code == 1 and "is not empty" in refused.output and "--force" in refused.output

        r = runner.invoke(app, ["db", "restore", str(file), "--database", copy], env=env)
        assert r.exit_code == 0, r.output
        assert f"restored into database {copy}" in r.stdout

        original, restored = (
            await answers(db_settings, test_dsn),
            await answers(db_settings, db_settings.dsn(copy)),
        )
        assert restored[0]["name"] == "望城县"
        assert restored == original
        assert original[1]["division_versions"] > 3000 and "alembic_version" in original[1]

        r = runner.invoke(app, ["db", "restore", str(file), "--database", copy, "--force"], env=env)
        assert r.exit_code == 0, r.output
        assert f"replaced database {copy}" in r.stdout
    finally:
        drop_database(admin, copy)
