"""Many concurrent, conflicting updates over a real pool: every accepted one is kept, none lost."""

import asyncio

import httpx
import pytest

from spatial_platform import db
from tests.placenames.conftest import make_app

pytestmark = pytest.mark.anyio

WORKERS = 8
UPDATES = 4


async def remove(pool, record_id):
    """Test clean-up only: bypass the append-only triggers to drop this test's committed record."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for table, column in (("placename_audit", "record_id"), ("placename_versions", "record_id")):
            await conn.execute(f"DELETE FROM {table} WHERE {column} = $1", record_id)
        await conn.execute("DELETE FROM placenames WHERE id = $1", record_id)


async def test_concurrent_updates_are_all_in_the_history(test_dsn, seeded, tokens, db_settings):
    pool = await db.create_pool(test_dsn, 4, WORKERS)
    app = make_app(db_settings)
    app.state.pool = pool
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        for _ in range(WORKERS)
    ]
    users = ["alice", "erin"]
    auth = [{"Authorization": f"Bearer {tokens[users[i % 2]]}"} for i in range(WORKERS)]
    body = {"name": "麓山路", "category": "road_street", "division_code": "430104"}
    record_id = (await clients[0].post("/v1/placenames", json=body, headers=auth[0])).json()["id"]
    url = f"/v1/placenames/{record_id}"
    try:
        # Everyone edits version 1 at once: exactly one wins, the others get 412 and the current version.
        first = await asyncio.gather(
            *(
                c.patch(
                    url,
                    json={"meaning": f"w{i}", "reason": f"race {i}"},
                    headers={**auth[i], "If-Match": '"1"'},
                )
                for i, c in enumerate(clients)
            )
        )
        assert sorted(r.status_code for r in first) == [200] + [412] * (WORKERS - 1)
        assert {r.json()["current_version"] for r in first if r.status_code == 412} == {2}

        async def worker(i: int) -> list[tuple[int, str]]:
            """Read, change, retry on 412 until each of this worker's updates is accepted."""
            accepted = []
            for k in range(UPDATES):
                reason = f"worker {i} update {k}"
                while True:
                    etag = (await clients[i].get(url, headers=auth[i])).headers["ETag"]
                    change = {"meaning": reason, "reason": reason}
                    r = await clients[i].patch(url, json=change, headers={**auth[i], "If-Match": etag})
                    if r.status_code == 200:
                        accepted.append((r.json()["version"], reason))
                        break
                    assert r.status_code == 412, r.text
            return accepted

        accepted = [a for batch in await asyncio.gather(*(worker(i) for i in range(WORKERS))) for a in batch]
        history = (await clients[0].get(f"{url}/history", headers=auth[0])).json()["versions"]
        winner = next(i for i, r in enumerate(first) if r.status_code == 200)
        expected = {(1, None), (2, f"race {winner}"), *accepted}
        assert {(v["version"], v["reason"]) for v in history} == expected
        assert len(history) == 2 + WORKERS * UPDATES == len({v for v, _ in accepted}) + 2
        final = (await clients[0].get(url, headers=auth[0])).json()
        assert final["version"] == len(history) and final["meaning"] == max(accepted)[1]
    finally:
        for c in clients:
            await c.aclose()
        await remove(pool, record_id)
        await pool.close()
