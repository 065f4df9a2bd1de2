"""Batch reverse geocoding: the in-process engine vs a plain PostGIS ST_Intersects join.

Both sides use the same county polygons (every county geometry in force at --at, from the
database's division_geometries) and the same points, sampled uniformly inside those counties.
PostGIS gets a subset (--postgis-points, loaded into a temp table with a GiST index; only the join
is timed) and the rates are compared. Targets: >= 1,000,000 points/s and >= 10x PostGIS.

Run: SP_DB_NAME=... .venv/bin/python benchmarks/reverse_batch.py [--points 2000000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import date

import asyncpg
import numpy as np
import shapely

from boundaries import ReverseEngine
from boundaries.reverse import queries
from spatial_platform.settings import DatabaseSettings, ReverseSettings


def sample_inside(geoms: np.ndarray, n: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points uniform over the union of the polygons (area-weighted county, then rejection)."""
    rng = np.random.default_rng(seed)
    area = shapely.area(geoms)
    owner = rng.choice(len(geoms), size=n, p=area / area.sum())
    bounds = shapely.bounds(geoms)
    x, y = np.empty(n), np.empty(n)
    shapely.prepare(geoms)
    todo = np.arange(n)
    while len(todo):
        b = bounds[owner[todo]]
        tx, ty = rng.uniform(b[:, 0], b[:, 2]), rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(geoms[owner[todo]], tx, ty)
        x[todo[ok]], y[todo[ok]] = tx[ok], ty[ok]
        todo = todo[~ok]
    return x, y, owner


async def postgis_join(conn: asyncpg.Connection, ids: list[int], x: np.ndarray, y: np.ndarray) -> tuple:
    """Time a plain ST_Intersects join of the points against the same polygons; return (seconds, answer)."""
    await conn.execute(
        """
        CREATE TEMP TABLE bench_polygons AS
        SELECT o.idx - 1 AS idx, g.geom
        FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, idx)
        JOIN division_geometries g ON g.id = o.id
        """,
        ids,
    )
    await conn.execute("CREATE INDEX ON bench_polygons USING gist (geom)")
    await conn.execute("CREATE TEMP TABLE bench_points (id integer, lon float8, lat float8)")
    await conn.copy_records_to_table(
        "bench_points", records=list(zip(range(len(x)), x.tolist(), y.tolist(), strict=True))
    )
    await conn.execute("ALTER TABLE bench_points ADD COLUMN geom geometry(Point, 4326)")
    await conn.execute("UPDATE bench_points SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
    await conn.execute("CREATE INDEX ON bench_points USING gist (geom)")
    await conn.execute("ANALYZE bench_polygons")
    await conn.execute("ANALYZE bench_points")
    started = time.perf_counter()
    rows = await conn.fetch(
        """
        SELECT p.id, min(c.idx) AS idx
        FROM bench_points p JOIN bench_polygons c ON ST_Intersects(c.geom, p.geom)
        GROUP BY p.id
        """
    )
    seconds = time.perf_counter() - started
    answer = np.full(len(x), -1, dtype=np.int64)
    answer[[r["id"] for r in rows]] = [r["idx"] for r in rows]
    return seconds, answer


async def main(args: argparse.Namespace) -> None:
    """Load the counties, build the engine, time both sides and print figures and ratios."""
    settings = DatabaseSettings()
    conn = await asyncpg.connect(settings.dsn())
    try:
        when = date.fromisoformat(args.at) if args.at else date.today()
        keys = [r for r in await queries.geometry_keys_at(conn, when) if r["level"] == "county"]
        if not keys:
            name = settings.database_name
            raise SystemExit(f"no county geometry at {when} in {name}: run ingest boundaries")
        ids = [r["id"] for r in keys]
        geoms = shapely.from_wkb(np.array(await queries.geometry_wkb(conn, ids), dtype=object))
        vertices = shapely.get_num_coordinates(geoms).sum()
        print(f"{len(geoms):,} county polygons at {when}, {vertices:,} vertices")
        rev = ReverseSettings()
        started = time.perf_counter()
        engine = ReverseEngine(geoms, cells_per_degree=rev.cells_per_degree, max_vertices=rev.max_vertices)
        print(f"engine built in {time.perf_counter() - started:.1f} s")
        x, y, owner = sample_inside(geoms, args.points)
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            found = engine.lookup(x, y)
            timings.append(time.perf_counter() - started)
        median = statistics.median(timings)
        engine_rate = args.points / median
        agree = (found == owner).mean()
        print(f"engine: {args.points:,} points in {median:.3f} s (median of {args.repeat})")
        print(f"engine: {engine_rate:,.0f} points/s; answers equal to the sampled county for {agree:.4%}")
        n = min(args.postgis_points, args.points)
        seconds, answer = await postgis_join(conn, ids, x[:n], y[:n])
        postgis_rate = n / seconds
        same = (answer == found[:n]).mean()
        print(f"PostGIS ST_Intersects join: {n:,} points in {seconds:.3f} s = {postgis_rate:,.0f} points/s")
        print(f"engine and PostGIS agree on {same:.4%} of those points")
        ratio = engine_rate / postgis_rate
        print(f"ratio engine / PostGIS: {ratio:.1f}x")
        print(
            f"targets: >= 1,000,000 points/s: {'met' if engine_rate >= 1e6 else 'NOT met'}; "
            f">= 10x PostGIS: {'met' if ratio >= 10 else 'NOT met'}"
        )
    finally:
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=2_000_000)
    parser.add_argument("--postgis-points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--at", help="date of the county set (default today)")
    asyncio.run(main(parser.parse_args()))
