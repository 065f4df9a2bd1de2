"""Hot reads answered from memory while the change listener is connected; a notification re-checks."""

import asyncio

import asyncpg
import httpx
import pytest

from spatial_platform.app import create_app
from spatial_platform.settings import Settings

pytestmark = pytest.mark.anyio


async def test_lookups_need_no_connection_until_a_data_version_moves(db_settings, test_db_name, test_dsn,
                                                                     boundaries_loaded):  # fmt: skip
    settings = db_settings.model_copy(update={"db_name": test_db_name})
    app = create_app(Settings.from_env(database=settings))
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.listener.connected.wait(), 10)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            point = {"lon": 112.93, "lat": 28.23, "at": "2020"}
            first = await http.get("/v1/reverse", params=point)
            division = await http.get("/v1/divisions/430104", params={"at": "2005"})
            assert first.status_code == division.status_code == 200
            pool, taken = app.state.pool, []

            class Counting:  # the real pool, counting what the requests take from it
                def acquire(self, *a, **k):
                    taken.append(1)
                    return pool.acquire(*a, **k)

                def __getattr__(self, name):
                    return getattr(pool, name)

            app.state.pool = Counting()
            again = await http.get("/v1/reverse", params=point)
            assert again.json() == first.json()
            assert (await http.get("/v1/divisions/430104", params={"at": "2005"})).json() == division.json()
            assert taken == []  # both from memory
            other = await asyncpg.connect(test_dsn)
            try:
                await other.execute("SELECT pg_notify('data_versions', 'divisions')")
            finally:
                await other.close()
            for _ in range(50):  # the notification arrives
                if not app.state.index_cache.current():
                    break
                await asyncio.sleep(0.05)
            assert (await http.get("/v1/divisions/430104", params={"at": "2005"})).status_code == 200
            assert (await http.get("/v1/reverse", params=point)).json() == first.json()
            assert len(taken) == 2  # each checked the data version once
            app.state.pool = pool
