"""Bulk import (CSV, GeoJSON, GeoPackage, Shapefile; all or nothing) and export of published records."""

import io
import json
import zipfile

import geopandas as gpd
import pyogrio
import pytest
import shapely

pytestmark = pytest.mark.anyio

# Real places in 岳麓区, 长沙 (coordinates approximate, WGS 84).
CSV = """name,category,division_code,longitude,latitude,meaning,former_names,aliases
岳麓书院,memorial_scenic,430104,112.9394,28.1829,北宋开宝九年（976年）创建的书院,,
爱晚亭,memorial_scenic,430104,112.9366,28.1855,取杜牧“停车坐爱枫林晚”诗意,红叶亭,
麓山路,road_street,430104,,,,,
橘子洲大桥,bridge,430104,112.9648,28.1993,,,湘江一桥
"""
CSV_TYPE = {"Content-Type": "text/csv"}


async def count(conn):
    return await conn.fetchval("SELECT count(*) FROM placenames")


async def test_a_dry_run_checks_everything_and_writes_nothing(client, as_user, conn):
    before = await count(conn)
    r = await client.post(
        "/v1/placenames/import",
        params={"dry_run": True},
        content=CSV.encode(),
        headers={**as_user("alice"), **CSV_TYPE},
    )
    assert r.status_code == 200 and r.json()["rows"] == 4 and r.json()["created"] == 0
    assert await count(conn) == before


async def test_a_csv_import_creates_records_for_review(client, as_user, conn):
    r = await client.post(
        "/v1/placenames/import", content=CSV.encode(), headers={**as_user("alice"), **CSV_TYPE}
    )
    assert r.status_code == 201, r.text
    ids = r.json()["ids"]
    assert r.json()["created"] == 4 and len(ids) == 4
    queue = (await client.get("/v1/placenames/queue", headers=as_user("bob"))).json()["records"]
    assert {q["name"] for q in queue} >= {"岳麓书院", "爱晚亭", "麓山路", "橘子洲大桥"}
    page = await client.get("/v1/placenames/queue", params={"limit": 2, "offset": 1}, headers=as_user("bob"))
    assert page.json()["records"] == queue[1:3] and page.json()["total"] == len(queue)
    assert 'rel="next"' in page.headers["link"] or len(queue) <= 3
    pavilion = (await client.get(f"/v1/placenames/{ids[1]}", headers=as_user("bob"))).json()
    assert pavilion["state"] == "submitted" and pavilion["pinyin"] == "Aiwan Ting"
    assert pavilion["former_names"] == [{"name": "红叶亭", "from": None, "to": None}]
    assert pavilion["geometry"] == {"type": "Point", "coordinates": [112.9366, 28.1855]}
    assert (await client.get(f"/v1/placenames/{ids[1]}")).status_code == 404  # not public before review


async def test_any_invalid_row_rejects_the_whole_file_naming_row_field_and_reason(client, as_user, conn):
    bad = CSV + (
        ",mountain,430104,,,,,\n"  # row 5: no name
        "天马山,castle,430104,,,,,\n"  # row 6: unknown category
        "咸嘉湖,river_lake,999999,,,,,\n"  # row 7: no such county
        "岳麓区,administrative_division,430104,,,,,\n"  # row 8: fine (no parent given: county 430104)
        "麓山路,road_street,430104,,,,,\n"  # row 9: the same as row 3
    )
    before = await count(conn)
    r = await client.post(
        "/v1/placenames/import", content=bad.encode(), headers={**as_user("alice"), **CSV_TYPE}
    )
    assert r.status_code == 422
    errors = [(e["row"], e["field"]) for e in r.json()["errors"]]
    assert errors == [(5, "name"), (6, "category"), (7, "division_code"), (9, "name")]
    assert "row 3" in r.json()["errors"][-1]["reason"]
    assert await count(conn) == before


async def test_a_duplicate_of_a_published_record_is_reported(client, as_user):
    row = "name,category,division_code,parent_code\n岳麓区,administrative_division,430104,430100\n"
    r = await client.post(
        "/v1/placenames/import", content=row.encode(), headers={**as_user("alice"), **CSV_TYPE}
    )
    assert r.status_code == 422 and "duplicates published record" in r.json()["errors"][0]["reason"]


def frame():
    rows = [line.split(",") for line in CSV.strip().splitlines()[1:]]
    geometry = [shapely.Point(float(r[3]), float(r[4])) if r[3] else None for r in rows]
    return gpd.GeoDataFrame(
        {
            "name": [r[0] for r in rows],
            "category": [r[1] for r in rows],
            "division_code": [r[2] for r in rows],
        },
        geometry=geometry,
        crs=4326,
    )


@pytest.mark.parametrize(
    ("fmt", "driver", "suffix"), [("geojson", "GeoJSON", ".geojson"), ("gpkg", "GPKG", ".gpkg")]
)
async def test_geojson_and_geopackage_imports(client, as_user, tmp_path, fmt, driver, suffix):
    path = tmp_path / f"places{suffix}"
    pyogrio.write_dataframe(frame(), path, driver=driver)
    r = await client.post(
        "/v1/placenames/import", params={"format": fmt}, content=path.read_bytes(), headers=as_user("erin")
    )
    assert r.status_code == 201 and r.json()["created"] == 4


async def test_a_zipped_shapefile_import(client, as_user, tmp_path):
    points = frame().iloc[[0, 1, 3]].rename(columns={"division_code": "div_code"})
    pyogrio.write_dataframe(points, tmp_path / "places.shp", driver="ESRI Shapefile", ENCODING="UTF-8")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("places.*"):
            z.write(part, part.name)
    r = await client.post(
        "/v1/placenames/import",
        content=archive.getvalue(),
        headers={**as_user("erin"), "Content-Type": "application/zip"},
    )
    assert r.status_code == 201 and r.json()["created"] == 3


async def test_export_formats_and_reimporting_an_export_reports_duplicates(client, as_user):
    csv = await client.get("/v1/placenames/export", params={"format": "csv", "division": "430100"})
    assert csv.status_code == 200 and "岳麓区" in csv.text and "湖南省 长沙市 岳麓区" in csv.text
    geojson = (
        await client.get("/v1/placenames/export", params={"format": "geojson", "division": "430100"})
    ).json()
    names = {f["properties"]["name"] for f in geojson["features"]}
    assert {"长沙市", "岳麓区", "望城区"} <= names and "崇文区" not in names
    for fmt in ("gpkg", "shp"):
        r = await client.get("/v1/placenames/export", params={"format": fmt, "division": "430104"})
        assert r.status_code == 200
        again = await client.post(
            "/v1/placenames/import",
            params={"format": fmt, "dry_run": True},
            content=r.content,
            headers=as_user("alice"),
        )
        assert again.status_code == 422 and again.json()["errors"][0]["field"] == "name"
        assert json.dumps(again.json(), ensure_ascii=False).count("duplicates published record") == 1
