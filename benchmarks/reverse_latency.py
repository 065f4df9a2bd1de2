"""GET /v1/reverse single-point latency in process (httpx ASGITransport on the real app).

Baseline in the same run: the same points answered by one PostGIS query each (ST_Intersects on
the county geometries in force at the date, through the same connection pool). Points are
sampled inside counties (a random county, then a uniform point inside it); the model is
built (and its build time printed) before timing. Targets: p50 <= 2 ms, p99 <= 10 ms.

Run: SP_DB_NAME=... .venv/bin/python benchmarks/reverse_latency.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date

import httpx
import numpy as np
import shapely

from spatial_platform.app import create_app
from spatial_platform.settings import Settings

AT = "2024-06-01"
WHEN = date.fromisoformat(AT)
BASELINE_SQL = """
    SELECT v.code
    FROM division_geometries g JOIN division_versions v ON v.id = g.version_id
    WHERE v.level = 'county' AND g.valid @> $3::date AND v.valid @> $3::date
      AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))
    ORDER BY v.code LIMIT 1
"""


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return (p50, p99) in milliseconds."""
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


async def sample_points(pool, n: int) -> np.ndarray:
    """Return n points uniformly inside 400 random county geometries in force at AT."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """
            SELECT ST_AsBinary(g.geom) AS geom FROM division_geometries g
            JOIN division_versions v ON v.id = g.version_id
            WHERE v.level = 'county' AND g.valid @> $1::date AND v.valid @> $1::date
            ORDER BY random() LIMIT 400
            """,
            WHEN,
        )
    geoms = shapely.from_wkb([r["geom"] for r in rows])
    rng = np.random.default_rng(3)
    out = []
    shapely.prepare(geoms)
    while len(out) < n:
        g = geoms[rng.integers(len(geoms))]
        x0, y0, x1, y1 = g.bounds
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if shapely.contains_xy(g, x, y):
            out.append((x, y))
    return np.array(out)


async def main(args: argparse.Namespace) -> None:
    """Warm the model, then time single-point requests and the PostGIS baseline."""
    app = create_app(Settings.from_env())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            pool = app.state.pool
            points = await sample_points(pool, args.requests)
            started = time.perf_counter()
            first = await http.get("/v1/reverse", params={"lon": 116.3975, "lat": 39.9087, "at": AT})
            took = time.perf_counter() - started
            print(f"model built by the first request in {took:.1f} s (status {first.status_code})")
            for lon, lat in points[:50]:  # warm-up
                await http.get("/v1/reverse", params={"lon": lon, "lat": lat, "at": AT})
            api, codes = [], []
            for lon, lat in points:
                t = time.perf_counter()
                r = await http.get("/v1/reverse", params={"lon": lon, "lat": lat, "at": AT})
                api.append(time.perf_counter() - t)
                codes.append((r.json().get("county") or {}).get("code") if r.status_code == 200 else None)
            base, base_codes = [], []
            for lon, lat in points:
                t = time.perf_counter()
                async with pool.acquire() as conn:  # a connection from the pool per query, as the API's
                    base_codes.append(await conn.fetchval(BASELINE_SQL, float(lon), float(lat), WHEN))
                base.append(time.perf_counter() - t)
    p50, p99 = percentiles(api)
    b50, b99 = percentiles(base)
    same = np.mean([a == b for a, b in zip(codes, base_codes, strict=True)])
    print(f"GET /v1/reverse, {len(api):,} single-point requests: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"baseline, one PostGIS ST_Intersects query per point: p50 {b50:.2f} ms, p99 {b99:.2f} ms")
    print(f"ratio baseline / API: p50 {b50 / p50:.1f}x, p99 {b99 / p99:.1f}x; same county for {same:.2%}")
    verdict = {True: "met", False: "NOT met"}
    print(f"targets: p50 <= 2 ms: {verdict[p50 <= 2]}; p99 <= 10 ms: {verdict[p99 <= 10]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(parser.parse_args()))
