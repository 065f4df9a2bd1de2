"""``spatial-platform changes``: staff load changes from a file, submit and review them by name."""

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from spatial_platform.cli import app
from tests.boundaries.changes.test_publish import CODE_CHANGE
from tests.spatial_platform.cli.test_cli import _env


@pytest.fixture
def env(db_settings, test_db_name, tokens):
    return _env(db_settings, test_db_name)


async def _forget(test_dsn: str, ids: list[int]) -> None:
    conn = await asyncpg.connect(test_dsn)
    try:
        await conn.execute("DELETE FROM division_changes WHERE id = any($1::bigint[])", ids)
    finally:
        await conn.close()


def _ids(output: str) -> list[int]:
    return [int(line.split("\t")[0]) for line in output.splitlines() if "\t" in line and line[:1].isdigit()]


def test_a_file_of_changes_is_drafted_all_or_nothing_then_submitted_and_reviewed(
    env, tmp_path: Path, test_dsn
):
    unsavable = {**CODE_CHANGE, "effective": "someday"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"changes": [CODE_CHANGE, unsavable]}, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(app, ["changes", "draft", str(bad), "--user", "alice"], env=env)
    assert r.exit_code == 1
    assert "change [1] of bad.json" in r.output and "nothing was saved" in r.output
    assert "effective" in r.output
    listed = CliRunner().invoke(app, ["changes", "list", "--code", "430121"], env=env)
    assert _ids(listed.output) == []

    good = tmp_path / "good.json"
    good.write_text(json.dumps([CODE_CHANGE], ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(app, ["changes", "draft", str(good), "--user", "alice"], env=env)
    assert r.exit_code == 0, r.output
    ids = _ids(r.output)
    try:
        assert len(ids) == 1 and "1 drafts saved, 0 with problems" in r.output
        r = CliRunner().invoke(app, ["changes", "submit", str(ids[0]), "--user", "pat"], env=env)
        assert r.exit_code == 1 and "pat is public" in r.output
        r = CliRunner().invoke(app, ["changes", "submit", str(ids[0]), "--user", "alice"], env=env)
        assert r.exit_code == 0 and "\tsubmitted\t" in r.output, r.output
        r = CliRunner().invoke(
            app, ["changes", "reject", str(ids[0]), "--user", "alice", "--comment", "x"], env=env
        )
        assert r.exit_code == 1  # alice is an editor, not a reviewer
        r = CliRunner().invoke(
            app, ["changes", "reject", str(ids[0]), "--user", "bob", "--comment", "文号待核"], env=env
        )
        assert r.exit_code == 0 and "\trejected\t" in r.output, r.output
        listed = CliRunner().invoke(app, ["changes", "list", "--state", "rejected"], env=env)
        assert ids[0] in _ids(listed.output)
    finally:
        asyncio.run(_forget(test_dsn, ids))
