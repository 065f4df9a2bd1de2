"""SQL of the OGC API: features of a collection matched by period, bbox and properties."""

from __future__ import annotations

import asyncpg

from spatial_platform.ogc.params import CGCS2000, Period

_RANGE = "daterange($1::date, $2::date, '[]')"


def _geojson(crs: str, column: str = "geom") -> str:
    inner = f"ST_FlipCoordinates({column})" if crs == CGCS2000 else column
    return f"ST_AsGeoJSON({inner}, 7)"


async def divisions(
    conn: asyncpg.Connection,
    levels: tuple[str, ...],
    period: Period,
    bbox,
    filters: dict[str, str],
    limit: int,
    offset: int,
    crs: str,
) -> tuple[list[asyncpg.Record], int]:
    """Return one page of division versions in force during ``period`` and how many match in all."""
    args: list = [period.start, period.end, list(levels)]
    where = ["v.level = ANY($3::text[])", f"v.valid && {_RANGE}"]
    for name, column in (
        ("code", "v.code"),
        ("parent", "v.parent_code"),
        ("name", "v.name"),
        ("level", "v.level"),
    ):
        if filters.get(name):
            args.append(filters[name])
            where.append(f"{column} = ${len(args)}")
    if bbox is not None:
        args += list(bbox)
        n = len(args)
        where.append(
            f"""EXISTS (SELECT 1 FROM division_geometries b WHERE b.version_id = v.id AND b.valid && {_RANGE}
                AND ST_Intersects(b.geom, ST_MakeEnvelope(${n - 3}, ${n - 2}, ${n - 1}, ${n}, 4326)))"""
        )
    args += [limit, offset]
    rows = await conn.fetch(
        f"""
        WITH matched AS (
            SELECT v.id, v.code, v.name, v.level, v.parent_code, v.valid_from, v.valid_to
            FROM division_versions v WHERE {" AND ".join(where)}
        )
        SELECT m.*, g.kind AS geometry_kind, {_geojson(crs, "g.geom")} AS geometry,
               (SELECT count(*) FROM matched) AS matched
        FROM matched m
        LEFT JOIN LATERAL (
            SELECT g.kind, g.geom FROM division_geometries g
            WHERE g.version_id = m.id AND g.valid && {_RANGE} ORDER BY g.valid_from DESC LIMIT 1
        ) g ON true
        ORDER BY m.code, m.valid_from LIMIT ${len(args) - 1} OFFSET ${len(args)}
        """,
        *args,
    )
    if rows:
        return list(rows), rows[0]["matched"]
    total = await conn.fetchval(
        f"SELECT count(*) FROM division_versions v WHERE {' AND '.join(where)}", *args[:-2]
    )
    return [], total


async def versions(
    conn: asyncpg.Connection, code: str, levels: tuple[str, ...], crs: str
) -> list[asyncpg.Record]:
    """Every version of a code, each with the boundary it had last."""
    return await conn.fetch(
        f"""
        SELECT v.id, v.code, v.name, v.level, v.parent_code, v.valid_from, v.valid_to,
               g.kind AS geometry_kind, {_geojson(crs, "g.geom")} AS geometry
        FROM division_versions v
        LEFT JOIN LATERAL (
            SELECT g.kind, g.geom FROM division_geometries g WHERE g.version_id = v.id
            ORDER BY g.valid_from DESC LIMIT 1
        ) g ON true
        WHERE v.code = $1 AND v.level = ANY($2::text[]) ORDER BY v.valid_from
        """,
        code,
        list(levels),
    )


async def facilities(
    conn: asyncpg.Connection,
    period: Period,
    bbox,
    filters: dict[str, str],
    limit: int,
    offset: int,
    crs: str,
    ident: int | None = None,
) -> tuple[list[asyncpg.Record], int]:
    """Return one page of facilities open during ``period`` and how many match in all."""
    args: list = [period.start, period.end]
    where = [f"f.open_period && {_RANGE}"]
    for name in ("name", "kind", "county_code"):
        if filters.get(name):
            args.append(filters[name])
            where.append(f"f.{name} = ${len(args)}")
    if ident is not None:
        args.append(ident)
        where.append(f"f.id = ${len(args)}")
    if bbox is not None:
        args += list(bbox)
        n = len(args)
        where.append(f"f.geom && ST_MakeEnvelope(${n - 3}, ${n - 2}, ${n - 1}, ${n}, 4326)")
    args += [limit, offset]
    rows = await conn.fetch(
        f"""
        SELECT f.id, f.external_id, f.name, f.kind, f.beds, f.capacity, f.operator, f.opened, f.closed,
               f.province_code, f.prefecture_code, f.county_code, f.source, f.synthetic,
               {_geojson(crs, "f.geom")} AS geometry, count(*) OVER () AS matched
        FROM facilities f WHERE {" AND ".join(where)}
        ORDER BY f.id LIMIT ${len(args) - 1} OFFSET ${len(args)}
        """,
        *args,
    )
    if rows:
        return list(rows), rows[0]["matched"]
    total = await conn.fetchval(f"SELECT count(*) FROM facilities f WHERE {' AND '.join(where)}", *args[:-2])
    return [], total


async def extent(conn: asyncpg.Connection, kind: str) -> tuple[float, float, float, float] | None:
    """The spatial extent of a collection (all time)."""
    table = "division_geometries" if kind == "divisions" else "facilities"
    row = await conn.fetchrow(
        "SELECT ST_XMin(e) x1, ST_YMin(e) y1, ST_XMax(e) x2, ST_YMax(e) y2 "
        f"FROM (SELECT ST_Extent(geom) e FROM {table}) s"
    )
    return None if row is None or row["x1"] is None else (row["x1"], row["y1"], row["x2"], row["y2"])
