"""Recording a division change over HTTP: draft, problems, review, publication everywhere at once.

The change below is a test case, not a real one: 长沙县 (430121) re-coded as 430113 长沙区 on
2025-06-01 by a made-up 国函〔2025〕99号.
"""

import copy

import pytest

pytestmark = pytest.mark.anyio

CODE_CHANGE = {
    "kind": "code_change",
    "effective": "2025-06-01",
    "document": {"number": "国函〔2025〕99号", "authority": "国务院", "date": "2025-03-01"},
    "title": "国务院关于同意湖南省调整长沙市部分行政区划的批复（测试）",
    "text": "同意撤销长沙县，设立长沙市长沙区。",
    "ends": ["430121"],
    "starts": [{"code": "430113", "name": "长沙区", "level": "county", "parent": "430100"}],
    "edges": [{"from": "430121", "to": "430113", "relation": "whole"}],
}
INSIDE_CHANGSHA_COUNTY = (113.08, 28.24)  # 星沙, the seat of 长沙县


async def draft(client, as_user, body, user="alice"):
    r = await client.post("/v1/division-changes", json=body, headers=as_user(user))
    assert r.status_code == 201, r.text
    return r.json()


async def publish(client, as_user, body=CODE_CHANGE):
    change = await draft(client, as_user, body)
    assert change["problems"] == [], change["problems"]
    r = await client.post(f"/v1/division-changes/{change['id']}/submit", headers=as_user("alice"))
    assert r.status_code == 200, r.text
    r = await client.post(f"/v1/division-changes/{change['id']}/approve", json={}, headers=as_user("bob"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_draft_with_problems_lists_them_all_and_cannot_be_submitted(client, as_user, conn):
    bad = copy.deepcopy(CODE_CHANGE)
    bad["document"]["number"] = "九十九号"
    bad["starts"][0]["code"] = "430104"  # 岳麓区 holds it
    bad["starts"][0]["parent"] = "439900"  # never existed
    bad["edges"] = []  # 长沙县 ends, its area goes nowhere
    change = await draft(client, as_user, bad)
    fields = {p["field"] for p in change["problems"]}
    assert {"document.number", "starts[0].code", "ends[0]"} <= fields, change["problems"]
    before = await conn.fetchval("SELECT count(*) FROM division_versions")
    r = await client.post(f"/v1/division-changes/{change['id']}/submit", headers=as_user("alice"))
    assert r.status_code == 422
    assert {p["field"] for p in r.json()["problems"]} == fields
    assert await conn.fetchval("SELECT count(*) FROM division_versions") == before
    r = await client.get(f"/v1/division-changes/{change['id']}", headers=as_user("bob"))
    assert r.json()["state"] == "draft"
    await draft(client, as_user, CODE_CHANGE)
    listed = (
        await client.get("/v1/division-changes", params={"state": "draft"}, headers=as_user("bob"))
    ).json()
    assert listed["total"] == listed["count"] >= 2
    first = await client.get(
        "/v1/division-changes", params={"state": "draft", "limit": 1}, headers=as_user("bob")
    )
    assert first.json()["changes"] == listed["changes"][:1] and 'rel="next"' in first.headers["link"]


async def test_an_effective_date_before_the_last_change_is_a_problem(client, as_user):
    early = {**CODE_CHANGE, "effective": "2010-06-01"}
    early["ends"] = ["430112"]  # 望城区 exists only from 2011
    early["edges"] = [{"from": "430112", "to": "430113", "relation": "whole"}]
    change = await draft(client, as_user, early)
    assert any("430112" in p["reason"] for p in change["problems"]), change["problems"]


async def test_a_reviewer_cannot_approve_their_own_draft_and_the_public_cannot_draft(client, as_user):
    r = await client.post("/v1/division-changes", json=CODE_CHANGE, headers=as_user("pat"))
    assert r.status_code == 403
    change = await draft(client, as_user, CODE_CHANGE, user="ada")
    await client.post(f"/v1/division-changes/{change['id']}/submit", headers=as_user("ada"))
    r = await client.post(f"/v1/division-changes/{change['id']}/approve", json={}, headers=as_user("ada"))
    assert r.status_code == 403
    r = await client.post(f"/v1/division-changes/{change['id']}/reject", json={}, headers=as_user("bob"))
    assert r.status_code == 422 and r.json()["field"] == "comment"


@pytest.mark.usefixtures("boundaries_loaded")
async def test_a_published_change_shows_at_once_everywhere(client, as_user, conn):
    tiles_before = await conn.fetchval("SELECT version FROM data_versions WHERE layer = 'divisions'")
    result = await publish(client, as_user)
    assert result["state"] == "published" and result["reviewer"] == "bob"
    entry = result["entry"]
    assert entry["kind"] == "code_change" and entry["document"]["number"] == "国函〔2025〕99号"
    assert entry["ends"][0]["code"] == "430121" and entry["ends"][0]["valid_to"] == "2025-06-01"
    assert entry["starts"][0]["name"] == "长沙区"
    # snapshot
    codes = lambda body: {d["code"] for d in body["divisions"]}  # noqa: E731
    r = await client.get("/v1/divisions", params={"parent": "430100", "at": "2025-07-01"})
    assert "430113" in codes(r.json()) and "430121" not in codes(r.json())
    assert r.json()["data_as_of"] == "2025-06-01" and r.headers["X-Data-As-Of"] == "2025-06-01"
    r = await client.get("/v1/divisions", params={"parent": "430100", "at": "2025-05-31"})
    assert "430121" in codes(r.json()) and "430113" not in codes(r.json())
    # successors and resolve
    r = await client.get("/v1/divisions/430121/successors", params={"at": "2020"})
    assert [s["code"] for s in r.json()["successors"]] == ["430113"], r.text
    r = await client.post("/v1/divisions/resolve", json={"items": [{"code": "430121", "at": "2020"}]})
    assert [c["code"] for c in r.json()["results"][0]["today"]] == ["430113"], r.text
    # reverse geocoding with the boundary carried over
    lon, lat = INSIDE_CHANGSHA_COUNTY
    r = await client.get("/v1/reverse", params={"lon": lon, "lat": lat, "at": "2025-07-01"})
    assert r.json()["county"]["code"] == "430113", r.text
    r = await client.get("/v1/reverse", params={"lon": lon, "lat": lat, "at": "2025-01-01"})
    assert r.json()["county"]["code"] == "430121"
    # tiles re-read, place names follow, the feed has it
    assert await conn.fetchval("SELECT version FROM data_versions WHERE layer = 'divisions'") > tiles_before
    r = await client.get("/v1/placenames/search", params={"q": "长沙区"})
    assert any(x["name"] == "长沙区" for x in r.json()["results"]), r.text
    r = await client.get("/v1/changes", params={"since": entry["seq"] - 1})
    assert r.json()["changes"][0]["seq"] == entry["seq"]
    etag = r.headers["ETag"]
    since = {"since": entry["seq"] - 1}
    again = await client.get("/v1/changes", params=since, headers={"If-None-Match": etag})
    assert again.status_code == 304


async def test_a_second_conflicting_change_is_refused_at_publication(client, as_user):
    first = await draft(client, as_user, CODE_CHANGE)
    other = copy.deepcopy(CODE_CHANGE)
    other["starts"][0] = {"code": "430114", "name": "星沙区", "level": "county", "parent": "430100"}
    other["edges"][0]["to"] = "430114"
    second = await draft(client, as_user, other, user="erin")
    for c in (first, second):
        r = await client.post(f"/v1/division-changes/{c['id']}/submit", headers=as_user("alice"))
        assert r.status_code == 200, r.text
    r = await client.post(f"/v1/division-changes/{first['id']}/approve", json={}, headers=as_user("bob"))
    assert r.status_code == 200, r.text
    r = await client.post(f"/v1/division-changes/{second['id']}/approve", json={}, headers=as_user("rita"))
    assert r.status_code == 409
    assert any(p["field"] == "ends[0]" for p in r.json()["problems"]), r.json()


async def test_a_correction_replaces_a_published_change_and_both_stay_in_the_feed(client, as_user):
    wrong = await publish(client, as_user)
    fixed = copy.deepcopy(CODE_CHANGE)
    fixed["starts"][0]["name"] = "星沙区"
    fixed["kind"] = "correction"
    fixed["corrects"] = wrong["id"]
    fixed["title"] = "更正：新设区名称为星沙区（测试）"
    correction = await publish(client, as_user, fixed)
    assert correction["entry"]["corrects"] == wrong["entry"]["seq"]
    r = await client.get("/v1/divisions/430113", params={"at": "2025-07-01"})
    assert r.json()["name"] == "星沙区", r.text
    r = await client.get("/v1/changes", params={"since": wrong["entry"]["seq"] - 1})
    assert [e["seq"] for e in r.json()["changes"]] == [wrong["entry"]["seq"], correction["entry"]["seq"]]
    r = await client.get(f"/v1/division-changes/{wrong['id']}", headers=as_user("bob"))
    assert r.json()["corrected_by"] == correction["id"]
