"""SQL of planning: the divisions under an area and their geometry at a date, and the demo's writes."""

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


async def real_population_in(conn: asyncpg.Connection, codes: list[str], year: int) -> str | None:
    """Return the lowest of ``codes`` with real (not synthetic) population figures for ``year``, if any."""
    return await conn.fetchval(
        "SELECT min(division_code) FROM populations WHERE division_code = ANY($1::text[]) AND year = $2 "
        "AND NOT synthetic",
        codes,
        year,
    )


async def delete_synthetic_facilities(conn: asyncpg.Connection, codes: list[str], source: str) -> int:
    """Delete the synthetic facilities of ``source`` in these counties or prefectures; return how many."""
    status = await conn.execute(
        "DELETE FROM facilities WHERE synthetic AND source = $1 AND (county_code = ANY($2::text[]) "
        "OR prefecture_code = ANY($2::text[]))",
        source,
        codes,
    )
    return int(status.split()[-1])


async def delete_synthetic_cells(
    conn: asyncpg.Connection, bounds: tuple[float, float, float, float], source: str
) -> None:
    """Delete the synthetic population cells of ``source`` whose points fall in the bounding box."""
    await conn.execute(
        "DELETE FROM population_cells WHERE synthetic AND source = $1 "
        "AND geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)",
        source,
        *bounds,
    )
