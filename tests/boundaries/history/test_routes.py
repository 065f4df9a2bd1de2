"""The /v1/divisions API against the real data in PostGIS."""

import pytest

pytestmark = pytest.mark.anyio


def codes(body):
    return {s["code"]: s["relation"] for s in body["successors"]}


async def test_chongwen_in_2000_is_dongcheng_today(client):
    r = await client.get("/v1/divisions/110103/successors", params={"at": "2000-06-01"})
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "崇文区"
    assert codes(body) == {"110101": "whole"}
    (step,) = body["successors"][0]["chain"]
    assert step["effective"] == "2010-06-28" and step["doc_number"]


async def test_wangcheng_in_1990_went_to_three_districts(client):
    r = await client.get("/v1/divisions/430122/successors", params={"at": "1990"})
    assert r.json()["name"] == "望城县"
    assert codes(r.json()) == {"430104": "partial", "430105": "partial", "430112": "partial"}


async def test_laicheng_depends_on_the_date(client):
    r2000 = await client.get("/v1/divisions/371202/successors", params={"at": "2000"})
    r2010 = await client.get("/v1/divisions/371202/successors", params={"at": "2010"})
    assert r2000.json()["name"] == "莱城区"
    assert set(codes(r2000.json())) == {"370116", "370117"}
    assert codes(r2010.json()) == {"370116": "whole"}


async def test_changsha_county_keeps_itself_plus_transferred_parts(client):
    r = await client.get("/v1/divisions/430121/successors", params={"at": "1990"})
    assert r.json()["name"] == "长沙县"
    assert set(codes(r.json())) == {"430121", "430103", "430105", "430111"}


async def test_a_prefecture_resolves_to_todays_prefectures(client):
    r = await client.get("/v1/divisions/142500/successors", params={"at": "1984"})
    assert r.json()["name"] == "晋东南地区"
    assert codes(r.json()) == {"140400": "partial", "140500": "partial"}


async def test_one_division_at_a_date_has_its_parent_chain_and_period(client):
    r = await client.get("/v1/divisions/430122", params={"at": "1990-05-01"})
    body = r.json()
    assert r.status_code == 200
    assert (body["name"], body["level"], body["status"]) == ("望城县", "county", "retired")
    assert [p["name"] for p in body["parents"]] == ["长沙市", "湖南省"]
    assert body["valid_from"] == "1981-01-01" and body["from_precision"] == "year"
    assert body["valid_to"] == "2011-05-20" and body["to_precision"] == "day"


async def test_today_is_the_default_date(client):
    r = await client.get("/v1/divisions/430104")
    assert r.json()["name"] == "岳麓区" and r.json()["status"] == "current"


async def test_snapshot_filters_by_level_and_parent(client):
    provinces = (await client.get("/v1/divisions", params={"at": "2024", "level": "province"})).json()
    assert provinces["count"] == 34
    children = (await client.get("/v1/divisions", params={"at": "1990", "parent": "430100"})).json()
    assert "望城县" in {d["name"] for d in children["divisions"]}
    kids = (await client.get("/v1/divisions/430100/children", params={"at": "1990"})).json()
    assert kids["count"] == children["count"]


async def test_history_lists_versions_events_and_documents(client):
    r = await client.get("/v1/divisions/431121/history")
    body = r.json()
    assert [v["name"] for v in body["versions"]] == ["祁阳县"]
    kinds = {e["kind"] for e in body["events"]}
    assert "code_change" in kinds
    assert any(e["to_code"] == "431181" for e in body["edges"])
    assert all(e["source"].startswith("diff/") for e in body["events"])


