"""Place-name search and suggest latency in process, and queries/s at 16 clients over HTTP.

Queries are drawn from the seeded names (seeded RNG): the full Chinese name, a two-character
prefix, the name in traditional characters (OpenCC s2t), full pinyin with and without spaces,
initials, and a one-typo pinyin; suggest gets one- to three-character name prefixes, pinyin
prefixes and initials. In-process timings go through the real app (httpx ASGITransport).
Baseline in the same run: one plain SQL query per search (LIKE over name and pinyin, ranked the
same way) with index scans disabled, i.e. the scan the indexes replace (fewer queries: it is slow).
The HTTP figure runs `spatial-platform serve` (uvicorn, 127.0.0.1) with 16 concurrent clients,
bounded by --http-requests and --seconds. Targets: search p95 <= 30 ms, suggest p95 <= 15 ms.

Run: SP_DB_NAME=... .venv/bin/python benchmarks/placenames_search.py [--queries 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import opencc
from common import free_port

from placenames.search import pinyin_key
from spatial_platform.app import create_app
from spatial_platform.settings import PlacenamesSettings, Settings

BASELINE_SQL = """
    SELECT id, name FROM placenames
    WHERE public_status = 'published' AND (name LIKE '%' || $1 || '%' OR pinyin_key LIKE '%' || $2 || '%')
    ORDER BY (name = $1 OR pinyin_key = $2) DESC, (name LIKE $1 || '%' OR pinyin_key LIKE $2 || '%') DESC,
             level_rank, length(name), id
    LIMIT 20
"""


def p95(samples: list[float]) -> float:
    """Return the 95th percentile in milliseconds."""
    return float(np.percentile(np.array(samples) * 1000, 95))


def _typo(key: str, rng: random.Random) -> str:
    """Change one letter of a pinyin key (not the first)."""
    i = rng.randrange(1, len(key))
    return key[:i] + rng.choice([c for c in "aeiounghz" if c != key[i]]) + key[i + 1 :]


async def make_queries(conn, n: int) -> tuple[list[str], list[str]]:
    """Return (search queries, suggest queries) drawn from random published records."""
    await conn.execute("SELECT setseed(0.42)")
    rows = await conn.fetch(
        """SELECT name, pinyin, syllables FROM placenames TABLESAMPLE BERNOULLI (2) REPEATABLE (7)
           WHERE public_status = 'published' LIMIT $1""",
        n,
    )
    rng = random.Random(7)
    s2t = opencc.OpenCC("s2t")
    search, suggest = [], []
    for r in rows:
        key = pinyin_key(r["pinyin"])
        initials = "".join(s[0] for s in r["syllables"].split())
        search += [
            r["name"],
            r["name"][:2],
            s2t.convert(r["name"]),
            key,
            r["pinyin"].lower(),
            initials,
            _typo(key, rng) if len(key) > 4 else key,
        ]
        suggest += [r["name"][: rng.randint(1, 3)], key[: rng.randint(2, 5)], initials[:3]]
    rng.shuffle(search)
    rng.shuffle(suggest)
    return search, suggest


async def timed(http: httpx.AsyncClient, path: str, queries: list[str]) -> list[float]:
    """Time one request per query, in sequence."""
    out = []
    for q in queries:
        t = time.perf_counter()
        r = await http.get(path, params={"q": q})
        out.append(time.perf_counter() - t)
        assert r.status_code == 200, (q, r.status_code, r.text)
    return out


async def in_process(args) -> tuple[float, float, float, int]:
    """Return (search p95, suggest p95, baseline p95, records) in process."""
    app = create_app(Settings.from_env(placenames=PlacenamesSettings(rate_limit_enabled=False)))
    async with app.router.lifespan_context(app):
        pool = app.state.pool
        async with pool.acquire() as conn:
            records = await conn.fetchval("SELECT count(*) FROM placenames WHERE public_status = 'published'")
            search, suggest = await make_queries(conn, args.queries // 7 + 1)
        search, suggest = search[: args.queries], suggest[: args.queries]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            await timed(http, "/v1/placenames/search", search[:100])  # warm-up
            await timed(http, "/v1/placenames/suggest", suggest[:100])
            s = await timed(http, "/v1/placenames/search", search)
            g = await timed(http, "/v1/placenames/suggest", suggest)
        base = []
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off")
            for q in search[: args.baseline]:
                t = time.perf_counter()
                await conn.fetch(BASELINE_SQL, q, pinyin_key(q))
                base.append(time.perf_counter() - t)
    print(f"in process over {records:,} published names: {len(s)} searches, {len(g)} suggests")
    return p95(s), p95(g), p95(base), records


async def over_http(args, queries: list[str]) -> tuple[float, int, float]:
    """Serve with uvicorn and run 16 clients; return (queries/s, requests, p95 ms)."""
    port = free_port()
    env = {**os.environ, "SP_PLACENAMES_RATE_LIMIT_ENABLED": "false"}
    cli = Path(sys.executable).parent / "spatial-platform"
    server = subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(
            base_url=base, limits=httpx.Limits(max_connections=args.clients)
        ) as http:
            for _ in range(600):
                try:
                    if (await http.get("/v1/placenames/suggest", params={"q": "长沙"})).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the server did not start")
            latencies: list[float] = []
            cursor = iter(range(args.http_requests))
            deadline = time.perf_counter() + args.seconds

            async def client() -> None:
                for i in cursor:
                    if time.perf_counter() > deadline:
                        return
                    t = time.perf_counter()
                    r = await http.get("/v1/placenames/search", params={"q": queries[i % len(queries)]})
                    latencies.append(time.perf_counter() - t)
                    assert r.status_code == 200, (r.status_code, r.text[:200])

            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(args.clients)))
            took = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    return len(latencies) / took, len(latencies), p95(latencies)


async def main(args: argparse.Namespace) -> None:
    """Run both measurements and print figures, baseline and ratios to the targets."""
    search_p95, suggest_p95, base_p95, _ = await in_process(args)
    print(f"search  p95 {search_p95:6.2f} ms (target 30 ms: {30 / search_p95:.1f}x headroom)")
    print(f"suggest p95 {suggest_p95:6.2f} ms (target 15 ms: {15 / suggest_p95:.1f}x headroom)")
    print(
        f"baseline (LIKE scan without indexes, {args.baseline} searches) p95 {base_p95:8.2f} ms; "
        f"ratio baseline / search {base_p95 / search_p95:.0f}x"
    )
    app = create_app(Settings.from_env())
    async with app.router.lifespan_context(app), app.state.pool.acquire() as conn:
        queries, _ = await make_queries(conn, args.http_requests // 7 + 1)
    qps, done, http_p95 = await over_http(args, queries)
    print(
        f"HTTP, {args.clients} concurrent clients, uvicorn on 127.0.0.1: {done} searches, "
        f"{qps:.0f} queries/s, "
        f"p95 {http_p95:.1f} ms"
    )
    verdict = {True: "met", False: "NOT met"}
    print(
        f"targets: search p95 <= 30 ms: {verdict[search_p95 <= 30]}; "
        f"suggest p95 <= 15 ms: {verdict[suggest_p95 <= 15]}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1500, help="searches and suggests timed in process")
    parser.add_argument("--baseline", type=int, default=40, help="baseline scans (slow)")
    parser.add_argument("--http-requests", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--clients", type=int, default=16)
    asyncio.run(main(parser.parse_args()))
