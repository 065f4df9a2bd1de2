"""Every town and village version and their lineage in memory, for batch resolve at 50,000+ codes/s.

Loaded once per data version of the town load (and of the feed), then a batch is answered
without SQL: ``local(codes)`` gives the ``LocalCodes`` the resolver expects, its lineage already
followed. About 930,000 versions and 160,000 edges take some 600 MB; the single-code endpoints
keep reading SQL (they also show each step's evidence, which is not held here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import asyncpg

from boundaries.history import queries
from boundaries.history.town_lineage import TownLineage
from boundaries.history.towns import LocalCodes, is_local
from boundaries.ingest.villages import DATASET

_VERSIONS = """
SELECT id, code, name, level, valid_from, valid_to
FROM division_versions WHERE level IN ('town', 'village')
"""
_EDGES = """
SELECT e.from_version, e.to_version, e.relation, e.doubtful, e.effective, e.precision, e.inferred,
       ev.id AS event_id, ev.kind, ev.doc_number
FROM lineage_edges e JOIN change_events ev ON ev.id = e.event_id
WHERE ev.dataset = $1
"""


class TownIndex:
    """Town and village versions by code and id, and the edges out of each version."""

    def __init__(
        self, versions: Iterable[asyncpg.Record], edges: Iterable[asyncpg.Record], summary, key
    ) -> None:
        self.key = key
        self.summary = summary
        # asyncpg records, not dicts: a record costs about a tuple (dicts tripled the memory)
        self.by_id: dict[int, asyncpg.Record] = {}
        self.by_code: dict[str, list[asyncpg.Record]] = {}
        for row in versions:
            self.by_id[row["id"]] = row
            self.by_code.setdefault(row["code"], []).append(row)
        for rows in self.by_code.values():
            rows.sort(key=lambda r: r["valid_from"])
        self.lineage = TownLineage()
        self.lineage.versions = self.by_id
        for e in edges:
            target = self.by_id.get(e["to_version"])
            if target is None:
                continue
            step = {**dict(target), **dict(e), "id": target["id"], "evidence": None}
            self.lineage.out.setdefault(e["from_version"], []).append(step)

    @classmethod
    async def load(cls, conn: asyncpg.Connection, key) -> TownIndex:
        """Read every town and village version and edge."""
        versions = await conn.fetch(_VERSIONS)
        edges = await conn.fetch(_EDGES, DATASET)
        summary = await queries.dataset_summary(conn, DATASET)
        return await asyncio.to_thread(cls, versions, edges, summary, key)

    def local(self, codes: Iterable[str]) -> LocalCodes:
        """The ``LocalCodes`` of a batch (its villages' towns included), lineage followed."""
        wanted = {c for c in codes if is_local(c)}
        wanted |= {c[:9] for c in wanted if len(c) == 12}
        versions = {c: self.by_code[c] for c in wanted if c in self.by_code}
        return LocalCodes(versions, self.summary, self.lineage)


class TownIndexCache:
    """Keeps one TownIndex and reloads it when the town load or the feed changes."""

    def __init__(self) -> None:
        self._index: TownIndex | None = None
        self._lock = asyncio.Lock()

    async def get(self, conn: asyncpg.Connection) -> TownIndex | None:
        """Return the index for what ``conn`` sees, or None when no towns are loaded."""
        state = await queries.data_state(conn, DATASET)
        if state is None:
            return None
        key = (state["version"], state["feed_head"])
        if self._index is None or self._index.key != key:
            async with self._lock:
                if self._index is None or self._index.key != key:
                    self._index = await TownIndex.load(conn, key)
        return self._index
