"""The 1981-2024 history from areacodes as change-feed entries, so replaying the feed rebuilds it.

Every areacodes version starts in exactly one entry and (unless still in force) ends in exactly
one: the first entry holds the divisions in force when the record begins; then one entry per
documented event (with its document and edges) holds the versions it ends and starts on its
date; what the code tables change with no event (the same date, no diff line) is grouped per
date into one ``reorganize`` entry titled as such. A consumer keeps versions keyed by
``(code, valid_from)``: ``starts`` add them, ``ends`` set their ``valid_to``.

A re-ingest that changes the history appends one ``restatement`` entry listing every areacodes
version as it now stands (with ``valid_to``); a consumer replaces the versions areacodes entries
gave it before with those, and applies every entry's ``ends`` after (so recorded changes still
close what they closed). An unchanged re-ingest appends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import asyncpg
import orjson

from boundaries.feed import queries as q

SOURCE = "areacodes"


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _version(v: asyncpg.Record, *, ended: bool) -> dict:
    out = {"code": v["code"], "name": v["name"], "level": v["level"], "parent_code": v["parent_code"],
           "valid_from": _iso(v["valid_from"])}  # fmt: skip
    if ended:
        out["valid_to"] = _iso(v["valid_to"])
    return out


def _entry(kind: str, effective: date, precision: str, title: str, **parts) -> dict:
    doc = parts.pop("document", None) or {"number": None, "authority": None, "date": None}
    ends, starts, edges = parts.pop("ends", []), parts.pop("starts", []), parts.pop("edges", [])
    return {
        "kind": kind,
        "effective": _iso(effective),
        "precision": precision,
        "document": doc,
        "title": title,
        "text": parts.pop("text", None),
        "ends": ends,
        "starts": starts,
        "edges": edges,
        "old_codes": sorted({*(v["code"] for v in ends), *(e["from_code"] for e in edges)}),
        "new_codes": sorted({*(v["code"] for v in starts), *(e["to_code"] for e in edges)}),
        "corrects": None,
        "boundaries": [],
    }


def entries(
    versions: list[asyncpg.Record], events: list[asyncpg.Record], edges: list[asyncpg.Record]
) -> list[dict]:
    """Turn the areacodes versions, events and edges into feed entries in date order (pure)."""
    if not versions:
        return []
    by_id = {v["id"]: v for v in versions}
    first = min(v["valid_from"] for v in versions)
    started = {v["id"] for v in versions if v["valid_from"] == first}
    ended: set[int] = set()
    out = [
        (first, 0, _entry("establish", first, "year", "Divisions in force when the record begins",
                          starts=[_version(by_id[i], ended=False) for i in sorted(started)]))
    ]  # fmt: skip
    edges_of: dict[int, list[asyncpg.Record]] = defaultdict(list)
    for e in edges:
        edges_of[e["event_id"]].append(e)
    for ev in events:
        when = ev["effective"]
        ends, starts = [], []
        for e in edges_of[ev["id"]]:
            a, b = by_id.get(e["from_version"]), by_id.get(e["to_version"])
            if a is not None and a["id"] not in ended and a["valid_to"] == when:
                ended.add(a["id"])
                ends.append(_version(a, ended=True))
            if b is not None and b["id"] not in started and b["valid_from"] == when:
                started.add(b["id"])
                starts.append(_version(b, ended=False))
        doc = {"number": ev["doc_number"], "authority": ev["authority"], "date": _iso(ev["doc_date"])}
        feed_edges = [
            {"from_code": e["from_code"], "from_name": e["from_name"], "to_code": e["to_code"],
             "to_name": e["to_name"], "relation": e["relation"]}
            for e in edges_of[ev["id"]]
        ]  # fmt: skip
        title = (
            ev["title"]
            or f"{ev['kind']} {', '.join(ev['old_codes'] or [])} → {', '.join(ev['new_codes'] or [])}"
        )
        out.append(
            (when, 1, _entry(ev["kind"], when, ev["precision"], title, document=doc, text=ev["description"],
                             ends=ends, starts=starts, edges=feed_edges))
        )  # fmt: skip
    rest_start: dict[date, list[dict]] = defaultdict(list)
    rest_end: dict[date, list[dict]] = defaultdict(list)
    precision: dict[date, str] = {}
    for v in versions:
        if v["id"] not in started:
            rest_start[v["valid_from"]].append(_version(v, ended=False))
            precision.setdefault(v["valid_from"], v["from_precision"] or "year")
        if v["valid_to"] is not None and v["id"] not in ended:
            rest_end[v["valid_to"]].append(_version(v, ended=True))
            precision.setdefault(v["valid_to"], v["to_precision"] or "year")
    for when in sorted({*rest_start, *rest_end}):
        title = f"Changes of the code tables on {when.isoformat()} that no documented event describes"
        out.append(
            (when, 2, _entry("reorganize", when, precision[when], title,
                             ends=sorted(rest_end[when], key=lambda v: v["code"]),
                             starts=sorted(rest_start[when], key=lambda v: v["code"])))
        )  # fmt: skip
    return [e for _when, _rank, e in sorted(out, key=lambda t: (t[0], t[1]))]


def replay(feed: list[dict]) -> dict[tuple[str, str], dict]:
    """Rebuild the versions a feed describes, keyed by ``(code, valid_from)`` (the consumer's rule)."""
    versions: dict[tuple[str, str], dict] = {}
    from_areacodes: set[tuple[str, str]] = set()
    for entry in feed:
        if entry["kind"] == "restatement":
            for key in from_areacodes:
                versions.pop(key, None)
            from_areacodes = set()
            added = entry["versions"]
        else:
            added = entry["starts"]
        for v in added:
            key = (v["code"], v["valid_from"])
            versions[key] = {"valid_to": None, **v}
            if entry.get("source") == SOURCE:
                from_areacodes.add(key)
    for entry in feed:
        for v in entry.get("ends", ()):
            key = (v["code"], v["valid_from"])
            if key in versions:
                versions[key]["valid_to"] = v["valid_to"]
    return versions


def _rows(versions) -> set[tuple]:
    keys = ("code", "name", "level", "parent_code", "valid_from", "valid_to")
    return {tuple(v[k] for k in keys) for v in versions}


async def missing(conn: asyncpg.Connection) -> bool:
    """Whether the feed lacks the areacodes history (a register loaded before the feed existed)."""
    return not await q.by_source(conn, SOURCE, limit=1)


async def sync(conn: asyncpg.Connection, append) -> int:
    """Bring the feed's areacodes part in line with the stored history; return entries appended.

    Runs inside the ingest's transaction while recorded changes are taken back (they are replayed
    after); ``append`` is the feed's, which queues the webhook deliveries.
    """
    versions, events, edges = await q.areacodes_history(conn, SOURCE)
    stored = [orjson.loads(e) for e in await q.by_source(conn, SOURCE)]
    if not stored:
        wanted = entries(versions, events, edges)
        for entry in wanted:
            await append(conn, entry, source=SOURCE)
        return len(wanted)
    now = [{**_version(v, ended=True)} for v in versions]
    if _rows(replay(stored).values()) == _rows(now):
        return 0
    last = max(v["valid_from"] for v in versions)
    restatement = _entry(
        "restatement", last, "year", "Restatement of the areacodes history after a re-ingest"
    )
    restatement["versions"] = sorted(now, key=lambda v: (v["code"], v["valid_from"]))
    await append(conn, restatement, source=SOURCE)
    return 1
