"""A change published over HTTP reaches a subscriber: the full app, a real receiver, one worker round."""

import orjson
import pytest

from tests.boundaries.changes.test_publish import publish
from tests.boundaries.webhooks.conftest import SECRET

pytestmark = pytest.mark.anyio


async def test_a_published_change_is_delivered_to_a_subscriber(client, as_user, conn, receiver, worker):
    r = await client.post(
        "/v1/subscriptions", json={"url": receiver.url, "secret": SECRET}, headers=as_user("ada")
    )
    assert r.status_code == 201, r.text
    entry = (await publish(client, as_user))["entry"]
    assert await worker.run_once(conn) == 1
    [got] = receiver.requests
    assert got.verified
    body = orjson.loads(got.body)
    assert body["seq"] == entry["seq"] and body["kind"] == "code_change"
    assert [v["code"] for v in body["starts"]] == ["430113"]
    log = await client.get(f"/v1/subscriptions/{r.json()['id']}/deliveries", headers=as_user("ada"))
    assert log.json()["deliveries"][0]["state"] == "delivered", log.text
