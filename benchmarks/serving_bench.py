"""Benchmark: the public hot paths over HTTP, one process against every core and behind nginx.

Run (once `scripts/run.sh` has loaded the data; nothing else running):
    .venv/bin/python benchmarks/serving_bench.py [--workers 2] [--requests 20000]

Starts, on the loaded database: a constant-JSON raw ASGI app on uvicorn (the ceiling of the
stack), `spatial-platform serve --workers 1` (the single-process server), `serve --workers N`,
and two single-worker instances behind Debian's nginx with `deploy/nginx.conf`; h2load (16
clients, from its own process) asks each the same URLs. Prints requests/s, mean and max latency
and each figure as a ratio to the single process and to the constant app, then the resident
memory of all workers together. Targets (issue 15): reverse >= 5,000/s (p99 <= 20 ms), division
lookup >= 5,000/s, search >= 1,000/s, suggest >= 2,000/s, warm tiles >= 10,000/s; <= 4 GB for
2 workers.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from common import free_port

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 16
URLS = {
    "reverse": "/v1/reverse?lon=112.93&lat=28.23",
    "division": "/v1/divisions/430104",
    "search": "/v1/placenames/search?q=changsha",
    "suggest": "/v1/placenames/suggest?q=yuel",
    "geocode": "/v1/geocode?q=" + quote("湖南省长沙市岳麓区麓山南路"),
    "tile": "/tiles/divisions/5/25/13.mvt",
}
CONSTANT = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})
"""


def distinct_ports(n: int) -> list[int]:
    """Return ``n`` free loopback ports, all different (held open together while chosen)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_for(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    out = log.open("w")
    return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    with __import__("contextlib").suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(30)


def h2load(url: str, requests: int) -> tuple[float, float, float]:
    """Return (requests/s, mean ms, max ms) of ``requests`` GETs by CLIENTS clients."""
    out = subprocess.run(["h2load", "--h1", "-n", str(requests), "-c", str(CLIENTS), "-t", "1", url],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    ok = re.search(r"status codes: (\d+) 2xx", out)
    if not ok or int(ok[1]) != requests:
        raise RuntimeError(f"h2load: not every request succeeded for {url}:\n{out}")
    rate = float(re.search(r"([\d.]+) req/s", out)[1])
    line = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)", out)

    def ms(text: str) -> float:
        number = re.match(r"[\d.]+", text)[0]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[text[len(number) :]]

    return rate, ms(line[3]), ms(line[2])


def rss_mb(process: subprocess.Popen) -> float:
    """Resident memory of a process group (the server and its workers), in MB."""
    pids = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except FileNotFoundError:
            pass
    return total / 1e6


def measure(base: str, requests: int) -> dict:
    for path in URLS.values():  # warm every cache and engine first, on every worker
        for _ in range(CLIENTS * 4):
            httpx.get(base + path, timeout=60)
    return {name: h2load(base + path, requests) for name, path in URLS.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    env = {**os.environ, "SP_PLACENAMES_RATE_LIMIT_ENABLED": "false", "SP_TRUSTED_PROXIES": "127.0.0.1"}
    serve = [str(Path(sys.executable).with_name("spatial-platform")), "serve"]
    results, memory = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "constant.py").write_text(CONSTANT)
        port = free_port()
        uvicorn = [sys.executable, "-m", "uvicorn", "--app-dir", str(tmp), "constant:app", "--no-access-log"]
        constant = start([*uvicorn, "--port", str(port), "--log-level", "warning"], env, tmp / "c.log")
        try:
            wait_for(f"http://127.0.0.1:{port}/", constant)
            results["constant"] = {name: h2load(f"http://127.0.0.1:{port}/", args.requests) for name in URLS}
        finally:
            stop(constant)
        for label, workers in (("1 process", 1), (f"{args.workers} workers", args.workers)):
            port = free_port()
            server = start(
                [*serve, "--port", str(port), "--workers", str(workers)], env, tmp / f"{workers}.log"
            )
            try:
                wait_for(f"http://127.0.0.1:{port}/health", server)
                results[label] = measure(f"http://127.0.0.1:{port}", args.requests)
                memory[label] = rss_mb(server)
            finally:
                stop(server)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        ports = [free_port(), free_port()]
        instances = [
            start([*serve, "--port", str(p), "--workers", "1"], env, tmp / f"i{p}.log") for p in ports
        ]
        front = free_port()
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        upstreams = "\n".join(f"        server 127.0.0.1:{p};" for p in ports)
        conf = (
            conf.replace("@PORT@", str(front)).replace("@UPSTREAMS@", upstreams).replace("@PREFIX@", str(tmp))
        )
        (tmp / "nginx.conf").write_text(conf)
        proxy = start([nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"], env,
                      tmp / "nginx.log")  # fmt: skip
        try:
            for p, process in zip(ports, instances, strict=True):
                wait_for(f"http://127.0.0.1:{p}/health", process)
            wait_for(f"http://127.0.0.1:{front}/health", proxy)
            results["nginx, 2 instances"] = measure(f"http://127.0.0.1:{front}", args.requests)
            memory["nginx, 2 instances"] = sum(rss_mb(i) for i in instances)
        finally:
            stop(proxy)
            for process in instances:
                stop(process)
    single = results["1 process"]
    print(f"{'':20}" + "".join(f"{name:>30}" for name in URLS))
    for label, row in results.items():
        cells = []
        for name, (rate, mean, worst) in row.items():
            ratio = (
                ""
                if label == "constant"
                else f" {rate / single[name][0]:.1f}x/{rate / results['constant'][name][0]:.2f}c"
            )
            cells.append(f"{rate:8,.0f}/s {mean:5.1f}|{worst:5.0f}ms{ratio}")
        print(f"{label:20}" + "".join(f"{c:>30}" for c in cells))
    print("(requests/s, mean|max ms; ratio to the single process (x) and to the constant app (c))")
    for label, mb in memory.items():
        print(f"resident memory, {label}: {mb:,.0f} MB")


if __name__ == "__main__":
    main()
