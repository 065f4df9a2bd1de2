"""/v1/subscriptions on a bare FastAPI app, on the test's (rolled back) connection."""

import httpx
import pytest
from fastapi import FastAPI

from boundaries.webhooks.routes import SubscriptionRouter
from placenames import auth
from placenames.routes import Authorizer
from spatial_platform.errors import add_exception_handlers
from tests.boundaries.webhooks.conftest import SECRET, append

pytestmark = pytest.mark.anyio


@pytest.fixture
async def api(conn):
    async def get_connection():
        yield conn

    app = FastAPI()
    add_exception_handlers(app)
    app.include_router(SubscriptionRouter(get_connection, Authorizer(get_connection)).router())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


@pytest.fixture
async def headers(conn):
    out = {}
    for name, role in (("hooks_ada", "admin"), ("hooks_ed", "editor"), ("hooks_rev", "reviewer")):
        await auth.add_user(conn, name, role)
        out[role] = {"Authorization": f"Bearer {await auth.new_token(conn, name)}"}
    return out


def body(url="https://receiver.example.org/hooks", secret=SECRET, **extra):
    return {"url": url, "secret": secret, **extra}


async def test_only_admins_may_call_any_endpoint(api, headers):
    calls = [
        ("POST", "/v1/subscriptions", body()),
        ("GET", "/v1/subscriptions", None),
        ("GET", "/v1/subscriptions/1", None),
        ("DELETE", "/v1/subscriptions/1", None),
        ("GET", "/v1/subscriptions/1/deliveries", None),
    ]
    for method, url, payload in calls:
        r = await api.request(method, url, json=payload)
        assert r.status_code == 401 and "token" in r.json()["detail"], (method, url)
        bad = await api.request(method, url, json=payload, headers={"Authorization": "Bearer spn_nope"})
        assert bad.status_code == 401
        for role in ("editor", "reviewer"):
            r = await api.request(method, url, json=payload, headers=headers[role])
            assert r.status_code == 403 and "admin" in r.json()["detail"], (method, url, role)


async def test_an_admin_registers_a_receiver_and_the_secret_is_never_returned(api, conn, headers):
    r = await api.post("/v1/subscriptions", json=body(description="区划 sync"), headers=headers["admin"])
    assert r.status_code == 201, r.text
    sub = r.json()
    assert r.headers["location"] == f"/v1/subscriptions/{sub['id']}"
    assert sub["secret_set"] is True and "secret" not in sub and SECRET not in r.text
    assert (sub["url"], sub["description"], sub["active"]) == (
        "https://receiver.example.org/hooks",
        "区划 sync",
        True,
    )
    assert sub["created_by"] == "hooks_ada"
    assert sub["after_seq"] == await conn.fetchval("SELECT coalesce(max(seq), 0) FROM change_feed")
    for url in ("/v1/subscriptions", f"/v1/subscriptions/{sub['id']}"):
        r = await api.get(url, headers=headers["admin"])
        assert r.status_code == 200 and SECRET not in r.text
    listed = (await api.get("/v1/subscriptions", headers=headers["admin"])).json()
    assert sub["id"] in [s["id"] for s in listed["subscriptions"]] and listed["count"] >= 1
    last = await api.get(
        "/v1/subscriptions", params={"offset": listed["total"] - 1}, headers=headers["admin"]
    )
    assert last.json()["subscriptions"] == listed["subscriptions"][-1:] and "link" not in last.headers
    audit = await conn.fetch(
        "SELECT action, detail->>'url' AS url FROM placename_audit WHERE detail->>'subscription' = $1",
        str(sub["id"]),
    )
    assert [tuple(a) for a in audit] == [("webhook.subscribe", sub["url"])]
    assert SECRET not in str(await conn.fetchval("SELECT detail::text FROM placename_audit ORDER BY id DESC"))


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"secret": SECRET}, "url"),
        (body(url="ftp://receiver.example.org/"), "url"),
        (body(url="http://"), "url"),
        (body(url="receiver.example.org/hooks"), "url"),
        (body(url="https://host:99999/"), "url"),
        (body(url=42), "url"),
        (body(secret="short"), "secret"),
        ({"url": "https://receiver.example.org/"}, "secret"),
        (body(secret=12345678901234567), "secret"),
        (body(after_seq=-1), "after_seq"),
        (body(after_seq=10**12), "after_seq"),
        (body(after_seq="0"), "after_seq"),
        (body(description=["x"]), "description"),
    ],
)
async def test_bad_input_is_422_naming_the_field(api, headers, payload, field):
    r = await api.post("/v1/subscriptions", json=payload, headers=headers["admin"])
    assert r.status_code == 422 and r.json()["field"] == field, r.text


