"""Editing with roles, tokens, versions and review, against the seeded real register."""

import pytest

pytestmark = pytest.mark.anyio

# A real place in 岳麓区 (长沙市): the mountain the district is named after.
YUELUSHAN = {
    "name": "岳麓山",
    "category": "mountain",
    "division_code": "430104",
    "geometry": {"type": "Point", "coordinates": [112.9367, 28.1858]},
    "meaning": "南岳衡山七十二峰之一，“岳麓”意为南岳之足",
    "aliases": [{"name": "麓山"}],
}


async def create(client, as_user, user="alice", body=None):
    r = await client.post("/v1/placenames", json=body or YUELUSHAN, headers=as_user(user))
    assert r.status_code == 201, r.text
    return r.json()


async def test_writes_need_a_valid_token_and_the_right_role(client, as_user):
    assert (await client.post("/v1/placenames", json=YUELUSHAN)).status_code == 401
    bad = {"Authorization": "Bearer spn_not-a-token"}
    assert (await client.post("/v1/placenames", json=YUELUSHAN, headers=bad)).status_code == 401
    r = await client.post("/v1/placenames", json=YUELUSHAN, headers=as_user("pat"))
    assert r.status_code == 403 and "editor" in r.json()["detail"]


async def test_a_new_record_is_a_draft_only_staff_can_see(client, as_user):
    record = await create(client, as_user)
    assert (record["state"], record["version"], record["pinyin"]) == ("draft", 1, "Yuelu Shan")
    assert record["division_path"] == ["湖南省", "长沙市", "岳麓区"]
    r = await client.get(f"/v1/placenames/{record['id']}", headers=as_user("erin"))
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    assert (await client.get(f"/v1/placenames/{record['id']}")).status_code == 404


async def test_an_update_needs_if_match_and_a_stale_one_changes_nothing(client, as_user):
    record = await create(client, as_user)
    url = f"/v1/placenames/{record['id']}"
    change = {"origin": "以山位于南岳衡山之足得名", "reason": "补充来历"}
    assert (await client.patch(url, json=change, headers=as_user("alice"))).status_code == 428
    r = await client.patch(url, json=change, headers=as_user("alice", 1))
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    stale = await client.patch(url, json={"origin": "覆盖", "reason": "x"}, headers=as_user("erin", 1))
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2 and stale.headers["ETag"] == '"2"'
    assert (await client.get(url, headers=as_user("erin"))).json()["origin"] == change["origin"]


async def test_review_publishes_only_after_a_second_person_approves(client, as_user):
    record = await create(client, as_user)
    url = f"/v1/placenames/{record['id']}"
    r = await client.post(f"{url}/submit", headers=as_user("alice", 1))
    assert r.json()["state"] == "submitted"
    assert (await client.post(f"{url}/approve", headers=as_user("erin", 2))).status_code == 403
    r = await client.post(f"{url}/approve", json={"comment": "核实无误"}, headers=as_user("bob", 2))
    assert r.status_code == 200 and r.json()["state"] == "published"
    public = await client.get(url)
    assert public.status_code == 200 and public.json()["name"] == "岳麓山"
    found = await client.get("/v1/placenames/search", params={"q": "岳麓山"})
    assert found.json()["results"][0]["id"] == record["id"]


async def test_an_author_cannot_approve_their_own_change(client, as_user):
    record = await create(client, as_user, "ada")
    url = f"/v1/placenames/{record['id']}"
    await client.post(f"{url}/submit", headers=as_user("ada", 1))
    r = await client.post(f"{url}/approve", headers=as_user("ada", 2))
    assert r.status_code == 403 and "another reviewer" in r.json()["detail"]


async def test_a_rejection_needs_a_comment_and_returns_the_record_to_draft(client, as_user):
    record = await create(client, as_user)
    url = f"/v1/placenames/{record['id']}"
    await client.post(f"{url}/submit", headers=as_user("alice", 1))
    r = await client.post(f"{url}/reject", headers=as_user("bob", 2))
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = await client.post(f"{url}/reject", json={"comment": "请补充坐标来源"}, headers=as_user("bob", 2))
    assert r.json()["state"] == "draft"
    history = (await client.get(f"{url}/history", headers=as_user("alice"))).json()["versions"]
    assert [(v["action"], v["author"]) for v in history] == [
        ("create", "alice"),
        ("submit", "alice"),
        ("reject", "bob"),
    ]
    assert history[-1]["reason"] == "请补充坐标来源"