@pytest.mark.parametrize(
    ("url", "params", "status", "field"),
    [
        ("/v1/divisions/43012", {}, 422, "code"),
        ("/v1/divisions/430122", {"at": "1990-13-01"}, 422, "at"),
        ("/v1/divisions/430122", {"at": "yesterday"}, 422, "at"),
        ("/v1/divisions/430122/successors", {"at": "1975"}, 422, "at"),
        ("/v1/divisions/430122/successors", {"at": "2099-01-01"}, 422, "at"),
        ("/v1/divisions", {"level": "hamlet"}, 422, "level"),
        ("/v1/divisions/999999", {}, 404, None),
        ("/v1/divisions/999999/history", {}, 404, None),
        ("/v1/divisions/430122", {"at": "2020"}, 404, None),
    ],
)
async def test_bad_input_gets_a_clear_error(client, url, params, status, field):
    r = await client.get(url, params=params)
    assert r.status_code == status, r.text
    assert r.json().get("field") == field
    if status == 422 and params.get("at") in ("1975", "2099-01-01"):
        assert "1981-01-01" in r.json()["detail"]
    if status == 404:
        assert "999999" in r.json()["detail"] or "not in use" in r.json()["detail"]


async def test_batch_resolve_answers_each_item_in_order(client):
    items = [
        {"code": "110103", "at": "2000-06-01"},
        {"code": "430122", "at": "1990"},
        {"code": "12345"},
        {"code": "999999", "at": "2000"},
        {"code": "430104"},
        {"code": "430104", "at": "1970"},
    ]
    r = await client.post("/v1/divisions/resolve", json={"items": items})
    assert r.status_code == 200
    body = r.json()
    assert (body["count"], body["found"]) == (6, 3)
    res = body["results"]
    assert res[0]["name"] == "崇文区" and res[0]["today"] == [
        {"code": "110101", "name": "东城区", "relation": "whole"}
    ]
    assert {t["code"] for t in res[1]["today"]} == {"430104", "430105", "430112"}
    assert res[2]["error"]["field"] == "code" and not res[2]["found"]
    assert "not known" in res[3]["error"]["message"]
    assert res[4]["found"] and res[4]["today"][0]["relation"] == "whole"
    assert res[5]["error"]["field"] == "at"


async def test_batch_over_the_limit_is_refused_with_413(client):
    r = await client.post("/v1/divisions/resolve", json={"items": [{"code": "110101"}] * 10_001})
    assert r.status_code == 413
    assert "10000" in r.json()["detail"]


async def test_batch_with_a_broken_body_names_the_problem(client):
    r = await client.post("/v1/divisions/resolve", content=b"{not json")
    assert r.status_code == 422 and r.json()["field"] == "body"
    r = await client.post("/v1/divisions/resolve", json=[{"code": "110101"}])
    assert r.status_code == 422 and r.json()["field"] == "items"


async def test_openapi_documents_the_endpoints(client):
    spec = (await client.get("/openapi.json")).json()
    assert {
        "/v1/divisions",
        "/v1/divisions/{code}",
        "/v1/divisions/{code}/history",
        "/v1/divisions/{code}/successors",
        "/v1/divisions/resolve",
    } <= set(spec["paths"])
    assert (await client.get("/docs")).status_code == 200


async def test_a_snapshot_comes_in_pages_with_a_total_and_a_link_to_the_next(client):
    whole = (await client.get("/v1/divisions", params={"at": "2020"})).json()
    r = await client.get("/v1/divisions", params={"at": "2020", "limit": 1000})
    first = r.json()
    assert first["total"] == whole["total"] == whole["count"] > 3000 and first["count"] == 1000
    assert first["divisions"] == whole["divisions"][:1000]
    link = r.headers["link"]
    assert link.endswith('>; rel="next"') and "offset=1000" in link
    nxt = (await client.get(link[1 : link.index(">")])).json()
    assert nxt["offset"] == 1000 and nxt["divisions"][0] == whole["divisions"][1000]
    last = await client.get("/v1/divisions", params={"at": "2020", "limit": 1000, "offset": 3000})
    assert "link" not in last.headers
    assert (await client.get("/v1/divisions", params={"limit": 0})).status_code == 422
