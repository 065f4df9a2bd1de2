"""SQL of recorded division changes: drafts, the register they check against, what publishing writes."""

from __future__ import annotations

from datetime import date

import asyncpg
import orjson

from boundaries.geometry import queries as _geometry
from boundaries.history.queries import COUNTY_AND_ABOVE

audit = _geometry.audit
"""Append an entry to the platform's audit log (the one writer of it, shared)."""

LOCK = "division changes"
"""Advisory lock taken by every publication (and by re-ingest), so publications run one at a time."""


def _json(value) -> str:
    return orjson.dumps(value).decode()


# --- the register a change is checked against -------------------------------------------


async def versions_of(conn: asyncpg.Connection, codes: list[str]) -> list[asyncpg.Record]:
    """Return every county-and-above version of ``codes``, oldest first per code."""
    return await conn.fetch(
        f"""
        SELECT id, code, name, level, parent_code, valid_from, valid_to, to_precision,
               first_year, last_year, source
        FROM division_versions WHERE code = ANY($1::varchar[]) AND level IN {COUNTY_AND_ABOVE}
        ORDER BY code, valid_from
        """,
        codes,
    )


async def last_edge_dates(conn: asyncpg.Connection, codes: list[str]) -> dict[str, date]:
    """Return, per code, the latest date an edge moved area into or out of any of its versions."""
    rows = await conn.fetch(
        """
        SELECT v.code, max(e.effective) AS last FROM division_versions v
        JOIN lineage_edges e ON e.from_version = v.id OR e.to_version = v.id
        WHERE v.code = ANY($1::varchar[]) GROUP BY v.code
        """,
        codes,
    )
    return {r["code"]: r["last"] for r in rows}


async def geometry_wkb_at(conn: asyncpg.Connection, code: str, at: date) -> bytes | None:
    """Return the boundary of ``code`` in force on ``at`` as WKB, if one is known."""
    return await conn.fetchval(
        "SELECT ST_AsBinary(geom) FROM division_geometries WHERE code = $1 AND valid @> $2::date",
        code,
        at,
    )


# --- drafts -------------------------------------------------------------------------------

_COLUMNS = """
    c.id, c.state, c.kind, c.effective, c.body::text AS body, c.codes, c.corrects, c.corrected_by,
    c.problems::text AS problems, c.author_id, a.name AS author, a.role AS author_role, c.created_at,
    c.updated_at, c.submitted_at, c.reviewer_id, r.name AS reviewer, r.role AS reviewer_role,
    c.reviewed_at, c.comment, c.applied::text AS applied, c.feed_seq
"""
_FROM = """
    FROM division_changes c JOIN placename_users a ON a.id = c.author_id
    LEFT JOIN placename_users r ON r.id = c.reviewer_id
"""


async def insert_change(conn: asyncpg.Connection, row: dict) -> int:
    """Insert a draft; return its id."""
    return await conn.fetchval(
        """
        INSERT INTO division_changes (kind, effective, body, codes, corrects, problems, author_id, token_id)
        VALUES ($1, $2, $3::text::jsonb, $4, $5, $6::text::jsonb, $7, $8) RETURNING id
        """,
        row["kind"],
        row["effective"],
        _json(row["body"]),
        row["codes"],
        row["corrects"],
        _json(row["problems"]),
        row["author_id"],
        row["token_id"],
    )


async def update_change(conn: asyncpg.Connection, change_id: int, row: dict) -> None:
    """Replace a draft's document (it becomes a draft again)."""
    await conn.execute(
        """
        UPDATE division_changes SET kind = $2, effective = $3, body = $4::text::jsonb, codes = $5,
            corrects = $6, problems = $7::text::jsonb, state = 'draft', updated_at = clock_timestamp(),
            submitted_at = NULL, reviewer_id = NULL, reviewed_at = NULL, comment = NULL
        WHERE id = $1
        """,
        change_id,
        row["kind"],
        row["effective"],
        _json(row["body"]),
        row["codes"],
        row["corrects"],
        _json(row["problems"]),
    )


async def change(conn: asyncpg.Connection, change_id: int, lock: bool = False) -> asyncpg.Record | None:
    """Return one change with the names of its author and reviewer."""
    if lock:
        await conn.execute("SELECT 1 FROM division_changes WHERE id = $1 FOR UPDATE", change_id)
    return await conn.fetchrow(f"SELECT {_COLUMNS} {_FROM} WHERE c.id = $1", change_id)


