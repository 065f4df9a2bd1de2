"""SQL for division geometry over time: one boundary, uploads, and the coverage report."""

from __future__ import annotations

from datetime import date

import asyncpg

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
        SELECT id, valid_from, valid_to FROM division_geometries
        WHERE code = $1 ORDER BY valid_from DESC LIMIT 1 FOR UPDATE
        """,
        code,
    )


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
