"""Load the areacodes data set into PostGIS, idempotently and in one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg

from boundaries.changes import service as changes
from boundaries.errors import SourceDataError
from boundaries.feed import baseline
from boundaries.feed.service import append
from boundaries.history.lineage import Lineage, build_lineage
from boundaries.ingest.datasets import Progress, load_once, no_progress
from boundaries.sources.areacodes import read_diffs, read_tables

DATASET = "areacodes"


@dataclass
class IngestReport:
    """What one ingest run found and wrote."""

    years: tuple[int, int]
    versions: int
    events: int
    edges: int
    changed: bool
    data_version: int
    feed_entries: int = 0
    replayed: int = 0


def load_lineage(root: Path, progress: Progress = no_progress) -> Lineage:
    """Read tables and diffs under ``root`` and build the lineage in memory."""
    if not (root / "data").is_dir() or not (root / "diff").is_dir():
        raise SourceDataError(f"{root} is not an areacodes checkout (needs data/ and diff/)")
    progress("read tables", 0, 2)
    tables = read_tables(root)
    progress("read diffs", 1, 2)
    diffs = read_diffs(root)
    progress("build lineage", 2, 2)
    return build_lineage(tables, diffs)


def checksum(lineage: Lineage) -> str:
    """Return a digest of everything the ingest would write."""
    h = hashlib.sha256()
    for v in sorted(lineage.versions.values(), key=lambda v: v.key):
        h.update(repr(_version_row(v)).encode())
    for e in lineage.edges:
        h.update(repr((e.old, e.new, e.relation, e.doubtful, e.effective, e.event)).encode())
    for ev in lineage.events:
        h.update(repr(_event_row(0, ev)).encode())
    return h.hexdigest()


def _version_row(v) -> tuple:
    """Return one division_versions row for COPY."""
    return (
        v.code,
        v.name,
        v.level,
        v.parent_code,
        v.valid_from,
        v.valid_to,
        v.from_precision,
        v.to_precision,
        v.first_year,
        v.last_year,
        DATASET,
    )


def _event_row(ident: int, ev) -> tuple:
    """Return one change_events row for COPY."""
    desc = ev.description
    dates = desc.dates() if desc else []
    return (
        ident,
        ev.year,
        ev.kind,
        ev.effective,
        ev.precision,
        desc.doc_number if desc else None,
        dates[0] if dates else None,
        desc.title if desc else None,
        desc.text if desc else None,
        DATASET,
        ev.source,
        ev.old_codes,
        ev.new_codes,
    )


async def ingest_areacodes(
    conn: asyncpg.Connection, root: Path, progress: Progress = no_progress, force: bool = False
) -> IngestReport:
    """Load tables and diffs from ``root``; re-running with the same data changes nothing."""
    lineage = load_lineage(root, progress)
    digest = checksum(lineage)
    years = (lineage.first_year, lineage.last_year)
    counts = (len(lineage.versions), len(lineage.events), len(lineage.edges))

    done = {"feed": 0, "replayed": 0}

    async def write() -> dict:
        recorded = await changes.take_back_all(conn)  # the history is areacodes' own while it is rewritten
        await _write(conn, lineage, progress)
        done["feed"] = await baseline.sync(conn, append)
        done["replayed"] = await changes.replay(conn, recorded, date.today())
        return dict(zip(("versions", "events", "edges"), counts, strict=True))

    load = await load_once(
        conn, DATASET, digest, str(root.resolve()), write, years=years, force=force, progress=progress
    )
    if not load.changed:  # a register loaded before the feed existed gets its history in the feed
        async with conn.transaction():
            if await baseline.missing(conn):
                recorded = await changes.take_back_all(conn)
                done["feed"] = await baseline.sync(conn, append)
                done["replayed"] = await changes.replay(conn, recorded, date.today())
    return IngestReport(
        years, *counts, changed=load.changed, data_version=load.version,
        feed_entries=done["feed"], replayed=done["replayed"],
    )  # fmt: skip


async def _write(conn: asyncpg.Connection, lineage: Lineage, progress: Progress) -> None:
    """Replace events and edges, and upsert versions by their natural key."""
    total = 3
    progress("write versions", 0, total)
    await conn.execute(
        """
        CREATE TEMP TABLE tmp_versions (LIKE division_versions INCLUDING DEFAULTS)
        ON COMMIT DROP
        """
    )
    columns = [
        "code",
        "name",
        "level",
        "parent_code",
        "valid_from",
        "valid_to",
        "from_precision",
        "to_precision",
        "first_year",
        "last_year",
        "source",
    ]
    await conn.copy_records_to_table(
        "tmp_versions",
        records=[_version_row(v) for v in lineage.versions.values()],
        columns=columns,
    )
    await conn.execute("DELETE FROM change_events WHERE dataset = $1", DATASET)  # their edges go with them
    await conn.execute(
        """
        DELETE FROM division_versions d WHERE d.source = $1 AND NOT EXISTS (
            SELECT 1 FROM tmp_versions t WHERE t.code = d.code AND t.first_year = d.first_year)
        """,
        DATASET,
    )
    cols = ", ".join(columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    current = ", ".join(f"division_versions.{c}" for c in columns[1:])
    incoming = ", ".join(f"excluded.{c}" for c in columns[1:])
    await conn.execute(
        f"""
        INSERT INTO division_versions ({cols}) SELECT {cols} FROM tmp_versions
        ON CONFLICT (code, first_year) DO UPDATE SET {updates}
        WHERE ({current}) IS DISTINCT FROM ({incoming})
        """
    )
    progress("write events", 1, total)
    ids = await conn.fetch(
        "SELECT nextval('change_events_id_seq') AS id FROM generate_series(1, $1)",
        len(lineage.events),
    )
    event_ids = [r["id"] for r in ids]
    await conn.copy_records_to_table(
        "change_events",
        records=[_event_row(i, ev) for i, ev in zip(event_ids, lineage.events, strict=True)],
        columns=[
            "id",
            "year",
            "kind",
            "effective",
            "precision",
            "doc_number",
            "doc_date",
            "title",
            "description",
            "dataset",
            "source",
            "old_codes",
            "new_codes",
        ],
    )
    progress("write edges", 2, total)
    await conn.execute(
        """
        CREATE TEMP TABLE tmp_edges (old_code text, old_year smallint, new_code text,
            new_year smallint, event_id bigint, relation text, doubtful boolean,
            effective date, precision text) ON COMMIT DROP
        """
    )
    await conn.copy_records_to_table(
        "tmp_edges",
        records=[
            (*e.old, *e.new, event_ids[e.event], e.relation, e.doubtful, e.effective, e.precision)
            for e in lineage.edges
        ],
    )
    await conn.execute(
        """
        INSERT INTO lineage_edges (from_version, to_version, event_id, relation, doubtful,
                                   effective, precision)
        SELECT a.id, b.id, t.event_id, t.relation, t.doubtful, t.effective, t.precision
        FROM tmp_edges t
        JOIN division_versions a ON a.code = t.old_code AND a.first_year = t.old_year
        JOIN division_versions b ON b.code = t.new_code AND b.first_year = t.new_year
        """
    )
    progress("done", total, total)
