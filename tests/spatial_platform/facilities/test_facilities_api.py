"""Facility listings and facility/population imports over HTTP, by staff with tokens."""

import pytest

pytestmark = pytest.mark.anyio

HEADER = "id,name,kind,lon,lat,beds,operator,opened,closed\n"


async def inside(conn, code):
    row = await conn.fetchrow(
        "SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p "
        "FROM division_geometries WHERE code = $1 AND valid_to IS NULL) s",
        code,
    )
    return f"{row['lon']:.6f},{row['lat']:.6f}"


async def test_staff_import_a_csv_and_the_listing_shows_it_by_division_and_date(
    client, conn, changsha, as_user
):
    body = (
        HEADER + f"H1,岳麓区接口测试养老院,养老机构,{await inside(conn, '430104')},88,区民政局,2018-05-01,\n"
    )
    r = await client.post("/v1/facilities/import?format=csv", content=body.encode(), headers=as_user("alice"))
    assert r.status_code == 201, r.text
    assert r.json() == {"rows": 1, "created": 1, "updated": 0, "dry_run": False}

    listed = await client.get("/v1/facilities", params={"division": "430100", "at": "2020"})
    assert listed.status_code == 200
    (home,) = [f for f in listed.json()["facilities"] if f["name"] == "岳麓区接口测试养老院"]
    assert (home["county_code"], home["beds"], home["kind_label"]) == ("430104", 88, "养老机构")
    assert home["source"] == "upload by alice" and home["synthetic"] is False
    earlier = await client.get("/v1/facilities", params={"division": "430104", "at": "2017"})
    assert "岳麓区接口测试养老院" not in {f["name"] for f in earlier.json()["facilities"]}
    other_kind = await client.get("/v1/facilities", params={"division": "430104", "kinds": "child_welfare"})
    assert "岳麓区接口测试养老院" not in {f["name"] for f in other_kind.json()["facilities"]}
    whole = listed.json()
    page = await client.get("/v1/facilities", params={"division": "430100", "at": "2020", "limit": 1})
    assert (page.json()["total"], page.json()["count"]) == (whole["total"], 1) and whole["total"] >= 1
    if whole["total"] > 1:
        assert "offset=1" in page.headers["link"] and 'rel="next"' in page.headers["link"]
    second = await client.get(
        "/v1/facilities", params={"division": "430100", "at": "2020", "limit": 1, "offset": 1}
    )
    assert second.json()["facilities"] == whole["facilities"][1:2]


async def test_imports_need_a_staff_token_and_a_bad_row_changes_nothing(client, conn, changsha, as_user):
    body = (
        HEADER
        + f"H2,好的一行,养老机构,{await inside(conn, '430104')},10,,,\nH3,坏的一行,养老机构,200,95,x,,,\n"
    )
    url = "/v1/facilities/import?format=csv"
    assert (await client.post(url, content=body.encode())).status_code == 401
    assert (await client.post(url, content=body.encode(), headers=as_user("pat"))).status_code == 403
    before = await conn.fetchval("SELECT count(*) FROM facilities")
    r = await client.post(url, content=body.encode(), headers=as_user("ada"))
    assert r.status_code == 422
    problems = r.json()["errors"]
    assert {(p["row"], p["field"]) for p in problems} >= {(2, "beds")}
    assert all(p["row"] == 2 for p in problems) and r.json()["rows"] == 2
    assert await conn.fetchval("SELECT count(*) FROM facilities") == before


async def test_population_counts_import_over_http_with_a_dry_run_first(client, conn, as_user):
    body = "division_code,year,total,60+\n430104,2016,1000000,160000\n"
    url = "/v1/populations/import"
    headers = {**as_user("alice"), "Content-Type": "text/csv"}
    dry = await client.post(url, params={"dry_run": "true"}, content=body.encode(), headers=headers)
    assert dry.status_code == 200 and dry.json()["dry_run"] is True and dry.json()["created"] == 2
    assert await conn.fetchval("SELECT count(*) FROM populations WHERE source = 'upload by alice'") == 0
    done = await client.post(url, params={"source": "区统计局 2016"}, content=body.encode(), headers=headers)
    assert done.status_code == 201 and done.json()["created"] == 2
    assert await conn.fetchval("SELECT count(*) FROM populations WHERE source = '区统计局 2016'") == 2
    counts = await conn.fetch(
        "SELECT band, count FROM populations WHERE division_code = '430104' AND year = 2016 ORDER BY band"
    )
    assert [(r["band"], r["count"]) for r in counts] == [("60+", 160000), ("total", 1000000)]


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/v1/facilities?division=999999", 404, "999999"),
        ("/v1/facilities?division=430100&kinds=zoo", 422, "unknown kind"),
        ("/v1/facilities?division=430100&at=1970", 422, "1981"),
    ],
)
async def test_bad_listing_requests_get_clear_errors(client, changsha, url, status, words):
    r = await client.get(url)
    assert r.status_code == status and words in r.text


async def test_an_upload_without_a_known_format_or_with_a_bad_source_is_refused(client, as_user):
    r = await client.post("/v1/populations/import", content=b"x", headers=as_user("alice"))
    assert r.status_code == 422 and r.json()["field"] == "format"
    r = await client.post(
        "/v1/populations/import",
        params={"format": "csv", "source": "x" * 201},
        content=b"x",
        headers=as_user("alice"),
    )
    assert r.status_code == 422 and r.json()["field"] == "source"
