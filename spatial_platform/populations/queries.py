"""SQL for populations and population grid cells; every function takes an asyncpg connection."""

from __future__ import annotations

from datetime import date

import asyncpg


async def versions_for(conn: asyncpg.Connection, codes: list[str], dates: list[date]) -> list[int | None]:
    """Return, per (code, date), the id of the division version valid then, or None."""
    rows = await conn.fetch(
        """
        SELECT t.i, v.id FROM unnest($1::text[], $2::date[]) WITH ORDINALITY AS t(code, at, i)
        LEFT JOIN division_versions v ON v.code = t.code AND v.valid @> t.at
        ORDER BY t.i
        """,
        codes,
        dates,
    )
    return [r["id"] for r in rows]


async def upsert(
    conn: asyncpg.Connection, records: list[dict], source: str, synthetic: bool
) -> tuple[int, int]:
    """Insert or replace counts by (division, year, band); return (created, updated)."""
    rows = await conn.fetch(
        """
        INSERT INTO populations (division_code, version_id, year, band, count, source, synthetic)
        SELECT t.code, t.version_id, t.year, t.band, t.count, coalesce(t.source, $7), $8
        FROM unnest($1::text[], $2::bigint[], $3::int[], $4::text[], $5::bigint[], $6::text[])
            AS t(code, version_id, year, band, count, source)
        ON CONFLICT (division_code, year, band) DO UPDATE SET
            version_id = EXCLUDED.version_id, count = EXCLUDED.count, source = EXCLUDED.source,
            synthetic = EXCLUDED.synthetic, imported_at = now()
        RETURNING (xmax = 0) AS created
        """,
        [r["code"] for r in records],
        [r["version_id"] for r in records],
        [r["year"] for r in records],
        [r["band"] for r in records],
        [r["count"] for r in records],
        [r.get("source") for r in records],
        source,
        synthetic,
    )
    created = sum(r["created"] for r in rows)
    return created, len(rows) - created


async def insert_cells(conn: asyncpg.Connection, records: list[dict], source: str, synthetic: bool) -> int:
    """Insert grid cells; return how many."""
    await conn.execute(
        """
        INSERT INTO population_cells (year, band, count, geom, cell_size_m, source, synthetic)
        SELECT t.year, t.band, t.count, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), t.size, $7, $8
        FROM unnest($1::int[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::real[])
            AS t(year, band, count, lon, lat, size)
        """,
        [r["year"] for r in records],
        [r["band"] for r in records],
        [r["count"] for r in records],
        [r["lon"] for r in records],
        [r["lat"] for r in records],
        [r.get("cell_size_m") for r in records],
        source,
        synthetic,
    )
    return len(records)


async def counts_for(conn: asyncpg.Connection, codes: list[str], band: str) -> list[asyncpg.Record]:
    """Return counts of ``band`` for the divisions ``codes`` and for towns directly under them, every year."""
    return await conn.fetch(
        """
        SELECT p.division_code, p.year, p.count, v.level, v.parent_code
        FROM populations p JOIN division_versions v ON v.id = p.version_id
        WHERE p.band = $2 AND (p.division_code = ANY($1::text[])
              OR (v.level = 'town' AND v.parent_code = ANY($1::text[])))
        ORDER BY p.year, p.division_code
        """,
        codes,
        band,
    )


async def cell_years(
    conn: asyncpg.Connection, band: str, bounds: tuple[float, float, float, float]
) -> list[int]:
    """Return the years that have grid cells of ``band`` inside a bounding box."""
    years = await conn.fetch("SELECT DISTINCT year FROM population_cells WHERE band = $1 ORDER BY year", band)
    found = []
    for row in years:
        if await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM population_cells WHERE year = $1 AND band = $2 "
            "AND geom && ST_MakeEnvelope($3, $4, $5, $6, 4326))",
            row["year"],
            band,
            *bounds,
        ):
            found.append(row["year"])
    return found


async def cells(
    conn: asyncpg.Connection, year: int, band: str, bounds: tuple[float, float, float, float]
) -> tuple[list[float], list[float], list[float]]:
    """Return grid cells (lon, lat and count arrays) of one year and band inside a bounding box."""
    row = await conn.fetchrow(
        """
        SELECT array_agg(ST_X(geom) ORDER BY id) AS lon, array_agg(ST_Y(geom) ORDER BY id) AS lat,
               array_agg(count ORDER BY id) AS count
        FROM population_cells
        WHERE year = $1 AND band = $2 AND geom && ST_MakeEnvelope($3, $4, $5, $6, 4326)
        """,
        year,
        band,
        *bounds,
    )
    return row["lon"] or [], row["lat"] or [], row["count"] or []


async def delete_synthetic(conn: asyncpg.Connection, codes: list[str], source: str) -> int:
    """Delete synthetic counts of a source for divisions (and the towns under them), every year."""
    result = await conn.execute(
        """
        DELETE FROM populations p USING division_versions v
        WHERE v.id = p.version_id AND p.synthetic AND p.source = $2
          AND (p.division_code = ANY($1::text[]) OR v.parent_code = ANY($1::text[]))
        """,
        codes,
        source,
    )
    return int(result.split()[-1])
