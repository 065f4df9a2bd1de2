"""The real server (uvicorn in its own process) under slow clients and a database restart."""

import asyncio
import math
import os
import socket
import subprocess
import sys
import time

import asyncpg
import httpx
import mapbox_vector_tile
import pytest

from spatial_platform.embedded import EmbeddedCluster

pytestmark = pytest.mark.anyio
CHANGSHA = (112.9388, 28.2282)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(base: str, server: subprocess.Popen, log, seconds: float = 90) -> None:
    """Wait until the server answers /health with 200; fail with its log if it exits or never does."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert server.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.3)


@pytest.fixture(scope="module")
def live_server(test_dsn, boundaries_loaded, tmp_path_factory):
    """uvicorn serving the app on the test database, with short body timeouts."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": test_dsn,
        "SP_BODY_TIMEOUT": "4",
        "SP_BODY_IDLE_TIMEOUT": "3",
        "SP_PLACENAMES_RATE_LIMIT_ENABLED": "false",
    }
    log = tmp_path_factory.mktemp("server") / "uvicorn.log"
    command = [sys.executable, "-m", "uvicorn", "--factory", "spatial_platform.asgi:app", "--no-access-log"]
    with log.open("w") as out:
        server = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server, log)
        yield base
    finally:
        server.terminate()
        server.wait(20)


async def _trickle(port: int) -> bytes:
    """Send a request whose body comes one byte every 0.5 s; return the server's status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /v1/placenames HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )

    async def drip():
        while True:
            await asyncio.sleep(0.5)
            writer.write(b" ")
            await writer.drain()

    dripping = asyncio.create_task(drip())
    try:
        return await asyncio.wait_for(reader.readline(), 15)
    finally:
        dripping.cancel()
        writer.close()


async def test_ten_clients_trickling_bodies_leave_the_server_answering(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    tricklers = [asyncio.create_task(_trickle(port)) for _ in range(10)]
    await asyncio.sleep(1.0)
    async with httpx.AsyncClient(base_url=live_server, timeout=5) as http:
        for _ in range(3):
            started = time.monotonic()
            health = await http.get("/health")
            lookup = await http.get("/v1/divisions/110101")
            assert health.status_code == 200 and lookup.status_code == 200
            assert time.monotonic() - started < 1.0
            await asyncio.sleep(0.3)
    answers = await asyncio.gather(*tricklers)
    assert all(line.startswith(b"HTTP/1.1 408") for line in answers), answers


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def names_in(tile: bytes) -> set[str]:
    layers = mapbox_vector_tile.decode(tile)
    return {f["properties"]["name"] for f in layers.get("facilities", {}).get("features", [])}


async def test_a_database_restart_answers_503_then_tiles_follow_edits_again(
    live_server, db_settings, test_dsn
):
    assert db_settings.embedded, "the outage test stops and starts the embedded cluster"
    x, y = tile_of(*CHANGSHA, 12)
    tile = f"/tiles/facilities/12/{x}/{y}.mvt"
    name = "停电测试养老院 (test)"
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as http:
        assert name not in names_in((await http.get(tile)).content)
        cluster = EmbeddedCluster(db_settings)
        await asyncio.to_thread(cluster.stop)
        try:
            down = await http.get("/v1/divisions/110101")
            assert down.status_code == 503, down.text
            assert down.headers["content-type"] == "application/json" and down.headers["retry-after"]
            assert "database" in down.json()["detail"]
            assert (await http.get("/health")).status_code == 503
        finally:
            await asyncio.to_thread(cluster.start)
        deadline = time.monotonic() + 30
        while True:
            r = await http.get("/health")
            if r.status_code == 200 and r.json()["change_listener"] == "connected":
                break
            assert time.monotonic() < deadline, r.text
            await asyncio.sleep(0.3)
        assert (await http.get("/v1/divisions/110101")).status_code == 200
        assert name not in names_in((await http.get(tile)).content)  # cached again after the restart

        conn = await asyncpg.connect(test_dsn)
        try:
            await conn.execute(
                "INSERT INTO facilities (name, kind, geom, beds, divisions_at, source, synthetic)"
                " VALUES ($1, 'elderly_care_institution', ST_SetSRID(ST_MakePoint($2, $3), 4326), 50,"
                " current_date, 'test-outage', true)",
                name,
                *CHANGSHA,
            )
            deadline = time.monotonic() + 5
            while name not in names_in((await http.get(tile)).content):
                assert time.monotonic() < deadline, "the edit never reached the tiles: listener not re-armed"
                await asyncio.sleep(0.2)
        finally:
            await conn.execute("DELETE FROM facilities WHERE source = 'test-outage'")
            await conn.close()
