"""The command line: users and tokens, import with --dry-run, the duplicates report."""

import pytest
from typer.testing import CliRunner

from spatial_platform.cli import app
from spatial_platform.db import run_on

runner = CliRunner()

ROWS = "name,category,division_code,longitude,latitude\n岳麓书院,memorial_scenic,430104,112.9394,28.1829\n"


@pytest.fixture
def cli_env(test_db_name, seeded, tokens):
    return {"SP_DB_NAME": test_db_name, "DATABASE_URL": ""}


def test_a_new_user_gets_a_token_that_is_stored_hashed(cli_env, test_dsn):
    added = runner.invoke(app, ["users", "add", "cli-editor", "--role", "editor"], env=cli_env)
    assert added.exit_code == 0, added.output
    issued = runner.invoke(app, ["users", "token", "cli-editor"], env=cli_env)
    token = issued.stdout.strip().splitlines()[0]
    assert issued.exit_code == 0 and token.startswith("spn_")

    query = (
        "SELECT t.token_hash FROM placename_tokens t JOIN placename_users u ON u.id = t.user_id "
        "WHERE u.name = 'cli-editor'"
    )
    (row,) = run_on(test_dsn, lambda conn: conn.fetch(query))
    assert token.encode() not in bytes(row["token_hash"]) and len(row["token_hash"]) == 32
    bad = runner.invoke(app, ["users", "add", "someone", "--role", "boss"], env=cli_env)
    assert bad.exit_code == 1 and "role must be one of" in bad.output


def test_import_dry_run_and_invalid_rows(cli_env, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(ROWS, encoding="utf-8")
    r = runner.invoke(app, ["placenames", "import", str(good), "--user", "alice", "--dry-run"], env=cli_env)
    assert r.exit_code == 0 and "all 1 rows are valid" in r.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(ROWS + "麓山,castle,430104,,\n", encoding="utf-8")
    r = runner.invoke(app, ["placenames", "import", str(bad), "--user", "alice"], env=cli_env)
    assert r.exit_code == 1 and "row 2: category:" in r.output


def test_duplicates_report(cli_env):
    r = runner.invoke(
        app, ["placenames", "duplicates", "--scope", "province", "--division", "320000"], env=cli_env
    )
    assert r.exit_code == 0, r.output
    assert any("鼓楼区" in line and "2 records" in line for line in r.stdout.splitlines())
