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


async def _page(
    conn: asyncpg.Connection,
    select: str,
    source: str,
    where: list[str],
    order: str,
    args: list,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    """Return one page of ``SELECT select FROM source WHERE where`` and how many rows match in all."""
    args = [*args, limit, offset]
    rows = await conn.fetch(
        f"""SELECT {select}, count(*) OVER () AS matched FROM {source} WHERE {" AND ".join(where)}
        ORDER BY {order} LIMIT ${len(args) - 1} OFFSET ${len(args)}""",
        *args,
    )
    if rows:
        return list(rows), rows[0]["matched"]
    total = await conn.fetchval(f"SELECT count(*) FROM {source} WHERE {' AND '.join(where)}", *args[:-2])
    return [], total


def _match(where: list[str], args: list, filters: dict[str, str], columns: dict[str, str]) -> None:
    """Add an equality condition per given filter (``None`` or empty: no condition)."""
    for name, column in columns.items():
        if filters.get(name):
            args.append(filters[name])
            where.append(f"{column} = ${len(args)}")


def _in_box(where: list[str], args: list, bbox, column: str) -> None:
    """Add a bounding-box condition on ``column`` (WGS 84) when a box is given."""
    if bbox is not None:
        args += list(bbox)
        n = len(args)
        where.append(f"{column} && ST_MakeEnvelope(${n - 3}, ${n - 2}, ${n - 1}, ${n}, 4326)")


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
    columns = {"name": "f.name", "kind": "f.kind", "county_code": "f.county_code", "id": "f.id"}
    _match(where, args, {**filters, "id": ident}, columns)
    _in_box(where, args, bbox, "f.geom")
    select = f"""f.id, f.external_id, f.name, f.kind, f.beds, f.capacity, f.operator, f.opened, f.closed,
               f.province_code, f.prefecture_code, f.county_code, f.source, f.synthetic,
               {_geojson(crs, "f.geom")} AS geometry"""
    return await _page(conn, select, "facilities f", where, "f.id", args, limit, offset)


async def placenames(
    conn: asyncpg.Connection,
    period: Period,
    bbox,
    filters: dict[str, str],
    limit: int,
    offset: int,
    crs: str,
    ident: int | None = None,
) -> tuple[list[asyncpg.Record], int]:
    """Return one page of published place-name versions public during ``period``.

    A version is public from the day it was published until the day the record's next version
    was published or retired; records without a location have a null geometry.
    """
    args: list = [period.start, period.end]
    where = ["v.status = 'published'", f"daterange(v.created_at::date, n.until) && {_RANGE}"]
    columns = {"name": "v.name", "category": "v.category", "code": "v.code", "id": "v.record_id"}
    _match(where, args, {**filters, "id": ident}, columns)
    _in_box(where, args, bbox, "v.geom")
    select = f"""v.record_id AS id, v.version, v.name, v.pinyin, v.category, v.level, v.code,
               v.division_code, v.created_at::date AS valid_from, n.until AS valid_to,
               {_geojson(crs, "v.geom")} AS geometry"""
    source = """placename_versions v LEFT JOIN LATERAL (
            SELECT min(x.created_at)::date AS until FROM placename_versions x
            WHERE x.record_id = v.record_id AND x.version > v.version AND x.status IN ('published', 'retired')
        ) n ON true"""
    return await _page(conn, select, source, where, "v.record_id, v.version", args, limit, offset)


async def population(
    conn: asyncpg.Connection,
    period: Period,
    bbox,
    filters: dict[str, str],
    limit: int,
    offset: int,
    crs: str,
    ident: str | None = None,
) -> tuple[list[asyncpg.Record], int]:
    """Return one page of county population counts with the county's boundary then.

    At an instant, each county's latest year up to the instant's year (as the population tiles
    draw it); over an interval, every year that overlaps it.
    """
    args: list = [period.start] if period.instant else [period.start, period.end]
    where = [
        """c.year = (SELECT max(y.year) FROM populations y
                     WHERE y.division_code = c.code AND y.year <= extract(year FROM $1::date))"""
        if period.instant
        else f"daterange(make_date(c.year, 1, 1), make_date(c.year + 1, 1, 1)) && {_RANGE}"
    ]
    columns = {"code": "c.code", "year": "c.year::text", "id": "c.code || '-' || c.year"}
    _match(where, args, {**filters, "id": ident}, columns)
    _in_box(where, args, bbox, "g.geom")
    select = f"""c.code || '-' || c.year AS id, c.code, v.name, c.year, c.total, c.aged_60, c.aged_65,
               c.aged_80, round(c.aged_60::numeric / nullif(c.total, 0), 4)::float8 AS share_60,
               c.synthetic, c.source, {_geojson(crs, "g.geom")} AS geometry"""
    source = """(SELECT division_code AS code, version_id, year, bool_or(synthetic) AS synthetic,
                        min(source) AS source,
                        max(count) FILTER (WHERE band = 'total') AS total,
                        max(count) FILTER (WHERE band = '60+') AS aged_60,
                        max(count) FILTER (WHERE band = '65+') AS aged_65,
                        max(count) FILTER (WHERE band = '80+') AS aged_80
                 FROM populations GROUP BY division_code, version_id, year) c
        JOIN division_versions v ON v.id = c.version_id
        LEFT JOIN LATERAL (
            SELECT geom FROM division_geometries g WHERE g.version_id = c.version_id
            ORDER BY g.valid @> make_date(c.year, 12, 31) DESC, g.valid_from DESC LIMIT 1
        ) g ON true"""
    return await _page(conn, select, source, where, "c.code, c.year", args, limit, offset)


async def extent(conn: asyncpg.Connection, kind: str) -> tuple[float, float, float, float] | None:
    """The spatial extent of a collection (all time)."""
    table = {"divisions": "division_geometries", "population": "division_geometries",
             "placenames": "placename_versions"}.get(kind, "facilities")  # fmt: skip
    row = await conn.fetchrow(
        "SELECT ST_XMin(e) x1, ST_YMin(e) y1, ST_XMax(e) x2, ST_YMax(e) y2 "
        f"FROM (SELECT ST_Extent(geom) e FROM {table}) s"
    )
    return None if row is None or row["x1"] is None else (row["x1"], row["y1"], row["x2"], row["y2"])
