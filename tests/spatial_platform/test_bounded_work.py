"""Bounded work per request: heavy-request limits, body limits, pool and statement timeouts."""

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from spatial_platform.app import create_app
from spatial_platform.guards import BodyGuard, HeavyGuard, heavy_routes
from spatial_platform.settings import Settings

pytestmark = pytest.mark.anyio


def guarded_app(**limits) -> tuple[Starlette, asyncio.Event]:
    release = asyncio.Event()

    async def slow(request):
        await request.body()
        await release.wait()
        return JSONResponse({"done": True})

    async def quick(request):
        return JSONResponse({"ok": True})

    inner = Starlette(routes=[Route("/heavy", slow, methods=["POST"]), Route("/quick", quick)])
    inner.routes[0].openapi_extra = {"x-heavy": True}
    guarded = BodyGuard(inner, max_bytes=limits.pop("max_bytes", 1000), timeout=5, idle_timeout=2)
    return HeavyGuard(guarded, lambda: heavy_routes(inner), **limits), release


async def test_heavy_requests_over_the_limits_get_503_at_once_and_the_rest_still_answers():
    app, release = guarded_app(max_concurrent=3, max_per_client=2)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

        def post(token):
            return http.post("/heavy", content=b"{}", headers={"Authorization": f"Bearer {token}"})

        running = [asyncio.create_task(post("a")), asyncio.create_task(post("a"))]
        await asyncio.sleep(0.05)
        third = await post("a")
        assert third.status_code == 503 and third.headers["retry-after"] == "5"
        assert "this client" in third.json()["detail"]
        running.append(asyncio.create_task(post("b")))
        await asyncio.sleep(0.05)
        over = await post("c")
        assert over.status_code == 503 and "the server" in over.json()["detail"]
        assert (await http.get("/quick")).status_code == 200  # light requests are not counted
        release.set()
        assert [r.status_code for r in await asyncio.gather(*running)] == [200, 200, 200]
        assert (await post("c")).status_code == 200  # slots are given back


async def test_a_body_over_the_limit_gets_413_before_the_app_reads_it():
    app, release = guarded_app(max_concurrent=3, max_per_client=2, max_bytes=10)
    release.set()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        r = await http.post("/heavy", content=b"x" * 11)
        assert r.status_code == 413 and r.json()["field"] == "body"

        async def chunks():  # no Content-Length: counted while streaming
            for _ in range(4):
                yield b"xxxx"

        r = await http.post("/heavy", content=chunks())
        assert r.status_code == 413
        assert (await http.post("/heavy", content=b"x" * 10)).status_code == 200


async def test_every_heavy_operation_is_flagged_in_the_openapi_document(db_settings):
    spec = create_app(Settings.from_env(database=db_settings)).openapi()
    heavy = {(m, p) for p, item in spec["paths"].items() for m, op in item.items() if op.get("x-heavy")}
    assert heavy == {
        ("post", "/v1/divisions/resolve"),
        ("post", "/v1/divisions/audit"),
        ("post", "/v1/reverse"),
        ("post", "/v1/geocode"),
        ("get", "/v1/placenames/export"),
        ("get", "/v1/divisions/export"),
        ("post", "/v1/placenames/import"),
        ("post", "/v1/facilities/import"),
        ("post", "/v1/populations/import"),
        ("post", "/v1/planning/sites"),
        ("get", "/v1/planning/map"),
    }


async def test_no_free_connection_within_the_timeout_answers_503(db_settings, test_db_name, loaded):
    settings = db_settings.model_copy(
        update={"db_name": test_db_name, "pool_min": 1, "pool_max": 1, "acquire_timeout": 0.3}
    )
    app = create_app(Settings.from_env(database=settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            # the history of a code is read from the database (a lookup may come from memory)
            assert (await http.get("/v1/divisions/110101/history")).status_code == 200
            async with app.state.pool.acquire():
                r = await http.get("/v1/divisions/110101/history")
                assert r.status_code == 503 and r.headers["retry-after"]
                assert "busy" in r.json()["detail"]
                health = await http.get("/health")
                assert health.status_code == 503
            assert (await http.get("/health")).json()["status"] == "ok"


async def test_a_statement_past_the_timeout_answers_503_and_the_server_goes_on(
    db_settings, test_db_name, loaded
):
    settings = db_settings.model_copy(update={"db_name": test_db_name, "statement_timeout_ms": 1})
    app = create_app(Settings.from_env(database=settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            r = await http.get("/v1/divisions", params={"level": "county", "at": "1990"})
            assert r.status_code == 503 and "timeout" in r.json()["detail"]
            assert r.headers["content-type"] == "application/json"
