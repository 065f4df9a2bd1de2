"""/v1/planning on a hand-built case in 岳麓区 (real boundary) whose answers are worked out by hand.

Three grid cells of older residents: A (100) at a point P, B (200) 600 m east of P, C (300) 3 km
north of P. Home F1 (50 beds, open since 2010) is 300 m east of P: A and B are within 1 km, C is
not. Home F2 (30 beds) sits on C and opens on 2023-01-01. The county count of 60+ is 2,000.
"""

from pathlib import Path

import pytest
from pyproj import Geod

pytestmark = pytest.mark.anyio
GEOD = Geod(ellps="WGS84")


def move(lon, lat, azimuth, metres):
    x, y, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return x, y


@pytest.fixture
async def case(conn, changsha):
    for table in ("facilities", "population_cells", "populations"):
        await conn.execute(f"DELETE FROM {table}")
    p = await conn.fetchrow(
        "SELECT ST_X(c) AS lon, ST_Y(c) AS lat FROM (SELECT ST_PointOnSurface(geom) AS c "
        "FROM division_geometries WHERE code = '430104' AND valid_to IS NULL) s"
    )
    a = (p["lon"], p["lat"])
    b, c, f1 = move(*a, 90, 600), move(*a, 0, 3000), move(*a, 90, 300)
    for (lon, lat), count in ((a, 100), (b, 200), (c, 300)):
        await conn.execute(
            "INSERT INTO population_cells (year, band, count, geom, source) "
            "VALUES (2022, '60+', $1, ST_SetSRID(ST_MakePoint($2, $3), 4326), 'hand')",
            count,
            lon,
            lat,
        )
        inside = await conn.fetchval(
            "SELECT ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) FROM division_geometries "
            "WHERE code = '430104' AND valid_to IS NULL",
            lon,
            lat,
        )
        assert inside, "the hand-built case must lie inside 岳麓区"
    for name, (lon, lat), beds, opened in (("F1", f1, 50, "2010-01-01"), ("F2", c, 30, "2023-01-01")):
        await conn.execute(
            "INSERT INTO facilities (name, kind, geom, beds, opened, county_code, divisions_at, source) "
            "VALUES ($1, 'elderly_care_institution', ST_SetSRID(ST_MakePoint($2, $3), 4326), $4, "
            "$5::text::date, '430104', '2026-01-01', 'hand')",
            name,
            lon,
            lat,
            beds,
            opened,
        )
    await conn.execute(
        "INSERT INTO populations (division_code, version_id, year, band, count, source) "
        "SELECT '430104', id, 2022, '60+', 2000, 'hand' FROM division_versions "
        "WHERE code = '430104' AND valid_to IS NULL"
    )
    return {"c": c}


async def test_coverage_counts_who_is_within_1_km_at_each_date(client, case):
    r = await client.get("/v1/planning/coverage", params={"division": "430104", "at": "2022-06-30"})
    assert r.status_code == 200
    body = r.json()
    assert body["totals"]["population"] == 600 and body["totals"]["covered"] == 300
    assert body["totals"]["share"] == pytest.approx(0.5) and body["totals"]["uncovered"] == 300
    (row,) = body["divisions"]
    assert (row["division"], row["name"], row["uncovered"]) == ("430104", "岳麓区", 300)
    inputs = body["inputs"]
    assert (inputs["at"], inputs["radius_m"], inputs["population_year"]) == ("2022-06-30", 1000.0, 2022)
    assert inputs["demand"] == "population grid cells of 2022" and inputs["facilities"] == 1
    later = (await client.get("/v1/planning/coverage", params={"division": "430104", "at": "2024"})).json()
    assert later["totals"]["share"] == pytest.approx(1.0) and later["inputs"]["facilities"] == 2
    wider = await client.get(
        "/v1/planning/coverage", params={"division": "430104", "at": "2022-06", "radius": 3500}
    )
    assert wider.json()["totals"]["covered"] == 600


async def test_beds_per_thousand_against_the_planners_target(client, case):
    r = await client.get(
        "/v1/planning/beds-per-1000", params={"division": "430104", "at": "2022-12-31", "target": 30}
    )
    (row,) = r.json()["divisions"]
    # 50 beds for 2,000 older residents = 25 per 1,000; 30 per 1,000 needs 60 beds
    assert (row["beds"], row["per_1000"], row["meets_target"], row["shortfall_beds"]) == (50, 25, False, 10)
    assert r.json()["inputs"]["target_per_1000"] == 30
    r2024 = await client.get(
        "/v1/planning/beds-per-1000", params={"division": "430104", "at": "2024", "target": 30}
    )
    assert r2024.json()["divisions"][0]["per_1000"] == 40


