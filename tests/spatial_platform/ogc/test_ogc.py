"""OGC API - Features: the documents over HTTP, and GDAL's OAPIF driver as a real client."""

import json
import subprocess

import httpx
import pytest

from tests.spatial_platform.test_live_server import live_server  # noqa: F401 (the fixture)

pytestmark = pytest.mark.anyio


async def test_the_landing_page_links_conformance_collections_and_the_api(client):
    body = (await client.get("/ogc")).json()
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "conformance", "data", "service-desc", "service-doc"} <= rels
    conf = (await client.get("/ogc/conformance")).json()["conformsTo"]
    assert any(c.endswith("/conf/core") for c in conf) and any(c.endswith("/conf/crs") for c in conf)
    ids = [c["id"] for c in (await client.get("/ogc/collections")).json()["collections"]]
    assert {"divisions", "provinces", "prefectures", "counties", "towns", "villages", "facilities",
            "placenames", "population"} <= set(ids)  # fmt: skip


async def test_place_names_are_a_collection_over_their_public_periods(client, seeded):
    r = await client.get("/ogc/collections/placenames/items", params={"name": "岳麓区", "limit": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["numberMatched"] >= 1 and body["features"][0]["properties"]["name"] == "岳麓区"
    feature = body["features"][0]
    props = feature["properties"]
    assert (
        props["valid_from"] and props["valid_to"] is None and props["category"] and props["code"] == "430104"
    )
    one = await client.get(f"/ogc/collections/placenames/items/{feature['id']}")
    assert one.status_code == 200 and one.json()["properties"]["name"] == "岳麓区"
    before = await client.get(
        "/ogc/collections/placenames/items", params={"name": "岳麓区", "datetime": "1990"}
    )
    assert before.json()["numberMatched"] == 0  # not yet published in the register then
    queryable = (await client.get("/ogc/collections/placenames/queryables")).json()["properties"]
    assert {"name", "category", "code"} <= set(queryable)


async def test_population_is_a_collection_by_county_and_year(client, demo):
    params = {"datetime": "2023-01-01/2023-12-31", "limit": 20}
    body = (await client.get("/ogc/collections/population/items", params=params)).json()
    assert body["numberMatched"] == 9 and {f["properties"]["year"] for f in body["features"]} == {2023}
    yuelu = next(f for f in body["features"] if f["properties"]["code"] == "430104")
    props = yuelu["properties"]
    assert props["synthetic"] is True and props["total"] > props["aged_60"] > props["aged_80"] > 0
    assert props["share_60"] == pytest.approx(props["aged_60"] / props["total"], abs=1e-4)
    assert yuelu["geometry"]["type"] == "MultiPolygon" and yuelu["id"] == "430104-2023"
    one = (await client.get("/ogc/collections/population/items/430104-2023")).json()
    assert one["properties"]["total"] == props["total"]
    latest = (await client.get("/ogc/collections/population/items", params={"code": "430104"})).json()
    assert [f["properties"]["year"] for f in latest["features"]] == [2023]  # latest up to today
    earlier = await client.get("/ogc/collections/population/items", params={"datetime": "2010"})
    assert earlier.json()["numberMatched"] == 0


async def test_items_at_a_date_match_the_v1_snapshot(client, boundaries_loaded):
    params = {"datetime": "2010-12-31", "parent": "430100", "limit": 100}
    r = await client.get("/ogc/collections/counties/items", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    fc = r.json()
    snapshot = (await client.get("/v1/divisions", params={"parent": "430100", "at": "2010-12-31"})).json()
    assert fc["numberMatched"] == fc["numberReturned"] == snapshot["count"]
    assert {f["id"]: f["properties"]["name"] for f in fc["features"]} == {
        d["code"]: d["name"] for d in snapshot["divisions"]
    }
    wangcheng = next(f for f in fc["features"] if f["id"] == "430122")
    assert wangcheng["properties"]["name"] == "望城县" and wangcheng["geometry"]["type"] == "MultiPolygon"


async def test_pages_link_to_the_next_one_until_the_end(client):
    r = (await client.get("/ogc/collections/provinces/items", params={"limit": 20})).json()
    assert r["numberReturned"] == 20 and r["numberMatched"] > 30
    nxt = next(link["href"] for link in r["links"] if link["rel"] == "next")
    second = (await client.get(nxt)).json()
    assert second["numberReturned"] == r["numberMatched"] - 20
    assert not any(link["rel"] == "next" for link in second["links"])
    assert {f["id"] for f in r["features"]}.isdisjoint({f["id"] for f in second["features"]})


async def test_bbox_and_cgcs2000_output_in_latitude_longitude_order(client, boundaries_loaded):
    params = {"bbox": "112.9,28.1,113.0,28.3", "datetime": "2020-06-30"}
    ids = {
        f["id"]
        for f in (await client.get("/ogc/collections/counties/items", params=params)).json()["features"]
    }
    assert "430104" in ids and "110101" not in ids
    cgcs = "http://www.opengis.net/def/crs/EPSG/0/4490"
    one = (await client.get("/ogc/collections/counties/items/430104", params={"crs": cgcs})).json()
    lat, lon = one["geometry"]["coordinates"][0][0][0]
    assert 27 < lat < 29 and 112 < lon < 114


async def test_a_feature_and_its_versions(client):
    r = await client.get("/ogc/collections/counties/items/430122", params={"datetime": "1990"})
    assert r.json()["properties"]["name"] == "望城县"
    assert (await client.get("/ogc/collections/counties/items/430122")).status_code == 404  # not today
    versions = (await client.get("/ogc/collections/counties/items/430122/versions")).json()
    assert [f["properties"]["valid_to"] for f in versions["features"]][-1] == "2011-05-20"


async def test_bad_parameters_are_400_naming_them_and_unknown_collections_404(client):
    for params, field in (({"bbox": "1,2,3"}, "bbox"), ({"datetime": "someday"}, "datetime"),
                          ({"crs": "EPSG:3857"}, "crs"), ({"limit": 0}, "limit")):  # fmt: skip
        r = await client.get("/ogc/collections/counties/items", params=params)
        assert r.status_code == 400 and r.json()["field"] == field, (params, r.text)
    assert (await client.get("/ogc/collections/nowhere/items")).status_code == 404


async def test_every_resource_has_an_html_view(client):
    r = await client.get("/ogc/collections/counties/items", params={"f": "html", "parent": "430100"})
    assert r.headers["content-type"].startswith("text/html") and "岳麓区" in r.text
    r = await client.get("/ogc", headers={"Accept": "text/html"})
    assert r.headers["content-type"].startswith("text/html") and "/ogc/collections" in r.text


def _ogrinfo(*args: str) -> str:
    done = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gdal_reads_the_counties_at_a_date_as_the_v1_snapshot_lists_them(live_server):  # noqa: F811
    url = f"OAPIF:{live_server}/ogc/collections/counties?datetime=2010-12-31"
    summary = _ogrinfo("-so", url, "counties")
    count = int(
        next(line for line in summary.splitlines() if line.startswith("Feature Count:")).split(":")[1]
    )
    snapshot = httpx.get(f"{live_server}/v1/divisions", params={"level": "county", "at": "2010-12-31"}).json()
    assert count == snapshot["count"]
    changsha = f"{url}&parent=430100"  # a selection on the collection URL reaches its items links
    out = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", changsha, "counties", "-select", "code,name"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    got = {f["properties"]["code"]: f["properties"]["name"] for f in json.loads(out.stdout)["features"]}
    want = {d["code"]: d["name"] for d in snapshot["divisions"] if d["parent_code"] == "430100"}
    assert got == want and got["430122"] == "望城县"
    assert ": provinces (title:" in _ogrinfo(f"OAPIF:{live_server}/ogc")
