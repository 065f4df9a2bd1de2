"""Benchmark: our vector tiles against tipg serving the same county table from the same PostGIS.

Run after the main command has loaded the data (or point DATABASE_URL / SP_DB_NAME at a
database with the boundaries loaded):  .venv/bin/python benchmarks/tiles_bench.py
tipg (PyPI) is installed into its own virtual environment under the data directory, so its
pinned dependencies never touch the project's. Both servers run with uvicorn on loopback and
are asked for the same tile list at zooms 3, 5, 7 and 9: cold (fresh server, no tile cache) and
warm (the same list again). Targets (issue 5): >= 5x tipg at z3-z5 cold, >= 2x at z7-z9 cold,
>= 2,000 tiles/s warm, mean tile size <= 150 KiB at every zoom.
"""

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx

from spatial_platform.settings import DatabaseSettings
from tile_server.seed import tiles_in_bounds

COUNTY_BOUNDS = [97.0, 21.0, 123.0, 42.0]  # mainland China's dense county belt
ZOOMS = (3, 5, 7, 9)
PER_ZOOM = 120
CONCURRENCY = 8


def free_port() -> int:
    """Return a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tipg_python(data_dir: Path) -> Path:
    """Create (once) a separate venv with tipg and uvicorn; return its python."""
    venv = data_dir / "bench-tipg-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-qq", "tipg", "uvicorn"], check=True)
    return python


async def prepare_table(dsn: str) -> int:
    """Copy today's county polygons into bench.counties, the table both servers serve."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
        await conn.execute("DROP TABLE IF EXISTS bench.counties")
        await conn.execute(
            """
            CREATE TABLE bench.counties AS
            SELECT v.code, v.name, g.geom::geometry(MultiPolygon, 4326) AS geom
            FROM division_geometries g JOIN division_versions v ON v.id = g.version_id
            WHERE g.valid @> current_date AND v.valid @> current_date AND v.level = 'county'
            """
        )
        await conn.execute("CREATE INDEX ON bench.counties USING gist (geom)")
        await conn.execute("ANALYZE bench.counties")
        return await conn.fetchval("SELECT count(*) FROM bench.counties")
    finally:
        await conn.close()


def start(cmd: list[str], env: dict, port: int) -> subprocess.Popen:
    """Start a server process and wait until its port answers."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-2000:]) from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server on {port} did not start")


async def fetch_all(urls: list[str]) -> tuple[float, list[int]]:
    """Fetch every URL with a bounded number in flight; return seconds and body sizes."""
    sizes: list[int] = []
    sem = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:

        async def one(url: str) -> None:
            async with sem:
                r = await http.get(url, headers={"Accept-Encoding": "identity"})
                r.raise_for_status()
                sizes.append(len(r.content))

        t0 = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - t0, sizes


def tile_lists(seed: int = 3) -> dict[int, list[tuple[int, int, int]]]:
    """Pick the same sample of tiles over the county belt for each zoom."""
    rng = random.Random(seed)
    out = {}
    for z in ZOOMS:
        tiles = list(tiles_in_bounds(COUNTY_BOUNDS, range(z, z + 1)))
        out[z] = tiles if len(tiles) <= PER_ZOOM else rng.sample(tiles, PER_ZOOM)
    return out


async def run(args: argparse.Namespace) -> None:
    """Measure both servers and print figures, ratios and targets."""
    settings = DatabaseSettings()
    dsn = settings.dsn()
    counties = await prepare_table(dsn)
    print(f"bench.counties: {counties} county polygons as of today")
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    tiles = tile_lists()
    ours_port, tipg_port = free_port(), free_port()
    env = {**os.environ, "SP_PORT": str(ours_port)}
    tipg_env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "TIPG_DB_SCHEMAS": '["bench"]',
        "TIPG_DB_TABLES": '["bench.counties"]',
        "TIPG_MAX_FEATURES_PER_TILE": "100000",
    }
    servers = {
        "ours": (
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "spatial_platform.asgi:app",
                "--port",
                str(ours_port),
                "--log-level",
                "warning",
            ],
            env,
            ours_port,
            f"http://127.0.0.1:{ours_port}/tiles/counties/{{z}}/{{x}}/{{y}}.mvt",
        ),
        "tipg": (
            [
                str(tipg_python(data_dir)),
                "-m",
                "uvicorn",
                "tipg.main:app",
                "--port",
                str(tipg_port),
                "--log-level",
                "warning",
            ],
            tipg_env,
            tipg_port,
            f"http://127.0.0.1:{tipg_port}/collections/bench.counties/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}",
        ),
    }
    results: dict[str, dict] = {}
    for name, (cmd, server_env, port, template) in servers.items():
        proc = start(cmd, server_env, port)
        try:
            # One request outside the measured list opens connections and loads lazy state.
            await fetch_all([template.format(z=0, x=0, y=0)])
            figures = {}
            for z, zxy in tiles.items():
                urls = [template.format(z=a, x=b, y=c) for a, b, c in zxy]
                cold_s, sizes = await fetch_all(urls)
                warm_s, _ = await fetch_all(urls)
                figures[z] = (len(urls) / cold_s, len(urls) / warm_s, sum(sizes) / len(sizes) / 1024)
            results[name] = figures
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(
        f"{'zoom':>4} {'tiles':>5} | {'ours cold':>10} {'ours warm':>10} {'KiB':>6} | "
        f"{'tipg cold':>10} {'tipg warm':>10} {'KiB':>6} | {'cold ratio':>10} {'target':>6}"
    )
    for z in ZOOMS:
        oc, ow, ok = results["ours"][z]
        tc, tw, tk = results["tipg"][z]
        target = 5 if z <= 5 else 2
        print(
            f"{z:>4} {len(tiles[z]):>5} | {oc:>10.1f} {ow:>10.1f} {ok:>6.1f} | {tc:>10.1f} {tw:>10.1f} "
            f"{tk:>6.1f} | {oc / tc:>9.1f}x {target:>5}x"
        )
    print(f"warm target 2,000 tiles/s; mean tile size target <= 150 KiB; {CONCURRENCY} requests in flight")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    asyncio.run(run(parser.parse_args()))
