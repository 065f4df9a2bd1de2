"""SQL the planning measures read: the divisions under an area and their geometry at a date."""

from __future__ import annotations

from datetime import date

import asyncpg


async def leaves_under(conn: asyncpg.Connection, code: str, at: date) -> list[asyncpg.Record]:
    """Return the lowest divisions (counties, or prefectures without counties) under ``code`` at ``at``."""
    return await conn.fetch(
        """
        WITH RECURSIVE tree AS (
            SELECT v.code, v.name, v.level, v.parent_code FROM division_versions v
            WHERE v.code = $1 AND v.valid @> $2::date
          UNION ALL
            SELECT v.code, v.name, v.level, v.parent_code FROM tree t
            JOIN division_versions v ON v.parent_code = t.code AND v.valid @> $2::date
            WHERE v.level IN ('prefecture', 'county')
        )
        SELECT t.code, t.name, t.level, t.parent_code FROM tree t
        WHERE NOT EXISTS (SELECT 1 FROM tree c WHERE c.parent_code = t.code)
        ORDER BY t.code
        """,
        code,
        at,
    )


async def geometries_for(conn: asyncpg.Connection, codes: list[str], at: date) -> list[asyncpg.Record]:
    """Return (code, kind, geom WKB) of the geometry versions of ``codes`` in force at ``at``."""
    return await conn.fetch(
        """
        SELECT g.code, g.kind, ST_AsBinary(g.geom) AS geom FROM division_geometries g
        WHERE g.code = ANY($1::text[]) AND g.valid @> $2::date
        ORDER BY g.code
        """,
        codes,
        at,
    )