async def test_a_duplicate_name_under_the_same_parent_is_409_naming_the_record(client, as_user, conn):
    existing = await conn.fetchval(
        "SELECT id FROM placenames WHERE code = '430104' AND public_status = 'published'"
    )
    body = {
        "name": "岳麓区",
        "category": "administrative_division",
        "division_code": "430104",
        "parent_code": "430100",
    }
    r = await client.post("/v1/placenames", json=body, headers=as_user("alice"))
    assert r.status_code == 409
    assert r.json()["existing"]["id"] == existing and str(existing) in r.json()["detail"]
    other_category = {**body, "category": "residential_area"}
    assert (
        await client.post("/v1/placenames", json=other_category, headers=as_user("alice"))
    ).status_code == 201


@pytest.mark.parametrize(
    "name",
    ["", "   ", "岳" * 51, "岳麓\x07山", "岳麓\u200b山", "岳麓\n山"],
    ids=["empty", "blank", "long", "bel", "zwsp", "newline"],
)
async def test_bad_names_are_422(client, as_user, name):
    r = await client.post("/v1/placenames", json={**YUELUSHAN, "name": name}, headers=as_user("alice"))
    assert r.status_code == 422 and r.json()["field"] == "name"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"division_code": "999999"}, "division_code"),
        ({"category": "castle"}, "category"),
        ({"geometry": {"type": "Point", "coordinates": [200, 28]}}, "geometry"),
        ({"pinyin": "Qxz Shan"}, "pinyin"),
        ({"former_names": [{"name": "麓山", "from": "1990-13"}]}, "former_names[0].from"),
    ],
)
async def test_bad_fields_are_422_naming_the_field(client, as_user, change, field):
    r = await client.post("/v1/placenames", json={**YUELUSHAN, **change}, headers=as_user("alice"))
    assert r.status_code == 422 and r.json()["field"] == field


async def test_history_compare_and_the_past(client, as_user):
    record = await create(client, as_user)
    url = f"/v1/placenames/{record['id']}"
    await client.post(f"{url}/submit", headers=as_user("alice", 1))
    first = (await client.post(f"{url}/approve", headers=as_user("bob", 2))).json()
    published_at = (await client.get(f"{url}/history")).json()["versions"][0]["created_at"]
    await client.patch(
        url, json={"pinyin": "Yuelushan", "reason": "山名已专名化，连写"}, headers=as_user("erin", 3)
    )
    assert (await client.get(url)).json()["pinyin"] == "Yuelu Shan"  # the draft is not public yet
    await client.post(f"{url}/submit", headers=as_user("erin", 4))
    await client.post(f"{url}/approve", headers=as_user("rita", 5))
    assert (await client.get(url)).json()["pinyin"] == "Yuelushan"
    past = await client.get(url, params={"at": published_at})
    assert past.json()["pinyin"] == "Yuelu Shan" and past.json()["version"] == first["version"] == 3
    assert (await client.get(url, params={"at": "2020-01-01"})).status_code == 404
    diff = (await client.get(f"{url}/compare", params={"from": 3, "to": 6})).json()["changes"]
    assert diff == [{"field": "pinyin", "old": "Yuelu Shan", "new": "Yuelushan"}]
    public = (await client.get(f"{url}/history")).json()["versions"]
    assert [v["version"] for v in public] == [3, 6]
    audit = (await client.get(f"{url}/audit", headers=as_user("ada"))).json()["entries"]
    assert [e["action"] for e in audit] == ["create", "submit", "approve", "update", "submit", "approve"]


async def test_a_reviewer_retires_a_record_with_a_reason(client, as_user, conn):
    record_id = await conn.fetchval(
        "SELECT id FROM placenames WHERE code = '430104' AND public_status = 'published'"
    )
    url = f"/v1/placenames/{record_id}"
    assert (
        await client.post(f"{url}/retire", json={"reason": "x"}, headers=as_user("alice", 1))
    ).status_code == 403
    r = await client.post(f"{url}/retire", json={"reason": "区划调整撤销"}, headers=as_user("bob", 1))
    assert r.json()["state"] == "retired"
    assert (await client.get(url)).json()["state"] == "retired"
    found = await client.get("/v1/placenames/search", params={"q": "岳麓区"})
    assert all(h["id"] != record_id for h in found.json()["results"])
