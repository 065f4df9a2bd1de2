"""What publishing a change writes, and how it is taken back (for a correction or a re-ingest).

``write`` runs inside the caller's transaction: it closes the versions the change ends (and
their boundaries), opens the versions it starts, writes the event and its edges, stores the
boundaries it gives (or, for a division formed wholly from others, their union), and returns
``applied`` (every row it touched, with what it was before) and the feed entry. ``undo(applied)``
puts every row back as it was.
"""

from __future__ import annotations

from datetime import date

import asyncpg
import shapely

from boundaries.changes import queries as q
from boundaries.changes.document import Change
from boundaries.changes.validation import Register, register

SOURCE = "recorded"
"""``division_versions.source`` of versions opened by recorded changes."""


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


class _Writer:
    """Writes one change and remembers what it wrote."""

    def __init__(self, conn: asyncpg.Connection, change: Change, change_id: int, reg: Register) -> None:
        self.conn, self.change, self.id, self.reg = conn, change, change_id, reg
        self.when: date = change.effective  # type: ignore[assignment]
        self.applied: dict = {
            "event_id": None, "closed_versions": [], "touched_versions": [], "opened_versions": [],
            "closed_geometries": [], "opened_geometries": [],
        }  # fmt: skip
        self.old: dict[str, dict] = {}  # ended code → its version (before closing)
        self.new: dict[str, tuple[int, dict]] = {}  # started code → (id, row)
        self.touched: dict[str, dict] = {}  # continuing code → its open version

    async def end(self) -> list[dict]:
        out = []
        for code in self.change.ends:
            v = self.reg.open_at(code, self.when)
            self.old[code] = v
            self.applied["closed_versions"].append(
                {
                    "id": v["id"],
                    "valid_to": None,
                    "to_precision": v["to_precision"],
                    "last_year": v["last_year"],
                }
            )
            await q.close_version(self.conn, v["id"], self.when)
            self.applied["closed_geometries"] += await q.close_geometries(self.conn, code, self.when)
            out.append(
                {"code": code, "name": v["name"], "level": v["level"], "parent_code": v["parent_code"],
                 "valid_from": _iso(v["valid_from"]), "valid_to": _iso(self.when)}
            )  # fmt: skip
        return out

    async def start(self) -> list[dict]:
        out = []
        for s in self.change.starts:
            row = {"code": s.code, "name": s.name, "level": s.level, "parent": s.parent,
                   "valid_from": self.when, "source": SOURCE}  # fmt: skip
            ident = await q.insert_version(self.conn, row)
            self.new[s.code] = (ident, row)
            self.applied["opened_versions"].append(ident)
            out.append(
                {"code": s.code, "name": s.name, "level": s.level, "parent_code": s.parent,
                 "valid_from": _iso(self.when)}
            )  # fmt: skip
        return out

    async def continuing(self, code: str) -> dict:
        if code not in self.touched:
            v = self.reg.open_at(code, self.when)
            self.touched[code] = v
            self.applied["touched_versions"].append({"id": v["id"], "last_year": v["last_year"]})
            await q.touch_version(self.conn, v["id"], self.when.year)
        return self.touched[code]

    async def endpoint(self, code: str, new_side: bool) -> tuple[int, str]:
        """Return the version id and name an edge end refers to."""
        if new_side and code in self.new:
            ident, row = self.new[code]
            return ident, row["name"]
        if not new_side and code in self.old:
            return self.old[code]["id"], self.old[code]["name"]
        v = await self.continuing(code)
        return v["id"], v["name"]

    async def event(self) -> list[dict]:
        c = self.change
        sources = {e.source for e in c.edges}
        targets = {e.target for e in c.edges}
        event_id = await q.insert_event(
            self.conn,
            {"kind": c.kind, "effective": self.when, "doc_number": c.doc_number, "doc_date": c.doc_date,
             "title": c.title, "text": c.text, "change_id": self.id, "authority": c.authority,
             "old_codes": sorted({*c.ends, *sources}), "new_codes": sorted({*c.started, *targets})},
        )  # fmt: skip
        self.applied["event_id"] = event_id
        edges = []
        for e in c.edges:
            source, source_name = await self.endpoint(e.source, new_side=False)
            target, target_name = await self.endpoint(e.target, new_side=True)
            await q.insert_edge(self.conn, source, target, event_id, e.relation, self.when)
            edges.append(
                {"from_code": e.source, "from_name": source_name, "to_code": e.target,
                 "to_name": target_name, "relation": e.relation}
            )  # fmt: skip
        return edges

    async def boundaries(self) -> None:
        c = self.change
        given = {b.code: b for b in c.boundaries}
        for b in c.boundaries:
            if b.code in self.new:
                version_id = self.new[b.code][0]
            else:
                version_id = (await self.continuing(b.code))["id"]
                self.applied["closed_geometries"] += await q.close_geometries(self.conn, b.code, self.when)
            method = f"given by change {self.id} in {b.crs}" + (
                "" if b.crs in ("wgs84", "cgcs2000") else ", converted to WGS 84"
            )
            await self._geometry(version_id, b.code, shapely.to_wkb(b.geom), "surveyed", method)
        for code, (ident, _row) in self.new.items():
            if code in given:
                continue
            incoming = [e for e in c.edges if e.target == code]
            if not incoming or any(e.relation != "whole" for e in incoming):
                continue  # formed from parts of others: no boundary until one is given
            sources = [(await self.endpoint(e.source, new_side=False))[0] for e in incoming]
            wkb = await q.union_at(self.conn, sources, self.when)
            if wkb is not None:
                names = ", ".join(e.source for e in incoming)
                await self._geometry(ident, code, wkb, "derived", f"union of {names} before change {self.id}")

    async def _geometry(self, version_id: int, code: str, wkb: bytes, kind: str, method: str) -> None:
        ident = await q.insert_geometry(
            self.conn,
            {"version_id": version_id, "code": code, "valid_from": self.when, "geom": wkb, "kind": kind,
             "method": method, "reason": self.change.title},
        )  # fmt: skip
        self.applied["opened_geometries"].append(ident)