async def changes(
    conn: asyncpg.Connection, state: str | None, code: str | None, limit: int | None
) -> list[asyncpg.Record]:
    """Return changes by state and code, oldest first."""
    return await conn.fetch(
        f"""
        SELECT {_COLUMNS} {_FROM}
        WHERE ($1::text IS NULL OR c.state = $1) AND ($2::text IS NULL OR $2 = ANY(c.codes))
        ORDER BY c.id LIMIT $3
        """,
        state,
        code,
        limit,
    )


async def set_state(
    conn: asyncpg.Connection, change_id: int, state: str, problems: list | None = None
) -> None:
    """Move a change to ``state`` (submitted: stamped now)."""
    await conn.execute(
        """
        UPDATE division_changes SET state = $2, problems = coalesce($3::text::jsonb, problems),
            submitted_at = CASE WHEN $2 = 'submitted' THEN clock_timestamp() ELSE submitted_at END,
            updated_at = clock_timestamp()
        WHERE id = $1
        """,
        change_id,
        state,
        None if problems is None else _json(problems),
    )


async def review(
    conn: asyncpg.Connection, change_id: int, state: str, reviewer_id: int, comment: str | None
) -> None:
    """Record the review of a change."""
    await conn.execute(
        """
        UPDATE division_changes SET state = $2, reviewer_id = $3, comment = $4,
            reviewed_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE id = $1
        """,
        change_id,
        state,
        reviewer_id,
        comment,
    )


async def mark_published(conn: asyncpg.Connection, change_id: int, applied: dict, seq: int | None) -> None:
    """Store what a publication wrote and its feed sequence number."""
    await conn.execute(
        "UPDATE division_changes SET applied = $2::text::jsonb, feed_seq = coalesce($3, feed_seq) "
        "WHERE id = $1",
        change_id,
        _json(applied),
        seq,
    )


async def mark_corrected(conn: asyncpg.Connection, change_id: int, by: int | None) -> None:
    """Record (or clear) which change corrected a published one."""
    await conn.execute("UPDATE division_changes SET corrected_by = $2 WHERE id = $1", change_id, by)


async def later_published(
    conn: asyncpg.Connection, change_id: int, codes: list[str], own: int | None = None
) -> list[int]:
    """Return published changes after ``change_id`` (and before ``own``, if published) on ``codes``."""
    rows = await conn.fetch(
        """
        SELECT id FROM division_changes
        WHERE state = 'published' AND id <> $1 AND id IS DISTINCT FROM $3 AND corrected_by IS NULL
          AND codes && $2::text[]
          AND feed_seq > (SELECT feed_seq FROM division_changes WHERE id = $1)
          AND feed_seq < coalesce((SELECT feed_seq FROM division_changes WHERE id = $3), 9223372036854775807)
        ORDER BY feed_seq
        """,
        change_id,
        codes,
        own,
    )
    return [r["id"] for r in rows]


