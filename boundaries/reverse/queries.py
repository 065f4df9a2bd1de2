"""SQL of reverse geocoding: what changed, and the geometries in force at a date."""

from __future__ import annotations

from datetime import date

import asyncpg


async def reverse_state(conn: asyncpg.Connection) -> asyncpg.Record:
    """Return the areacodes data version and the newest geometry id, cheaply (index lookups only).

    Geometry changes insert rows (an upload closes the old version and inserts the new one; an
    ingest replaces all rows), so the highest id moves whenever the geometry does.
    """
    return await conn.fetchrow(
        """
        SELECT ((SELECT version FROM dataset_loads WHERE name = 'areacodes'),
                (SELECT coalesce(max(seq), 0) FROM change_feed)) AS data_version,
               (SELECT max(id) FROM division_geometries) AS top_id
        """
    )


async def boundary_dates(conn: asyncpg.Connection) -> list[date]:
    """Return, sorted, every date on which a division or geometry version begins or ends."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT d FROM (
            SELECT valid_from AS d FROM division_geometries
            UNION ALL SELECT valid_to FROM division_geometries
            UNION ALL SELECT valid_from FROM division_versions
                WHERE level IN ('province', 'prefecture', 'county')
            UNION ALL SELECT valid_to FROM division_versions
                WHERE level IN ('province', 'prefecture', 'county')
        ) s WHERE d IS NOT NULL ORDER BY d
        """
    )
    return [r["d"] for r in rows]


async def geometry_keys_at(conn: asyncpg.Connection, at: date) -> list[asyncpg.Record]:
    """Return (code, level, kind, id) of the province, prefecture and county geometries at ``at``."""
    return await conn.fetch(
        """
        SELECT v.code, v.level, g.kind, g.id
        FROM division_geometries g
        JOIN division_versions v ON v.id = g.version_id
        WHERE g.valid @> $1::date AND v.valid @> $1::date
          AND v.level IN ('province', 'prefecture', 'county')
        ORDER BY v.code
        """,
        at,
    )


async def geometry_wkb(conn: asyncpg.Connection, ids: list[int]) -> list[bytes]:
    """Return the WKB of geometry versions by id, in the order of ``ids``."""
    rows = await conn.fetch(
        "SELECT id, ST_AsBinary(geom) AS geom FROM division_geometries WHERE id = ANY($1::bigint[])", ids
    )
    by_id = {r["id"]: r["geom"] for r in rows}
    return [by_id[i] for i in ids]
