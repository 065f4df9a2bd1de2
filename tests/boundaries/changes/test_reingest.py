"""Re-ingesting areacodes keeps the recorded changes that follow it, and the feed says only what changed."""

from datetime import date

import pytest

from boundaries import ingest_areacodes
from boundaries.feed.baseline import replay
from boundaries.history import queries
from tests.boundaries.changes.test_publish import publish
from tests.boundaries.feed.test_feed import read_feed

pytestmark = pytest.mark.anyio


async def test_a_forced_reingest_keeps_a_published_change_and_adds_nothing_to_the_feed(
    client, as_user, conn, areacodes_path
):
    published = await publish(client, as_user)
    head = await conn.fetchval("SELECT max(seq) FROM change_feed")
    report = await ingest_areacodes(conn, areacodes_path, force=True)
    assert report.changed and report.replayed == 1 and report.feed_entries == 0
    assert await conn.fetchval("SELECT max(seq) FROM change_feed") == head
    after = await queries.version_at(conn, "430113", date(2025, 7, 1))
    assert after is not None and after["name"] == "长沙区"
    assert await queries.version_at(conn, "430121", date(2025, 7, 1)) is None
    assert (await queries.version_at(conn, "430121", date(2025, 5, 1)))["name"] == "长沙县"
    state = await conn.fetchval("SELECT state FROM division_changes WHERE id = $1", published["id"])
    assert state == "published"


async def test_a_reingest_that_changes_the_history_appends_one_restatement(client, conn, areacodes_path):
    """The feed told consumers a name the data set no longer has: one restatement sets it right."""
    await conn.execute(
        """
        UPDATE change_feed SET entry = jsonb_set(entry, '{starts,0,name}', '"旧名"')
        WHERE seq = 1
        """
    )
    head = await conn.fetchval("SELECT max(seq) FROM change_feed")
    report = await ingest_areacodes(conn, areacodes_path, force=True)
    assert report.feed_entries == 1
    last = (await client.get(f"/v1/changes/{head + 1}")).json()
    assert last["kind"] == "restatement" and last["source"] == "areacodes"
    rebuilt = replay(await read_feed(client))
    for year in (1981, 2000, 2024):
        at = date(year, 12, 31).isoformat()
        names = {v["code"]: v["name"] for v in rebuilt.values()
                 if v["valid_from"] <= at and (v["valid_to"] is None or v["valid_to"] > at)}  # fmt: skip
        rows = await queries.snapshot(conn, date(year, 12, 31), None, None)
        assert names == {r["code"]: r["name"] for r in rows}
