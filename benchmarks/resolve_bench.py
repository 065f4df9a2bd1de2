"""Benchmark: full areacodes ingest, and batch resolve in process and over HTTP.

Run: .venv/bin/python benchmarks/resolve_bench.py [--areacodes PATH]
Targets (issue 2): ingest of all 44 years < 60 s; >= 50,000 items/s for one resolve call of
10,000 items. The baseline measured in the same run is a per-item SQL resolution (version
lookup plus a recursive walk of lineage_edges), the obvious way to answer the same question.
"""

import argparse
import asyncio
import random
import statistics
import threading
import time
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from common import SUCCESSORS_SQL, free_port, fresh_database, rate

from boundaries import LineageIndex, ingest_areacodes
from spatial_platform.app import create_app
from spatial_platform.settings import DatabaseSettings, Settings

BENCH_DB = "sp_bench"
BATCH = 10_000


def sample_items(index: LineageIndex, n: int, seed: int = 7) -> list[dict]:
    """Draw n real (code, date) pairs at which the code was in force."""
    rng = random.Random(seed)
    nodes = [x for x in index.nodes.values() if x.level == "county"]
    items = []
    while len(items) < n:
        node = rng.choice(nodes)
        end = (node.valid_to or date(2024, 12, 31)).toordinal() - 1
        when = date.fromordinal(rng.randint(node.valid_from.toordinal(), end))
        items.append({"code": node.code, "at": when.isoformat()})
    return items


def serve_in_thread(settings: DatabaseSettings) -> tuple[uvicorn.Server, int]:
    """Start the real app with uvicorn on loopback in a background thread."""
    port = free_port()
    config = uvicorn.Config(
        create_app(Settings.from_env(database=settings)), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, port


async def main(areacodes: Path) -> None:
    """Run every measurement and print figures with their baselines and ratios."""
    settings = fresh_database(BENCH_DB)
    dsn = settings.dsn()
    conn = await asyncpg.connect(dsn)

    t0 = time.perf_counter()
    report = await ingest_areacodes(conn, areacodes)
    ingest_s = time.perf_counter() - t0
    print(
        f"ingest: {report.versions} versions, {report.edges} edges in {ingest_s:.1f} s "
        f"(target 60 s, ratio {60 / ingest_s:.1f}x under target)"
    )

    index = await LineageIndex.load(conn)
    items = sample_items(index, BATCH)
    today = date.today()
    runs = []
    for _ in range(5):
        index._memo.clear()
        index._today.clear()
        t0 = time.perf_counter()
        results = index.resolve(items, today)
        runs.append(time.perf_counter() - t0)
    assert all(r["found"] for r in results)
    cold, best = statistics.median(runs), min(runs)
    print(
        f"in-process resolve of {BATCH} (empty caches each run): median {rate(BATCH, cold)}, "
        f"best {rate(BATCH, best)}"
    )

    sample = items[:1000]
    t0 = time.perf_counter()
    for item in sample:
        await conn.fetch(SUCCESSORS_SQL, item["code"], date.fromisoformat(item["at"]))
    base_s = time.perf_counter() - t0
    baseline = len(sample) / base_s
    print(f"baseline per-item SQL (recursive CTE, {len(sample)} items): {baseline:,.0f} items/s")
    print(
        f"ratio in-process cold / baseline: {BATCH / cold / baseline:.0f}x; "
        f"cold / target 50,000: {BATCH / cold / 50_000:.1f}x"
    )

    server, port = serve_in_thread(settings)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            await http.post("/v1/divisions/resolve", json={"items": items[:10]})
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                r = await http.post("/v1/divisions/resolve", json={"items": items})
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200 and r.json()["found"] == BATCH
        http_s = min(times)
        print(
            f"HTTP resolve of {BATCH} in one call (best of 5): {rate(BATCH, http_s)} "
            f"(ratio to target 50,000: {BATCH / http_s / 50_000:.1f}x; "
            f"to baseline: {BATCH / http_s / baseline:.0f}x)"
        )
    finally:
        server.should_exit = True
    await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areacodes", type=Path, default=Path("../shared/data/areacodes"))
    asyncio.run(main(parser.parse_args().areacodes))
