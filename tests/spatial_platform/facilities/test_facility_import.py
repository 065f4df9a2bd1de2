"""Facility imports: all or nothing, every bad row reported, division codes from reverse geocoding."""

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from spatial_platform.cli import app as cli
from spatial_platform.facilities.errors import ImportRejected
from spatial_platform.facilities.service import geocoder_locator, import_facility_file

pytestmark = pytest.mark.anyio
TODAY = date(2026, 1, 15)


async def inside(conn, code):
    row = await conn.fetchrow(
        "SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p "
        "FROM division_geometries WHERE code = $1 AND valid_to IS NULL) s",
        code,
    )
    return round(row["lon"], 6), round(row["lat"], 6)


def write_csv(path, rows):
    header = "id,name,kind,lon,lat,beds,operator,opened,closed\n"
    path.write_text(header + "".join(",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8")
    return path


async def test_a_valid_file_is_imported_with_derived_division_codes(conn, changsha, geocoder, tmp_path):
    yuelu, furong = await inside(conn, "430104"), await inside(conn, "430102")
    path = write_csv(
        tmp_path / "homes.csv",
        [
            ("A1", "岳麓区测试养老院", "养老机构", *yuelu, 120, "区民政局", "2015-03-01", ""),
            ("A2", "芙蓉区社区站", "社区养老服务站", *furong, 10, "", "2019", "2024-06-30"),
        ],
    )
    before = await conn.fetchval("SELECT count(*) FROM facilities")
    report = await import_facility_file(conn, path, locate=geocoder_locator(geocoder), today=TODAY)
    assert (report.rows, report.created, report.updated, report.dry_run) == (2, 2, 0, False)
    rows = await conn.fetch(
        "SELECT external_id, kind, county_code, prefecture_code, province_code, beds, opened, closed, source "
        "FROM facilities WHERE source = 'homes.csv' ORDER BY external_id"
    )
    assert [(r["external_id"], r["kind"], r["county_code"]) for r in rows] == [
        ("A1", "elderly_care_institution", "430104"),
        ("A2", "community_elderly_care", "430102"),
    ]
    assert {(r["prefecture_code"], r["province_code"]) for r in rows} == {("430100", "430000")}
    assert rows[1]["opened"] == date(2019, 1, 1) and rows[1]["closed"] == date(2024, 6, 30)
    assert await conn.fetchval("SELECT count(*) FROM facilities") == before + 2
    again = await import_facility_file(conn, path, locate=geocoder_locator(geocoder), today=TODAY)
    assert (again.created, again.updated) == (0, 2)


async def test_one_bad_row_rejects_the_file_and_every_problem_is_listed(conn, changsha, geocoder, tmp_path):
    yuelu = await inside(conn, "430104")
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ("B1", "好的养老院", "养老机构", *yuelu, 80, "", "2010", ""),
            ("B2", "", "养老机构", *yuelu, 80, "", "", ""),
            ("B3", "未知类型", "医院", *yuelu, -5, "", "2020-13-01", ""),
            ("B4", "海上", "敬老院", 0, 0, 30, "", "", ""),
            ("B5", "关在开之前", "敬老院", *yuelu, 30, "", "2020", "2019"),
        ],
    )
    before = await conn.fetchval("SELECT count(*) FROM facilities")
    with pytest.raises(ImportRejected) as caught:
        await import_facility_file(conn, path, locate=geocoder_locator(geocoder), today=TODAY)
    found = {(e["row"], e["field"]) for e in caught.value.errors}
    assert found == {(2, "name"), (3, "kind"), (3, "beds"), (3, "opened"), (4, "location"), (5, "closed")}
    assert "lies outside every division" in next(e for e in caught.value.errors if e["row"] == 4)["reason"]
    assert str(caught.value) == "6 invalid row(s) of 5; nothing was imported"
    assert await conn.fetchval("SELECT count(*) FROM facilities") == before


async def test_a_dry_run_counts_but_writes_nothing(conn, changsha, geocoder, tmp_path):
    path = write_csv(
        tmp_path / "dry.csv", [("D1", "试运行", "养老机构", *await inside(conn, "430105"), 50, "", "", "")]
    )
    report = await import_facility_file(
        conn, path, locate=geocoder_locator(geocoder), dry_run=True, today=TODAY
    )
    assert (report.created, report.dry_run) == (1, True)
    assert await conn.fetchval("SELECT count(*) FROM facilities WHERE source = 'dry.csv'") == 0


async def test_geojson_points_in_gcj02_are_converted_before_locating(conn, changsha, geocoder, tmp_path):
    from boundaries import crs

    lon, lat = await inside(conn, "430111")
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(glon), float(glat)]},
        "properties": {"name": "雨花区救助管理站", "kind": "relief_station", "capacity": 40},
    }
    path = tmp_path / "stations.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    await import_facility_file(conn, path, locate=geocoder_locator(geocoder), crs="gcj02", today=TODAY)
    row = await conn.fetchrow(
        "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, county_code, capacity FROM facilities "
        "WHERE source = $1",
        "stations.geojson",
    )
    assert row["county_code"] == "430111" and row["capacity"] == 40
    assert row["lon"] == pytest.approx(lon, abs=1e-5) and row["lat"] == pytest.approx(lat, abs=1e-5)


def test_the_cli_prints_each_bad_row_and_exits_1(tmp_path, test_db_name, loaded, monkeypatch):
    monkeypatch.setenv("SP_DB_NAME", test_db_name)
    path = write_csv(tmp_path / "cli.csv", [("C1", "某院", "医院", 112.9, 28.2, 10, "", "", "")])
    result = CliRunner().invoke(cli, ["facilities", "import", str(path)])
    assert result.exit_code == 1
    assert "row 1, kind: kind '医院' is not a known facility kind" in result.output
    assert "nothing was imported" in result.output
