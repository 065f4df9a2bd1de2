"""Successors of towns and villages through their own (inferred) lineage, followed in a few queries.

``TownLineage.follow`` fetches the edges out of the versions asked about, then out of the
versions those lead to, until every path ends in a version in force today (one query per
step, typically two or three for a whole batch). ``successors`` then walks them in memory:
today's codes with ``whole`` (every step whole) or ``partial``, each with its chain and the
evidence of each step. A path that ends in a version closed without successors (abolished, or
a code no later vintage explains) gives nothing there; when no path reaches today the caller
falls back to the county, saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
import orjson

from boundaries.history import queries

MAX_STEPS = 16
"""Vintage steps followed at most (eight vintages make seven; the rest guards against cycles)."""


def _edge_out(row: asyncpg.Record, source: asyncpg.Record) -> dict:
    return {
        "from_code": source["code"],
        "from_name": source["name"],
        "to_code": row["code"],
        "to_name": row["name"],
        "relation": row["relation"],
        "doubtful": row["doubtful"],
        "effective": row["effective"],
        "precision": row["precision"],
        "event_id": row["event_id"],
        "kind": row["kind"],
        "doc_number": row["doc_number"],
        "inferred": row["inferred"],
        "evidence": orjson.loads(row["evidence"]) if row["evidence"] else None,
    }


@dataclass
class TownLineage:
    """Town and village versions by id and the edges out of them, as far as they were followed."""

    versions: dict[int, asyncpg.Record] = field(default_factory=dict)
    out: dict[int, list[asyncpg.Record]] = field(default_factory=dict)
    _memo: dict[int, list[dict]] = field(default_factory=dict)

    async def follow(self, conn: asyncpg.Connection, starts: list[asyncpg.Record]) -> None:
        """Fetch every edge reachable from ``starts`` (versions), step by step."""
        for row in starts:
            self.versions.setdefault(row["id"], row)
        frontier = {r["id"] for r in starts if r["valid_to"] is not None and r["id"] not in self.out}
        for _ in range(MAX_STEPS):
            if not frontier:
                return
            for ident in frontier:
                self.out.setdefault(ident, [])
            rows = await queries.local_edges_from(conn, sorted(frontier))
            nxt = set()
            for row in rows:
                self.out[row["from_version"]].append(row)
                self.versions.setdefault(row["id"], row)
                if row["valid_to"] is not None and row["id"] not in self.out:
                    nxt.add(row["id"])
            frontier = nxt

    def successors(self, start: asyncpg.Record) -> list[dict]:
        """Today's versions covering the area of ``start``: code, name, level, relation, chain."""
        if start["valid_to"] is None:
            return [{"code": start["code"], "name": start["name"], "level": start["level"],
                     "relation": "whole", "chain": []}]  # fmt: skip
        if (hit := self._memo.get(start["id"])) is not None:
            return hit
        found: dict[str, dict] = {}

        def walk(ident: int, whole: bool, chain: list[dict], seen: frozenset) -> None:
            source = self.versions[ident]
            for row in self.out.get(ident, ()):
                if row["id"] in seen:
                    continue
                step = [*chain, _edge_out(row, source)]
                still_whole = whole and row["relation"] == "whole"
                if row["valid_to"] is None:
                    known = found.get(row["code"])
                    if known is None or (still_whole and known["relation"] == "partial"):
                        relation = "whole" if still_whole else "partial"
                        found[row["code"]] = {"code": row["code"], "name": row["name"], "level": row["level"],
                                              "relation": relation, "chain": step}  # fmt: skip
                    continue
                walk(row["id"], still_whole, step, seen | {row["id"]})

        walk(start["id"], True, [], frozenset({start["id"]}))
        result = sorted(found.values(), key=lambda s: s["code"])
        self._memo[start["id"]] = result
        return result