async def test_a_body_that_is_not_json_is_422(api, headers):
    r = await api.post("/v1/subscriptions", content=b"url=x", headers=headers["admin"])
    assert r.status_code == 422 and r.json()["field"] == "body"


async def test_unknown_ids_are_404(api, headers):
    for method, url in (("GET", ""), ("DELETE", ""), ("GET", "/deliveries")):
        r = await api.request(method, f"/v1/subscriptions/999999999{url}", headers=headers["admin"])
        assert r.status_code == 404 and "999999999" in r.json()["detail"]


async def test_the_delivery_log_shows_each_delivery_with_its_attempts(
    api, conn, headers, receiver, worker, clock
):
    receiver.statuses = [500]
    r = await api.post("/v1/subscriptions", json=body(url=receiver.url), headers=headers["admin"])
    sub = r.json()
    first, second = await append(conn), await append(conn)
    await worker.run_once(conn)
    clock.advance(seconds=31)
    await worker.run_once(conn)
    await worker.run_once(conn)
    log = (await api.get(f"/v1/subscriptions/{sub['id']}/deliveries", headers=headers["admin"])).json()
    assert log["subscription_id"] == sub["id"] and log["count"] == 2
    newest, oldest = log["deliveries"]
    assert (newest["seq"], newest["state"], newest["attempts"]) == (second, "delivered", 1)
    assert (oldest["seq"], oldest["state"], oldest["attempts"], oldest["last_status"]) == (
        first,
        "delivered",
        2,
        200,
    )
    assert [(a["attempt"], a["status"]) for a in oldest["attempt_log"]] == [(1, 500), (2, 200)]
    assert oldest["attempt_log"][0]["error"].startswith("HTTP 500")
    assert oldest["delivered_at"] and oldest["next_attempt_at"] and oldest["last_error"] is None
    only = await api.get(
        f"/v1/subscriptions/{sub['id']}/deliveries",
        params={"state": "pending", "limit": 5},
        headers=headers["admin"],
    )
    assert only.json()["count"] == 0
    one = await api.get(f"/v1/subscriptions/{sub['id']}/deliveries?limit=1", headers=headers["admin"])
    assert [d["seq"] for d in one.json()["deliveries"]] == [second]
    bad = await api.get(f"/v1/subscriptions/{sub['id']}/deliveries?state=lost", headers=headers["admin"])
    assert bad.status_code == 422 and bad.json()["field"] == "state"
    got = (await api.get(f"/v1/subscriptions/{sub['id']}", headers=headers["admin"])).json()
    assert (got["pending"], got["delivered"], got["failed"]) == (0, 2, 0)


async def test_deleting_deactivates_and_stops_pending_deliveries(api, conn, headers, receiver, worker):
    sub = (await api.post("/v1/subscriptions", json=body(url=receiver.url), headers=headers["admin"])).json()
    await append(conn)
    r = await api.delete(f"/v1/subscriptions/{sub['id']}", headers=headers["admin"])
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["failed"] == 1
    again = await api.delete(f"/v1/subscriptions/{sub['id']}", headers=headers["admin"])
    assert again.status_code == 200 and again.json()["active"] is False
    assert await worker.run_once(conn) == 0 and receiver.requests == []
    log = (await api.get(f"/v1/subscriptions/{sub['id']}/deliveries", headers=headers["admin"])).json()
    assert [(d["state"], d["last_error"]) for d in log["deliveries"]] == [
        ("failed", "subscription deactivated")
    ]
    inactive = (await api.get("/v1/subscriptions?active=false", headers=headers["admin"])).json()
    assert sub["id"] in [s["id"] for s in inactive["subscriptions"]]
    active = (await api.get("/v1/subscriptions?active=true", headers=headers["admin"])).json()
    assert sub["id"] not in [s["id"] for s in active["subscriptions"]]
    actions = await conn.fetch(
        "SELECT action FROM placename_audit WHERE detail->>'subscription' = $1 ORDER BY id", str(sub["id"])
    )
    assert [a["action"] for a in actions] == ["webhook.subscribe", "webhook.deactivate"]


async def test_a_backlog_is_queued_when_asked_with_after_seq(api, conn, headers):
    await append(conn)
    head = await append(conn)
    r = await api.post("/v1/subscriptions", json=body(after_seq=head - 1), headers=headers["admin"])
    assert r.status_code == 201 and r.json()["pending"] == 1


async def test_the_openapi_document_names_the_roles_and_the_signature(api):
    spec = (await api.get("/openapi.json")).json()
    writes = [
        op
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
    ]
    assert len(writes) == 2 and all(op["x-roles"] == ["admin"] for op in writes)
    post = spec["paths"]["/v1/subscriptions"]["post"]
    assert "X-Spatial-Platform-Signature" in post["description"] and "HMAC-SHA256" in post["description"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"url", "secret"}
