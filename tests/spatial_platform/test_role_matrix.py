"""Every write operation in the OpenAPI document against no token, a bad token and each role.

Each operation documents who may call it in ``x-roles`` (``anyone`` for read-only POSTs such as
batch lookups). The expected cell: no token → 401 and a bad token → 401 unless anyone may call
it (a bad token is still refused); a role outside the list → 403; a role in the list gets past
the check (any answer but 401/403, never a 5xx). Requests run in a savepoint that is rolled back.
"""

import pytest

from placenames.models import ROLES
from spatial_platform.app import create_app
from spatial_platform.settings import Settings
from tests.http import app_client

pytestmark = pytest.mark.anyio

WRITE_METHODS = ("post", "put", "patch", "delete")
# The only writes anyone may send: they read, never change, the data.
ANYONE = {
    ("post", "/v1/divisions/resolve"),
    ("post", "/v1/divisions/audit"),
    ("post", "/v1/reverse"),
    ("post", "/v1/geocode"),
    ("post", "/v1/planning/sites"),
}
PATH_VALUES = {
    "code": "430104", "record_id": "1", "proposal_id": "1", "change_id": "1", "subscription_id": "1",
}  # fmt: skip
CALLERS = ("none", "bad", *ROLES)
ROLE_USERS = {"public": "pat", "editor": "alice", "reviewer": "bob", "admin": "ada", "service": "sam"}


def expected(roles: list[str], caller: str) -> str:
    if caller == "none":
        return "allowed" if "anyone" in roles else "401"
    if caller == "bad":
        return "401"
    return "allowed" if "anyone" in roles or caller in roles else "403"


@pytest.fixture
async def matrix_app(conn, db_settings, tokens):
    app = create_app(Settings.from_env(database=db_settings))
    async with app_client(app, conn) as http:
        yield http


async def test_every_write_answers_each_caller_as_documented(matrix_app, conn, as_user):
    http = matrix_app
    spec = (await http.get("/openapi.json")).json()
    writes = [
        (method, path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in WRITE_METHODS
    ]
    assert len(writes) >= 15
    undocumented = [f"{m.upper()} {p}" for m, p, op in writes if not op.get("x-roles")]
    assert not undocumented, f"writes without x-roles: {undocumented}"
    public = {(m, p) for m, p, op in writes if "anyone" in op["x-roles"]}
    assert public == ANYONE, "only read-only POSTs may be open to anyone"

    wrong = []
    for method, path, op in writes:
        url = path.format(**PATH_VALUES)
        for caller in CALLERS:
            if caller == "none":
                headers = {}
            elif caller == "bad":
                headers = {"Authorization": "Bearer spn_not-a-real-token"}
            else:
                headers = as_user(ROLE_USERS[caller])
            savepoint = conn.transaction()
            await savepoint.start()
            try:
                r = await http.request(method.upper(), url, json={}, headers=headers)
            finally:
                await savepoint.rollback()
            want = expected(op["x-roles"], caller)
            got = r.status_code
            ok = got not in (401, 403) and got < 500 if want == "allowed" else got == int(want)
            if not ok:
                wrong.append(f"{method.upper()} {path} as {caller}: {got} (documented {want}) {r.text[:120]}")
    assert not wrong, "\n".join(wrong)


async def test_the_slow_solver_engines_need_a_token(matrix_app, as_user):
    http = matrix_app
    body = {"division": "430100", "method": "mclp", "p": 1, "engine": "spopt-cbc"}
    r = await http.post("/v1/planning/sites", json=body)
    assert r.status_code == 401 and "token" in r.json()["detail"]
    r = await http.post("/v1/planning/sites", json={**body, "division": "bad"}, headers=as_user("pat"))
    assert r.status_code == 422
