"""SQL for division geometry over time: one boundary, uploads, and the coverage report."""

from __future__ import annotations

from datetime import date

import asyncpg
import orjson

_GEOMETRY_COLUMNS = """
    g.id, g.version_id, g.code, v.name, v.level, g.kind, g.source, g.vintage, g.method, g.reason,
    g.valid_from, g.valid_to
"""
_LEVELS = "('province', 'prefecture', 'county')"


async def geometry_at(conn: asyncpg.Connection, code: str, at: date) -> asyncpg.Record | None:
    """Return the geometry version of ``code`` in force at ``at`` with its geometry as WKB."""
    return await conn.fetchrow(
        f"""
        SELECT {_GEOMETRY_COLUMNS}, ST_AsBinary(g.geom) AS geom
        FROM division_geometries g JOIN division_versions v ON v.id = g.version_id
        WHERE g.code = $1 AND g.valid @> $2::date
        """,
        code,
        at,
    )


async def latest_geometry(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    """Return the latest-starting geometry version of ``code``, locked for update."""
    return await conn.fetchrow(
        """
        SELECT id, valid_from, valid_to, kind FROM division_geometries
        WHERE code = $1 ORDER BY valid_from DESC LIMIT 1 FOR UPDATE
        """,
        code,
    )


async def drop_geometry(conn: asyncpg.Connection, geometry_id: int) -> None:
    """Delete one geometry version (an approximate one a surveyed upload replaces from its start)."""
    await conn.execute("DELETE FROM division_geometries WHERE id = $1", geometry_id)


async def close_geometry(conn: asyncpg.Connection, code: str, at: date) -> int:
    """End the geometry version of ``code`` in force at ``at`` on that date; return rows changed."""
    status = await conn.execute(
        "UPDATE division_geometries SET valid_to = $2 WHERE code = $1 AND valid @> $2::date",
        code,
        at,
    )
    return int(status.split()[-1])


async def insert_geometry(conn: asyncpg.Connection, row: dict) -> int:
    """Insert one geometry version from WKB (WGS 84) and return its id."""
    return await conn.fetchval(
        """
        INSERT INTO division_geometries (version_id, code, valid_from, valid_to, geom, kind, source,
                                         vintage, method, reason)
        VALUES ($1, $2, $3, $4, ST_Multi(ST_GeomFromWKB($5, 4326)), $6, $7, $8, $9, $10)
        RETURNING id
        """,
        row["version_id"],
        row["code"],
        row["valid_from"],
        row["valid_to"],
        row["geom"],
        row["kind"],
        row["source"],
        row["vintage"],
        row["method"],
        row["reason"],
    )


async def gap_reason(conn: asyncpg.Connection, code: str, at: date) -> str | None:
    """Return why the ingest found no geometry for ``code`` at ``at``, if it recorded one."""
    return await conn.fetchval(
        "SELECT reason FROM geometry_gaps WHERE code = $1 AND period @> $2::date LIMIT 1",
        code,
        at,
    )


async def geometry_counts(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Return the number of geometry versions per level, kind and source."""
    return await conn.fetch(
        f"""
        SELECT v.level, g.kind, g.source, count(*) AS n
        FROM division_geometries g JOIN division_versions v ON v.id = g.version_id
        WHERE v.level IN {_LEVELS}
        GROUP BY 1, 2, 3 ORDER BY array_position(ARRAY['province', 'prefecture', 'county'], v.level), 2, 3
        """
    )


async def unmatched(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Return the source geometries whose code the history does not know."""
    return await conn.fetch(
        "SELECT code, name, level, source, vintage, reason FROM geometry_unmatched ORDER BY code"
    )


async def uncovered(conn: asyncpg.Connection, at: date | None = None) -> list[asyncpg.Record]:
    """Return each period a division version has no geometry (only those covering ``at`` if given)."""
    return await conn.fetch(
        f"""
        WITH covered AS (
            SELECT version_id, range_agg(valid) AS spans FROM division_geometries GROUP BY version_id
        ), gaps AS (
            SELECT v.id, v.code, v.name, v.level,
                   unnest(datemultirange(v.valid) - coalesce(c.spans, '{{}}'::datemultirange)) AS gap
            FROM division_versions v LEFT JOIN covered c ON c.version_id = v.id
            WHERE v.level IN {_LEVELS} AND ($1::date IS NULL OR v.valid @> $1::date)
        )
        SELECT g.code, g.name, g.level, lower(g.gap) AS gap_from, upper(g.gap) AS gap_to,
               (SELECT string_agg(DISTINCT r.reason, '; ') FROM geometry_gaps r
                WHERE r.version_id = g.id AND r.period && g.gap) AS reason
        FROM gaps g
        WHERE $1::date IS NULL OR g.gap @> $1::date
        ORDER BY array_position(ARRAY['province', 'prefecture', 'county'], g.level), g.code, lower(g.gap)
        """,
        at,
    )


async def approximate_at(conn: asyncpg.Connection, at: date) -> list[asyncpg.Record]:
    """Return the divisions in force at ``at`` shown with an approximate geometry, and why."""
    return await conn.fetch(
        f"""
        SELECT v.code, v.name, v.level, g.valid_from, g.reason
        FROM division_geometries g JOIN division_versions v ON v.id = g.version_id
        WHERE g.kind = 'approximate' AND g.valid @> $1::date AND v.level IN {_LEVELS}
        ORDER BY array_position(ARRAY['province', 'prefecture', 'county'], v.level), v.code
        """,
        at,
    )


# --- boundary proposals: adjustments and withdrawals under review ----------------------------


async def geometries_at(conn: asyncpg.Connection, at: date, level: str = "county") -> list[asyncpg.Record]:
    """Return (code, name, level, parent_code, kind, geom WKB) of each division of ``level`` at ``at``."""
    return await conn.fetch(
        """
        SELECT v.code, v.name, v.level, v.parent_code, g.kind, ST_AsBinary(g.geom) AS geom
        FROM division_geometries g
        JOIN division_versions v ON v.id = g.version_id
        WHERE g.valid @> $1::date AND v.valid @> $1::date AND v.level = $2
        ORDER BY v.code
        """,
        at,
        level,
    )


async def geometry_revision(conn: asyncpg.Connection) -> tuple[int, int]:
    """Return (row count, highest id) of division_geometries: changes whenever geometry does."""
    row = await conn.fetchrow("SELECT count(*) AS n, coalesce(max(id), 0) AS top FROM division_geometries")
    return row["n"], row["top"]


_PROPOSAL_COLUMNS = """
    p.id, p.code, p.action, p.effective, p.crs, p.method, p.reason, p.withdraws, p.state,
    p.created_at, p.reviewed_at, p.comment, p.geometry_id, p.withdrawn_by, p.author_id,
    a.name AS author, a.role AS author_role, r.name AS reviewer, r.role AS reviewer_role
"""
_PROPOSAL_FROM = """
    FROM boundary_proposals p JOIN placename_users a ON a.id = p.author_id
    LEFT JOIN placename_users r ON r.id = p.reviewer_id
"""


async def insert_proposal(conn: asyncpg.Connection, row: dict) -> int:
    """Insert a submitted proposal (geometry as WKB, WGS 84) and return its id."""
    return await conn.fetchval(
        """
        INSERT INTO boundary_proposals (code, action, effective, geom, crs, method, reason, withdraws,
                                        author_id, token_id)
        VALUES ($1, $2, $3, ST_Multi(ST_GeomFromWKB($4, 4326)), $5, $6, $7, $8, $9, $10)
        RETURNING id
        """,
        row["code"],
        row["action"],
        row.get("effective"),
        row.get("geom"),
        row.get("crs"),
        row.get("method"),
        row["reason"],
        row.get("withdraws"),
        row["author_id"],
        row.get("token_id"),
    )


async def proposal(
    conn: asyncpg.Connection, proposal_id: int, lock: bool = False, geometry: bool = False
) -> asyncpg.Record | None:
    """Return one proposal (optionally locked, optionally with its geometry as WKB)."""
    geom = ", ST_AsBinary(p.geom) AS geom" if geometry else ""
    return await conn.fetchrow(
        f"SELECT {_PROPOSAL_COLUMNS}{geom} {_PROPOSAL_FROM} WHERE p.id = $1"
        + (" FOR UPDATE OF p" if lock else ""),
        proposal_id,
    )


async def proposals(
    conn: asyncpg.Connection, state: str | None, code: str | None, limit: int
) -> list[asyncpg.Record]:
    """Return proposals by state and code, oldest first."""
    return await conn.fetch(
        f"""
        SELECT {_PROPOSAL_COLUMNS} {_PROPOSAL_FROM}
        WHERE ($1::text IS NULL OR p.state = $1) AND ($2::text IS NULL OR p.code = $2)
        ORDER BY p.id LIMIT $3
        """,
        state,
        code,
        limit,
    )


async def pending_withdrawal(conn: asyncpg.Connection, proposal_id: int) -> int | None:
    """Return the id of a submitted withdrawal of a proposal, if there is one."""
    return await conn.fetchval(
        "SELECT id FROM boundary_proposals WHERE withdraws = $1 AND state = 'submitted' LIMIT 1",
        proposal_id,
    )


async def review_proposal(
    conn: asyncpg.Connection,
    proposal_id: int,
    state: str,
    reviewer_id: int,
    comment: str | None,
    geometry_id: int | None = None,
) -> None:
    """Record a review: the new state, who reviewed it, when, why and the geometry it opened."""
    await conn.execute(
        """
        UPDATE boundary_proposals SET state = $2, reviewer_id = $3, reviewed_at = clock_timestamp(),
               comment = $4, geometry_id = coalesce($5, geometry_id)
        WHERE id = $1
        """,
        proposal_id,
        state,
        reviewer_id,
        comment,
        geometry_id,
    )


async def mark_withdrawn(conn: asyncpg.Connection, proposal_id: int, by: int) -> None:
    """Record that a published adjustment was withdrawn by the correction ``by``."""
    await conn.execute("UPDATE boundary_proposals SET withdrawn_by = $2 WHERE id = $1", proposal_id, by)


async def link_geometry(conn: asyncpg.Connection, geometry_id: int, proposal_id: int) -> None:
    """Point a geometry version at the proposal that opened it."""
    await conn.execute(
        "UPDATE division_geometries SET proposal_id = $2 WHERE id = $1", geometry_id, proposal_id
    )


async def geometry_row(conn: asyncpg.Connection, geometry_id: int) -> asyncpg.Record | None:
    """Return a geometry version's code and period, locked for update."""
    return await conn.fetchrow(
        "SELECT id, code, valid_from, valid_to FROM division_geometries WHERE id = $1 FOR UPDATE",
        geometry_id,
    )


async def withdraw_geometry(conn: asyncpg.Connection, row: asyncpg.Record) -> None:
    """Take a geometry version out of force and give its period back to the one it replaced."""
    await conn.execute("DELETE FROM division_geometries WHERE id = $1", row["id"])
    await conn.execute(
        "UPDATE division_geometries SET valid_to = $3 WHERE code = $1 AND valid_to = $2",
        row["code"],
        row["valid_from"],
        row["valid_to"],
    )


async def audit(conn: asyncpg.Connection, actor_id: int, action: str, detail: dict) -> None:
    """Append an entry to the platform's audit log."""
    await conn.execute(
        "INSERT INTO placename_audit (actor_id, action, detail) VALUES ($1, $2, $3::text::jsonb)",
        actor_id,
        action,
        orjson.dumps(detail).decode(),
    )