async def write(conn: asyncpg.Connection, change: Change, change_id: int) -> tuple[dict, dict]:
    """Write a checked change; return (applied, feed entry without seq)."""
    reg = await register(conn, sorted({*change.codes, *(s.parent for s in change.starts if s.parent)}))
    w = _Writer(conn, change, change_id, reg)
    ends = await w.end()
    starts = await w.start()
    edges = await w.event()
    await w.boundaries()
    entry = {
        "kind": change.kind,
        "effective": _iso(change.effective),
        "precision": "day",
        "document": {
            "number": change.doc_number,
            "authority": change.authority,
            "date": _iso(change.doc_date),
        },
        "title": change.title,
        "text": change.text,
        "ends": ends,
        "starts": starts,
        "edges": edges,
        "old_codes": sorted({*change.ends, *(e.source for e in change.edges)}),
        "new_codes": sorted({*change.started, *(e.target for e in change.edges)}),
        "corrects": None,
        "boundaries": sorted(b.code for b in change.boundaries),
    }
    return w.applied, entry


async def undo(conn: asyncpg.Connection, applied: dict) -> None:
    """Put back every row a publication wrote (inside the caller's transaction)."""
    await q.delete_geometries(conn, applied["opened_geometries"])
    await q.reopen_geometries(conn, applied["closed_geometries"])
    if applied["event_id"] is not None:
        await q.delete_event(conn, applied["event_id"])
    await q.delete_versions(conn, applied["opened_versions"])
    for row in applied["closed_versions"]:
        await q.restore_version(conn, row)
    for row in applied["touched_versions"]:
        await q.set_last_year(conn, row["id"], row["last_year"])
