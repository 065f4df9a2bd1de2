"""``spatial-platform serve --workers 2``: two processes answer, and count one client's requests once."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from spatial_platform.db import run_on
from tests.spatial_platform.test_live_server import free_port, wait_until_healthy


def test_two_workers_share_one_rate_limit(test_dsn, seeded, tmp_path: Path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": test_dsn, "SP_PLACENAMES_RATE_PER_SECOND": "0.1",
           "SP_PLACENAMES_RATE_BURST": "8"}  # fmt: skip
    executable = Path(sys.executable).with_name("spatial-platform")
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [str(executable), "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server, tmp_path / "serve.log")
        workers = subprocess.run(
            ["ps", "--ppid", str(server.pid), "-o", "pid="], capture_output=True, text=True
        )
        assert len(workers.stdout.split()) >= 2  # the workers (and uvicorn's own helpers)
        with httpx.Client(base_url=base) as http:  # new connections: both workers take them
            codes = [
                httpx.get(f"{base}/v1/placenames/suggest", params={"q": "长沙"}).status_code
                for _ in range(20)
            ]
        assert codes.count(200) == 8 and codes[8:] == [429] * 12, codes
        assert http is not None
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        log.close()
        run_on(test_dsn, lambda conn: conn.execute("DELETE FROM rate_limits"))  # committed by the server