async def test_accessibility_by_2sfca(client, case):
    r = await client.get(
        "/v1/planning/accessibility", params={"division": "430104", "at": "2022-06-30", "per": "cell"}
    )
    body = r.json()
    # F1's 50 beds are shared by A and B (300 people): 1/6 bed each, C reaches nothing
    by_population = {c["population"]: c["access_per_1000"] for c in body["cells"]}
    assert by_population[100] == pytest.approx(1000 / 6) and by_population[300] == 0
    assert body["totals"]["access_per_1000"] == pytest.approx(50 / 600 * 1000)


async def test_mclp_picks_the_uploaded_site_next_to_the_uncovered_cell(client, case):
    c = case["c"]
    near_c, far = move(*c, 180, 100), move(*c, 0, 20_000)
    body = {
        "division": "430104",
        "at": "2022-06-30",
        "method": "mclp",
        "p": 1,
        "candidates": [{"lon": far[0], "lat": far[1]}, {"lon": near_c[0], "lat": near_c[1]}],
    }
    r = await client.post("/v1/planning/sites", json=body)
    out = r.json()
    assert r.status_code == 200 and out["status"] == "Optimal"
    assert [s["candidate"] for s in out["sites"]] == [1] and out["sites"][0]["division"] == "430104"
    assert out["summary"]["covered_before"] == 300 and out["summary"]["added_coverage"] == 300
    assert out["inputs"]["p"] == 1 and out["inputs"]["candidates"]["source"] == "uploaded"
    assert out["inputs"]["candidates"]["points"][1] == [round(near_c[0], 6), round(near_c[1], 6)]


async def test_p_median_with_a_grid_of_candidates_reduces_the_mean_distance(client, case):
    body = {"division": "430104", "at": "2022-06-30", "method": "p-median", "p": 1, "candidate_spacing": 2000}
    out = (await client.post("/v1/planning/sites", json=body)).json()
    assert out["inputs"]["candidates"]["source"] == "grid inside the division"
    assert out["summary"]["mean_distance_after_m"] < out["summary"]["mean_distance_before_m"]


async def test_bad_parameters_are_422_naming_the_field(client, case):
    r = await client.get("/v1/planning/coverage", params={"division": "43010", "at": "2022"})
    assert r.status_code == 422 and r.json()["field"] == "division"
    r = await client.get("/v1/planning/coverage", params={"division": "430104", "at": "2022-02-30"})
    assert r.status_code == 422 and r.json()["field"] == "at"
    r = await client.post(
        "/v1/planning/sites", json={"division": "430104", "p": 1, "candidates": [{"lon": "x"}]}
    )
    assert r.status_code == 422 and r.json()["field"] == "candidates[0]"
    # 和康县 (2024) is newer than every boundary source: there is no geometry to plan on.
    r = await client.get("/v1/planning/coverage", params={"division": "653228", "at": "2024-12-31"})
    assert r.status_code == 409 and "no boundary geometry for 653228" in r.json()["detail"]


async def test_the_map_is_a_folium_page_with_every_layer(client, case):
    r = await client.get("/v1/planning/map", params={"division": "430104", "at": "2022-06-30", "suggest": 1})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    for layer in (
        "60+ population",
        "uncovered (beyond 1000 m)",
        "service radius 1000 m",
        "facilities",
        "suggested sites",
    ):
        assert layer in page
    assert "岳麓区" in page


DRAW_OFFLINE = """
import json, sys
from playwright.sync_api import sync_playwright
from tests.tile_server.test_web_map import ARGS, CHROMIUM

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    page = browser.new_page()
    blocked = []
    page.route("http*://**", lambda route: (blocked.append(route.request.url), route.abort()))
    page.goto(sys.argv[1])
    page.wait_for_function("() => document.querySelectorAll('path.leaflet-interactive').length > 0",
                           timeout=30_000)
    found = page.evaluate("() => ({leaflet: typeof L,"
                          " paths: document.querySelectorAll('path.leaflet-interactive').length,"
                          " legend: document.querySelectorAll('svg').length})")
    browser.close()
print(json.dumps({**found, "blocked": blocked}))
"""


def _draw_offline(path) -> dict:
    """Open the page in Chromium with every network request refused (in its own process)."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", DRAW_OFFLINE, path.as_uri()], capture_output=True, text=True, timeout=180,
        check=False, cwd=Path(__file__).resolve().parents[3],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


async def test_the_map_draws_without_internet(client, case, tmp_path):
    import anyio

    r = await client.get("/v1/planning/map", params={"division": "430104", "at": "2022-06-30", "suggest": 1})
    assert "cdn.jsdelivr" not in r.text and "cdnjs" not in r.text and "code.jquery" not in r.text
    path = tmp_path / "map.html"
    path.write_text(r.text, encoding="utf-8")
    drawn = await anyio.to_thread.run_sync(_draw_offline, path)  # Chromium in a process of its own
    assert drawn["leaflet"] == "object" and drawn["paths"] > 0 and drawn["legend"] > 0
    assert all("tile.openstreetmap.org" in url for url in drawn["blocked"])  # only the background
