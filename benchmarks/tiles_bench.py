"""Benchmark: our vector tiles against tipg serving the same county table from the same PostGIS.

Run after the main command has loaded the data (or point DATABASE_URL / SP_DB_NAME at a
database with the boundaries loaded):  .venv/bin/python benchmarks/tiles_bench.py
tipg (PyPI) is installed into its own virtual environment under the data directory, so its
pinned dependencies never touch the project's. Both servers run with uvicorn (httptools,
uvloop) on loopback and are asked for the same tile list at zooms 3, 5, 7 and 9 by h2load (a
C client from nghttp2-client, installed by the set-up, so the client costs little of the
shared CPU): cold (fresh server, each tile once) and warm (the list again, repeated for 2 to 3
s). Targets (issue 5): >= 5x tipg at z3-z5 cold, >= 2x at z7-z9 cold, >= 2,000 tiles/s warm,
mean tile size <= 150 KiB at every zoom.
"""

import argparse
import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
from common import free_port

from spatial_platform.settings import DatabaseSettings
from tile_server.routes import CHINA_BOUNDS
from tile_server.seed import tiles_in_bounds

COUNTY_BOUNDS = [97.0, 21.0, 123.0, 42.0]  # mainland China's dense county belt
ZOOMS = (3, 5, 7, 9)
PER_ZOOM = 120
CONCURRENCY = 8


def tipg_python(data_dir: Path) -> Path:
    """Create (once) a separate venv with tipg and uvicorn; return its python."""
    venv = data_dir / "bench-tipg-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # The same uvicorn stack as ours (httptools, uvloop), so the servers differ only in the app.
    if subprocess.run([str(python), "-c", "import tipg, httptools, uvloop"], capture_output=True).returncode:
        packages = ["tipg", "uvicorn", "httptools", "uvloop"]
        subprocess.run([str(python), "-m", "pip", "install", "-qq", *packages], check=True)
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


def h2load(urls: list[str], requests: int) -> tuple[float, float]:
    """Ask for ``requests`` tiles cycling over ``urls``; return tiles/s and mean body KiB.

    h2load walks its URI list from the start in every client, so each of the CONCURRENCY
    clients is its own h2load process with its own share of the list: together they ask for
    every tile, each once per pass.
    """
    shares = [urls[i::CONCURRENCY] for i in range(min(CONCURRENCY, len(urls)))]
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        t0 = time.perf_counter()
        for i, share in enumerate(shares):
            listing = Path(tmp) / f"{i}.txt"
            listing.write_text("\n".join(share) + "\n")
            n = len(share) * requests // len(urls)
            cmd = ["h2load", "--h1", "-n", str(n), "-c", "1", "-i", str(listing)]
            runs.append((n, subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)))
        outs = [(n, proc.communicate()[0]) for n, proc in runs]
        seconds = time.perf_counter() - t0
    data = 0
    for n, out in outs:
        done = re.search(r"(\d+) succeeded", out)
        codes = re.search(r"status codes: (\d+) 2xx", out)
        if not done or int(done[1]) != n or int(codes[1]) != n:
            raise RuntimeError(f"h2load: not every request succeeded:\n{out}")
        data += int(re.search(r"\((\d+)\) data", out)[1])
    total = sum(n for n, _ in outs)
    return total / seconds, data / total / 1024


def measure(urls: list[str]) -> tuple[float, float, float]:
    """Cold: each tile once on a fresh server; warm: the list again, repeated for at least 2 s."""
    cold, size = h2load(urls, len(urls))
    warm, _ = h2load(urls, len(urls))
    for _ in range(3):  # a short run is dominated by starting h2load: lengthen it until it lasts
        requests = len(urls) * max(1, int(3 * warm / len(urls)))
        warm, _ = h2load(urls, requests)
        if requests / warm >= 2:
            break
    return cold, warm, size


def tile_lists(seed: int = 3) -> dict[int, list[tuple[int, int, int]]]:
    """Pick the same sample of tiles over the county belt for each zoom."""
    rng = random.Random(seed)
    out = {}
    for z in ZOOMS:
        # Low zooms cover all of China (the belt holds only a few tiles there); higher zooms the belt.
        bounds = CHINA_BOUNDS if z <= 5 else COUNTY_BOUNDS
        tiles = list(tiles_in_bounds(bounds, range(z, z + 1)))
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
            h2load([template.format(z=0, x=0, y=0)], 1)
            results[name] = {
                z: measure([template.format(z=a, x=b, y=c) for a, b, c in zxy]) for z, zxy in tiles.items()
            }
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(
        f"{'zoom':>4} {'tiles':>5} | {'ours cold':>10} {'ours warm':>10} {'KiB':>6} | "
        f"{'tipg cold':>10} {'tipg warm':>10} {'KiB':>6} | "
        f"{'cold ratio':>10} {'target':>6} {'warm ratio':>10}"
    )
    for z in ZOOMS:
        oc, ow, ok = results["ours"][z]
        tc, tw, tk = results["tipg"][z]
        target = 5 if z <= 5 else 2
        print(
            f"{z:>4} {len(tiles[z]):>5} | {oc:>10.1f} {ow:>10.1f} {ok:>6.1f} | {tc:>10.1f} {tw:>10.1f} "
            f"{tk:>6.1f} | {oc / tc:>9.1f}x {target:>5}x {ow / tw:>9.1f}x"
        )
    print(
        f"warm target 2,000 tiles/s; mean tile size target <= 150 KiB; {CONCURRENCY} requests in flight "
        "(h2load, HTTP/1.1, identity encoding)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    asyncio.run(run(parser.parse_args()))
