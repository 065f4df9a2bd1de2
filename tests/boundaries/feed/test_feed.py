"""The change feed holds the 1981-2024 history: replaying it from 0 rebuilds every yearly snapshot."""

from datetime import date
from xml.etree import ElementTree

import pytest

from boundaries.feed.baseline import replay
from boundaries.history import queries

pytestmark = pytest.mark.anyio
ATOM = "{http://www.w3.org/2005/Atom}"
GBT = ("province", "prefecture", "county")


async def read_feed(client) -> list[dict]:
    entries, since = [], 0
    while True:
        r = await client.get("/v1/changes", params={"since": since, "limit": 1000})
        assert r.status_code == 200, r.text
        page = r.json()
        entries += page["changes"]
        if page["next"] == page["head"]:
            return entries
        since = page["next"]


async def test_replaying_the_feed_from_0_rebuilds_all_44_snapshots(client, conn):
    entries = await read_feed(client)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0]["source"] == "areacodes"
    versions = replay(entries).values()
    for year in range(1981, 2025):
        at = date(year, 12, 31)
        wanted = {
            (r["code"], r["name"], r["level"], r["parent_code"])
            for r in await queries.snapshot(conn, at, None, None)
        }
        rebuilt = {
            (v["code"], v["name"], v["level"], v["parent_code"])
            for v in versions
            if v["level"] in GBT
            and v["valid_from"] <= at.isoformat()
            and (v["valid_to"] is None or v["valid_to"] > at.isoformat())
        }
        assert rebuilt == wanted, (year, sorted(rebuilt ^ wanted)[:5])


async def test_documented_events_carry_their_document_and_edges(client):
    entries = await read_feed(client)
    wangcheng = [e for e in entries if "430122" in e["old_codes"] and "430112" in e["new_codes"]]
    assert wangcheng, "望城县 → 望城区 (2011) is in the feed"
    e = wangcheng[0]
    assert e["effective"].startswith("2011")
    assert {"from_code": "430122", "to_code": "430112"}.items() <= e["edges"][0].items()
    assert [v["code"] for v in e["ends"]] == ["430122"]
    assert [v["name"] for v in e["starts"]] == ["望城区"]


async def test_an_unchanged_poll_costs_a_304(client):
    r = await client.get("/v1/changes", params={"since": 0, "limit": 5})
    etag = r.headers["etag"]
    assert "max-age" in r.headers["cache-control"]
    again = await client.get("/v1/changes", params={"since": 0, "limit": 5}, headers={"If-None-Match": etag})
    assert again.status_code == 304


async def test_the_feed_as_atom_lists_the_latest_entries_newest_first(client):
    r = await client.get("/v1/changes.atom", params={"limit": 3})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(r.content)
    items = feed.findall(f"{ATOM}entry")
    assert len(items) == 3
    ids = [int(i.find(f"{ATOM}id").text.rsplit(":", 1)[1]) for i in items]
    assert ids == sorted(ids, reverse=True)
    head = (await client.get("/v1/changes", params={"since": 0, "limit": 1})).json()["head"]
    assert ids[0] == head
    link = items[0].find(f"{ATOM}link").get("href")
    assert link.endswith(f"/v1/changes/{head}")
