"""Exports are read page by page: every published record once, in every format."""

import csv
import io
import zipfile

import pyogrio
import pytest

from placenames import export

pytestmark = pytest.mark.anyio


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(export, "PAGE", 7)


async def published_in(conn, prefix):
    return await conn.fetchval(
        "SELECT count(*) FROM placenames WHERE public_status = 'published' AND within_code LIKE $1 || '%'",
        prefix,
    )


async def test_csv_and_geojson_stream_every_record_once_across_pages(client, conn, small_pages):
    want = await published_in(conn, "43")
    assert want > 14  # more than two pages
    r = await client.get("/v1/placenames/export", params={"format": "csv", "division": "430000"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="placenames.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == want and len({row["id"] for row in rows}) == want
    assert {"WKT", "name", "pinyin", "division_path"} <= set(rows[0])
    assert any(row["name"] == "岳麓区" and row["division_path"] == "湖南省 长沙市 岳麓区" for row in rows)
    geojson = await client.get("/v1/placenames/export", params={"format": "geojson", "division": "430000"})
    features = geojson.json()["features"]
    assert len(features) == want and len({f["properties"]["id"] for f in features}) == want


async def test_gpkg_and_shapefile_are_written_page_by_page(client, conn, small_pages, tmp_path):
    want = await published_in(conn, "43")
    gpkg = await client.get("/v1/placenames/export", params={"format": "gpkg", "division": "430000"})
    (tmp_path / "out.gpkg").write_bytes(gpkg.content)
    assert len(pyogrio.read_dataframe(tmp_path / "out.gpkg")) == want
    shp = await client.get("/v1/placenames/export", params={"format": "shp", "division": "430000"})
    with zipfile.ZipFile(io.BytesIO(shp.content)) as archive:
        archive.extractall(tmp_path / "shp")
    assert len(pyogrio.read_dataframe(tmp_path / "shp" / "placenames.shp")) == want


async def test_an_export_of_nothing_and_a_bad_division_are_answered(client):
    empty = await client.get("/v1/placenames/export", params={"format": "csv", "category": "no_such"})
    assert empty.status_code == 200 and empty.text.startswith("WKT,id,version,name")
    geojson = await client.get("/v1/placenames/export", params={"category": "no_such"})
    assert geojson.json() == {"type": "FeatureCollection", "features": []}
    bad = await client.get("/v1/placenames/export", params={"division": "43x"})
    assert bad.status_code == 422 and bad.json()["field"] == "division"
