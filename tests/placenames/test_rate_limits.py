"""Rate limits shared by every worker and instance (PostgreSQL or Redis), and service clients' quotas."""

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest

from placenames import auth
from spatial_platform.app import create_app
from spatial_platform.settings import PlacenamesSettings, ServerSettings, Settings
from tests.http import app_client

pytestmark = pytest.mark.anyio

LIMITED = {"rate_limit_enabled": True, "rate_per_second": 0.2, "rate_burst": 3}


def instance(db_settings, store="postgres", redis_url=None, **placenames):
    """One app, as a separate server process would build it: nothing shared in memory."""
    return create_app(
        Settings.from_env(
            database=db_settings,
            placenames=PlacenamesSettings(**(LIMITED | placenames)),
            server=ServerSettings(rate_limit_store=store, redis_url=redis_url),
        )
    )


async def suggest(app, conn, client="203.0.113.7", headers=None):
    async with app_client(app, conn, client=(client, 5000)) as http:
        return await http.get("/v1/placenames/suggest", params={"q": "长沙"}, headers=headers or {})


async def test_two_instances_on_one_database_count_the_same_requests(conn, seeded, db_settings):
    first, second = instance(db_settings), instance(db_settings)
    codes = [(await suggest(app, conn)).status_code for app in (first, second, first, second)]
    assert codes == [200, 200, 200, 429]
    answer = await suggest(first, conn, client="203.0.113.8")
    assert answer.status_code == 200
    assert answer.headers["RateLimit-Limit"] == "3" and answer.headers["RateLimit-Remaining"] == "2"
    refused = await suggest(second, conn)
    assert refused.headers["RateLimit-Remaining"] == "0" and int(refused.headers["Retry-After"]) >= 1


@contextmanager
def redis_server(tmp_path):
    """A real redis-server (Debian's) on a free port, in a temporary directory."""
    executable = shutil.which("redis-server")
    assert executable, "redis-server is missing: scripts/setup.sh installs Debian's redis-server"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


async def test_with_redis_two_instances_share_the_limit_there(conn, seeded, db_settings, tmp_path):
    with redis_server(tmp_path) as url:
        first, second = instance(db_settings, "redis", url), instance(db_settings, "redis", url)
        codes = [(await suggest(app, conn)).status_code for app in (first, second, first, second)]
        assert codes == [200, 200, 200, 429]
        assert await conn.fetchval("SELECT count(*) FROM rate_limits") == 0  # counted in Redis only
        for app in (first, second):
            await app.state.limiter.store.close()


async def test_a_service_client_has_its_own_quota_and_without_one_no_limit(conn, seeded, db_settings):
    await auth.add_user(conn, "pension-system", "service", rate=1.0)
    await auth.add_user(conn, "open-system", "service")
    quota = {"Authorization": f"Bearer {(await auth.issue_token(conn, 'pension-system')).token}"}
    unlimited = {"Authorization": f"Bearer {(await auth.issue_token(conn, 'open-system')).token}"}
    app = instance(db_settings)
    assert [(await suggest(app, conn)).status_code for _ in range(4)][-1] == 429  # the address is spent
    served = await suggest(app, conn, headers=quota)  # same address, its own bucket
    assert served.status_code == 200 and served.headers["RateLimit-Limit"] == "15"
    codes = [(await suggest(app, conn, headers=quota)).status_code for _ in range(20)]
    assert 200 in codes and codes[-1] == 429
    free = [await suggest(app, conn, headers=unlimited) for _ in range(30)]
    assert all(r.status_code == 200 and "RateLimit-Limit" not in r.headers for r in free)


async def test_a_quota_is_only_for_service_clients(conn, seeded):
    with pytest.raises(Exception, match="role service"):
        await auth.add_user(conn, "someone", "editor", rate=5.0)
