"""SQL for facilities; every function takes an asyncpg connection."""

from __future__ import annotations

from datetime import date

import asyncpg

_COLUMNS = """
    f.id, f.external_id, f.name, f.kind, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat, f.beds, f.capacity,
    f.operator, f.opened, f.closed, f.province_code, f.prefecture_code, f.county_code, f.divisions_at,
    f.source, f.synthetic
"""


WRITABLE_COLUMNS = (
    "external_id",
    "name",
    "kind",
    "lon",
    "lat",
    "beds",
    "capacity",
    "operator",
    "opened",
    "closed",
    "province_code",
    "prefecture_code",
    "county_code",
    "divisions_at",
)
"""The facility columns an import writes."""


async def upsert(
    conn: asyncpg.Connection, records: list[dict], source: str, synthetic: bool
) -> tuple[int, int]:
    """Insert records (updating those whose source and id already exist); return (created, updated)."""
    columns = WRITABLE_COLUMNS
    arrays = [[r[c] for r in records] for c in columns]
    rows = await conn.fetch(
        """
        INSERT INTO facilities (external_id, name, kind, geom, beds, capacity, operator, opened, closed,
            province_code, prefecture_code, county_code, divisions_at, source, synthetic)
        SELECT t.external_id, t.name, t.kind, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), t.beds,
            t.capacity, t.operator, t.opened, t.closed, t.province_code, t.prefecture_code,
            t.county_code, t.divisions_at, $15, $16
        FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::int[], $7::int[],
            $8::text[], $9::date[], $10::date[], $11::text[], $12::text[], $13::text[], $14::date[])
            AS t(external_id, name, kind, lon, lat, beds, capacity, operator, opened, closed,
                 province_code, prefecture_code, county_code, divisions_at)
        ON CONFLICT (source, external_id) DO UPDATE SET
            name = EXCLUDED.name, kind = EXCLUDED.kind, geom = EXCLUDED.geom, beds = EXCLUDED.beds,
            capacity = EXCLUDED.capacity, operator = EXCLUDED.operator, opened = EXCLUDED.opened,
            closed = EXCLUDED.closed, province_code = EXCLUDED.province_code,
            prefecture_code = EXCLUDED.prefecture_code, county_code = EXCLUDED.county_code,
            divisions_at = EXCLUDED.divisions_at, synthetic = EXCLUDED.synthetic, imported_at = now()
        RETURNING (xmax = 0) AS created
        """,
        *arrays,
        source,
        synthetic,
    )
    created = sum(r["created"] for r in rows)
    return created, len(rows) - created


async def open_at(
    conn: asyncpg.Connection,
    at: date,
    bounds: tuple[float, float, float, float],
    kinds: list[str],
) -> list[asyncpg.Record]:
    """Return facilities of ``kinds`` open on ``at`` inside a WGS-84 bounding box."""
    return await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM facilities f
        WHERE f.open_period @> $1::date
          AND f.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)
          AND f.kind = ANY($6::text[])
        ORDER BY f.id
        """,
        at,
        *bounds,
        kinds,
    )


async def in_county_prefix(
    conn: asyncpg.Connection, at: date, prefix: str, kinds: list[str]
) -> list[asyncpg.Record]:
    """Return facilities of ``kinds`` open on ``at`` whose derived county code starts with ``prefix``."""
    return await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM facilities f
        WHERE f.open_period @> $1::date AND f.county_code LIKE $2 || '%' AND f.kind = ANY($3::text[])
        ORDER BY f.id
        """,
        at,
        prefix,
        kinds,
    )


async def delete_synthetic(conn: asyncpg.Connection, source: str) -> int:
    """Delete the synthetic facilities of one source label; return how many."""
    result = await conn.execute("DELETE FROM facilities WHERE synthetic AND source = $1", source)
    return int(result.split()[-1])