async def published_in_order(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Return every published change (corrections included), in feed order."""
    return await conn.fetch(f"SELECT {_COLUMNS} {_FROM} WHERE c.state = 'published' ORDER BY c.feed_seq")


# --- what a publication writes ------------------------------------------------------------


async def close_version(conn: asyncpg.Connection, version_id: int, at: date) -> None:
    """End a version on ``at`` (its last full year is the one before)."""
    await conn.execute(
        """
        UPDATE division_versions SET valid_to = $2, to_precision = 'day',
            last_year = greatest(first_year, extract(year FROM $2::date)::int - 1)
        WHERE id = $1
        """,
        version_id,
        at,
    )


async def touch_version(conn: asyncpg.Connection, version_id: int, year: int) -> None:
    """Mark a continuing version as in use through ``year`` (area moved in or out of it then)."""
    await conn.execute(
        "UPDATE division_versions SET last_year = greatest(last_year, $2) WHERE id = $1", version_id, year
    )


async def restore_version(conn: asyncpg.Connection, row: dict) -> None:
    """Put a version's end back as it was before a publication."""
    await conn.execute(
        "UPDATE division_versions SET valid_to = $2, to_precision = $3, last_year = $4 WHERE id = $1",
        row["id"],
        None if row["valid_to"] is None else date.fromisoformat(row["valid_to"]),
        row["to_precision"],
        row["last_year"],
    )


async def insert_version(conn: asyncpg.Connection, row: dict) -> int:
    """Open a version from the effective date; return its id."""
    return await conn.fetchval(
        """
        INSERT INTO division_versions (code, name, level, parent_code, valid_from, from_precision,
                                       first_year, last_year, source)
        VALUES ($1, $2, $3, $4, $5, 'day', $6, $6, $7) RETURNING id
        """,
        row["code"],
        row["name"],
        row["level"],
        row["parent"],
        row["valid_from"],
        row["valid_from"].year,
        row["source"],
    )


async def delete_versions(conn: asyncpg.Connection, ids: list[int]) -> None:
    """Remove versions a publication opened (their geometries go with them)."""
    await conn.execute("DELETE FROM division_versions WHERE id = ANY($1::bigint[])", ids)


async def insert_event(conn: asyncpg.Connection, row: dict) -> int:
    """Write the change event; return its id."""
    return await conn.fetchval(
        """
        INSERT INTO change_events (year, kind, effective, precision, doc_number, doc_date, title,
                                   description, dataset, source, old_codes, new_codes, authority, change_id)
        VALUES ($1, $2, $3, 'day', $4, $5, $6, $7, 'recorded', $8, $9, $10, $11, $12) RETURNING id
        """,
        row["effective"].year,
        row["kind"],
        row["effective"],
        row["doc_number"],
        row["doc_date"],
        row["title"],
        row["text"],
        f"recorded change {row['change_id']}",
        row["old_codes"],
        row["new_codes"],
        row["authority"],
        row["change_id"],
    )


async def delete_event(conn: asyncpg.Connection, event_id: int) -> None:
    """Remove an event (its edges go with it)."""
    await conn.execute("DELETE FROM change_events WHERE id = $1", event_id)


async def insert_edge(
    conn: asyncpg.Connection, source: int, target: int, event_id: int, relation: str, at: date
) -> None:
    """Write one lineage edge of a recorded change."""
    await conn.execute(
        """
        INSERT INTO lineage_edges (from_version, to_version, event_id, relation, doubtful,
                                   effective, precision)
        VALUES ($1, $2, $3, $4, false, $5, 'day')
        """,
        source,
        target,
        event_id,
        relation,
        at,
    )


async def close_geometries(conn: asyncpg.Connection, code: str, at: date) -> list[dict]:
    """End the boundary of ``code`` in force on ``at``; return what each closed row ended before."""
    rows = await conn.fetch(
        """
        WITH old AS (SELECT id, valid_to FROM division_geometries
                     WHERE code = $1 AND valid_from < $2 AND (valid_to IS NULL OR valid_to > $2) FOR UPDATE)
        UPDATE division_geometries g SET valid_to = $2 FROM old WHERE g.id = old.id
        RETURNING g.id, old.valid_to
        """,
        code,
        at,
    )
    return [{"id": r["id"], "valid_to": r["valid_to"] and r["valid_to"].isoformat()} for r in rows]


async def reopen_geometries(conn: asyncpg.Connection, closed: list[dict]) -> None:
    """Give closed boundaries back the end they had."""
    for row in closed:
        end = None if row["valid_to"] is None else date.fromisoformat(row["valid_to"])
        await conn.execute("UPDATE division_geometries SET valid_to = $2 WHERE id = $1", row["id"], end)


async def insert_geometry(conn: asyncpg.Connection, row: dict) -> int:
    """Store a boundary a change gives (or derives) for a version; return its id."""
    return await conn.fetchval(
        """
        INSERT INTO division_geometries (version_id, code, valid_from, geom, kind, source, vintage,
                                         method, reason)
        VALUES ($1, $2, $3, ST_Multi(ST_GeomFromWKB($4, 4326)), $5, 'change', $6, $7, $8) RETURNING id
        """,
        row["version_id"],
        row["code"],
        row["valid_from"],
        row["geom"],
        row["kind"],
        row["valid_from"].isoformat(),
        row["method"],
        row["reason"],
    )


async def set_last_year(conn: asyncpg.Connection, version_id: int, year: int) -> None:
    """Put a version's last year back."""
    await conn.execute("UPDATE division_versions SET last_year = $2 WHERE id = $1", version_id, year)


async def delete_geometries(conn: asyncpg.Connection, ids: list[int]) -> None:
    """Remove boundaries a publication opened."""
    await conn.execute("DELETE FROM division_geometries WHERE id = ANY($1::bigint[])", ids)


async def union_at(conn: asyncpg.Connection, version_ids: list[int], at: date) -> bytes | None:
    """Return the union of the boundaries of versions in force the day before ``at`` (WKB)."""
    return await conn.fetchval(
        """
        SELECT ST_AsBinary(ST_Multi(ST_Union(geom))) FROM division_geometries
        WHERE version_id = ANY($1::bigint[]) AND valid @> ($2::date - 1)
        """,
        version_ids,
        at,
    )
