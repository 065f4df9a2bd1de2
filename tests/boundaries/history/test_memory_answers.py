"""Division lookups answered from memory equal the SQL answers; the index stays current by notification."""

import random
from datetime import date

import asyncpg
import pytest

from boundaries.history import queries
from boundaries.history.service import IndexCache

pytestmark = pytest.mark.anyio


async def test_a_lookup_from_memory_is_the_sql_answer(conn):
    index = await IndexCache().get(conn)
    rng = random.Random(3)
    nodes = rng.sample(sorted(index.nodes.values(), key=lambda n: n.id), 300)
    for node in nodes:
        end = (node.valid_to or date(2024, 12, 31)).toordinal() - 1
        when = date.fromordinal(
            rng.randint(node.valid_from.toordinal(), max(end, node.valid_from.toordinal()))
        )
        row = await queries.version_at(conn, node.code, when)
        parents = await queries.parent_chain(conn, node.code, when)
        expected = {**dict(row), "at": when, "parents": [dict(p) for p in parents]}
        assert index.detail(node.code, when) == expected, (node.code, when)


async def test_the_index_is_rechecked_only_after_a_notification(test_dsn, loaded, monkeypatch):
    asked = []
    original = queries.data_state

    async def counted(conn, *args):
        asked.append(1)
        return await original(conn, *args)

    monkeypatch.setattr(queries, "data_state", counted)
    listening = {"now": True}
    cache = IndexCache(trusted=lambda: listening["now"])
    conn = await asyncpg.connect(test_dsn)
    try:
        first = await cache.get(conn)  # (the load reads the state too)
        built = len(asked)
        assert await cache.get(conn) is first and len(asked) == built  # current: no query
        cache.invalidate()  # a data version moved
        assert await cache.get(conn) is first and len(asked) == built + 1  # one check, no reload
        listening["now"] = False  # listener lost: every request asks again
        await cache.get(conn)
        await cache.get(conn)
        assert len(asked) == built + 3 and cache.current() is None
    finally:
        await conn.close()
