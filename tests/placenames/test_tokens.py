"""Token lifecycle from the command line and over HTTP: list, revoke, expiry, rotation, audit."""

import anyio
import pytest
from typer.testing import CliRunner

from placenames import auth
from spatial_platform.cli import app
from spatial_platform.db import run_on
from tests.placenames.test_editing import YUELUSHAN

pytestmark = pytest.mark.anyio
runner = CliRunner()


@pytest.fixture
def cli_env(test_db_name, seeded, tokens, db_settings):
    env = {"SP_DB_NAME": test_db_name}
    if db_settings.embedded:
        env["DATABASE_URL"] = ""
    return env


async def cli(env, *args):
    """Run a command in a thread (the CLI has its own event loop)."""
    result = await anyio.to_thread.run_sync(lambda: runner.invoke(app, list(args), env=env))
    assert result.exit_code == 0, result.output
    return result


async def sync(work, *args):
    return await anyio.to_thread.run_sync(work, *args)


async def listed(env, name):
    """The `users list` line of one user, split into its columns."""
    lines = (await cli(env, "users", "list")).stdout.splitlines()
    assert lines[0] == "name\trole\tactive_tokens\tnext_expiry\tlast_used"
    assert all(not x.startswith("system\t") for x in lines)
    return next(x for x in lines if x.startswith(f"{name}\t")).split("\t")


async def new_user(env, name, role="editor"):
    await cli(env, "users", "add", name, "--role", role)
    issued = await cli(env, "users", "token", name)
    return issued.stdout.strip().splitlines()[0], issued


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


async def queue(client, token):
    return await client.get("/v1/placenames/queue", headers=bearer(token))


async def test_users_token_prints_the_expiry_and_users_list_shows_tokens_and_last_use(cli_env, test_dsn):
    token, issued = await new_user(cli_env, "tok-list", "reviewer")
    assert "expires" in issued.output and "(90 days)" in issued.output
    name, role, active, expiry, used = await listed(cli_env, "tok-list")
    assert (name, role, active, used) == ("tok-list", "reviewer", "1", "never")
    assert expiry.endswith("UTC")

    await sync(run_on, test_dsn, lambda conn: auth.actor_for(conn, token))  # a request with the token
    assert (await listed(cli_env, "tok-list"))[4].endswith("UTC")


async def test_a_revoked_user_gets_401_saying_revoked(cli_env, client):
    token, _ = await new_user(cli_env, "tok-revoke")
    assert (await queue(client, token)).status_code == 200
    assert "revoked 1 token(s)" in (await cli(cli_env, "users", "revoke", "tok-revoke")).stdout
    r = await queue(client, token)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert (await listed(cli_env, "tok-revoke"))[2] == "0"


async def test_an_expired_token_gets_401_saying_it_expired(cli_env, client, test_dsn):
    token, _ = await new_user(cli_env, "tok-expired")
    assert (await queue(client, token)).status_code == 200
    expire = "UPDATE placename_tokens SET expires_at = now() - interval '1 day' WHERE token_hash = $1"
    await sync(run_on, test_dsn, lambda conn: conn.execute(expire, auth.digest(token)))
    r = await queue(client, token)
    assert r.status_code == 401 and "expired" in r.json()["detail"]


async def test_the_ttl_setting_decides_the_expiry(cli_env, test_dsn):
    await cli(cli_env, "users", "add", "tok-ttl", "--role", "editor")
    issued = await cli({**cli_env, "SP_PLACENAMES_TOKEN_TTL_DAYS": "7"}, "users", "token", "tok-ttl")
    assert "(7 days)" in issued.output
    token = issued.stdout.strip().splitlines()[0]
    left = "SELECT extract(epoch FROM expires_at - now()) / 86400 FROM placename_tokens WHERE token_hash = $1"
    days = await sync(run_on, test_dsn, lambda conn: conn.fetchval(left, auth.digest(token)))
    assert 6.9 < days <= 7


async def test_rotation_issues_a_new_token_and_revokes_the_old_one(cli_env, client):
    old, _ = await new_user(cli_env, "tok-rotate")
    rotated = await cli(cli_env, "users", "token", "tok-rotate", "--rotate")
    new = rotated.stdout.strip().splitlines()[0]
    assert new != old and "Revoked 1 older token(s)" in rotated.output
    r = await queue(client, old)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert (await queue(client, new)).status_code == 200


async def test_the_audit_log_records_which_token_made_each_write(client, as_user, tokens, conn):
    r = await client.post("/v1/placenames", json=YUELUSHAN, headers=as_user("alice"))
    record = r.json()
    await client.post(f"/v1/placenames/{record['id']}/submit", headers=as_user("alice", 1))
    entries = (await client.get(f"/v1/placenames/{record['id']}/audit", headers=as_user("ada"))).json()
    token_id = await conn.fetchval(
        "SELECT id FROM placename_tokens WHERE token_hash = $1", auth.digest(tokens["alice"])
    )
    assert [(e["action"], e["token_id"]) for e in entries["entries"]] == [
        ("create", token_id),
        ("submit", token_id),
    ]
    assert tokens["alice"] not in r.text + str(entries)


async def test_the_public_history_shows_roles_not_staff_names(client, as_user):
    record = (await client.post("/v1/placenames", json=YUELUSHAN, headers=as_user("alice"))).json()
    url = f"/v1/placenames/{record['id']}"
    await client.post(f"{url}/submit", headers=as_user("alice", 1))
    await client.post(f"{url}/approve", headers=as_user("bob", 2))

    public = await client.get(f"{url}/history")
    assert public.status_code == 200
    assert [(v["action"], v["author_role"]) for v in public.json()["versions"]] == [("approve", "reviewer")]
    assert all("author" not in v for v in public.json()["versions"])
    assert "bob" not in public.text and "alice" not in public.text
    for path in (url, f"{url}/versions/3"):
        one = await client.get(path)
        assert one.status_code == 200 and "bob" not in one.text and one.json()["author_role"] == "reviewer"
    as_pat = await client.get(
        f"{url}/history", headers=as_user("pat")
    )  # a public-role token: still anonymous
    assert "bob" not in as_pat.text

    staff = (await client.get(f"{url}/history", headers=as_user("erin"))).json()["versions"]
    assert [(v["author"], v["author_role"]) for v in staff] == [
        ("alice", "editor"),
        ("alice", "editor"),
        ("bob", "reviewer"),
    ]
