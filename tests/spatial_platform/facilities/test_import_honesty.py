"""Facility and population imports refuse damaged files (naming the line), read Chinese Excel CSVs
(GBK/GB18030) and UTF-8 with a BOM, and refuse numbers no real facility or population has."""

from datetime import date

import pytest
from typer.testing import CliRunner

from spatial_platform.app import create_app
from spatial_platform.cli import app as cli
from spatial_platform.facilities.errors import ImportRejected, ProblemTooLarge, UnreadableFile
from spatial_platform.facilities.readers import read_table
from spatial_platform.facilities.service import geocoder_locator, import_facility_file
from spatial_platform.populations.service import import_population_file
from spatial_platform.settings import ApiSettings, Settings
from tests.http import app_client

pytestmark = pytest.mark.anyio
TODAY = date(2026, 1, 15)
FACILITIES = (
    "id,name,kind,lon,lat,beds\n"
    "H1,岳麓区颐养院,养老机构,112.9394,28.1829,120\n"
    "H2,岳麓区敬老院,敬老院,112.9366,28.1855,101000\n"
)
POPULATIONS = "division_code,year,band,count\n430104,2020,60+,101000\n430104,2020,65+,70000\n"
DAMAGED = {
    "last row cut": (lambda text: text[:-4], 3, "does not end with a line break"),
    "unterminated quote": (lambda text: text.replace(",1", ',"1', 1), 2, "quoted field is never closed"),
    "short row": (lambda text: text + "430104,2021\n", 4, "has 2 fields, the header has"),
}


@pytest.mark.parametrize("damage", DAMAGED, ids=list(DAMAGED))
async def test_a_damaged_population_csv_is_refused_naming_the_line(conn, tmp_path, damage):
    cut, line, words = DAMAGED[damage]
    path = tmp_path / "pop.csv"
    path.write_text(cut(POPULATIONS), encoding="utf-8")
    with pytest.raises(UnreadableFile) as caught:
        await import_population_file(conn, path, today=TODAY)
    assert f"line {line}" in str(caught.value) and words in str(caught.value)
    assert caught.value.body == {"line": line}
    assert await conn.fetchval("SELECT count(*) FROM populations WHERE source = 'pop.csv'") == 0


@pytest.mark.parametrize("damage", DAMAGED, ids=list(DAMAGED))
async def test_a_damaged_facility_csv_is_refused_naming_the_line(conn, changsha, geocoder, tmp_path, damage):
    cut, line, _ = DAMAGED[damage]
    path = tmp_path / "homes.csv"
    text = cut(FACILITIES) if damage != "short row" else FACILITIES + "H3,某院\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UnreadableFile) as caught:
        await import_facility_file(conn, path, locate=geocoder_locator(geocoder), today=TODAY)
    expected = 4 if damage == "short row" else line
    assert f"line {expected}" in str(caught.value)
    assert await conn.fetchval("SELECT count(*) FROM facilities WHERE source = 'homes.csv'") == 0


async def test_the_cut_value_is_not_imported_over_http(client, conn, changsha, as_user):
    """101000 cut to 101 would pass every cell check: the missing line break gives it away."""
    r = await client.post(
        "/v1/facilities/import?format=csv", content=FACILITIES[:-4].encode(), headers=as_user("alice")
    )
    assert r.status_code == 422, r.text
    assert r.json()["line"] == 3 and "cut off" in r.json()["detail"] and r.json()["field"] == "file"
    r = await client.post(
        "/v1/populations/import",
        content=POPULATIONS.replace("70000\n", "70000").encode(),
        headers={**as_user("alice"), "Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and r.json()["line"] == 3


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
async def test_excel_encodings_are_read(conn, changsha, geocoder, tmp_path, encoding):
    pop = tmp_path / "pop.csv"
    pop.write_bytes(POPULATIONS.replace("division_code", "区划代码").encode(encoding))
    report = await import_population_file(conn, pop, today=TODAY)
    assert (report.rows, report.created + report.updated) == (2, 2)
    homes = tmp_path / "homes.csv"
    homes.write_bytes(FACILITIES.replace("name", "名称").encode(encoding))
    report = await import_facility_file(conn, homes, locate=geocoder_locator(geocoder), today=TODAY)
    assert report.created == 2
    names = await conn.fetch(
        "SELECT name, beds FROM facilities WHERE source = 'homes.csv' ORDER BY external_id"
    )
    assert [(r["name"], r["beds"]) for r in names] == [("岳麓区颐养院", 120), ("岳麓区敬老院", 101000)]


def test_an_undecodable_file_is_refused_naming_line_and_byte(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_bytes(b"division_code,year,band,count\n430104,2020,60+,1000\n430104,2020,\xff\xfe,5\n")
    with pytest.raises(UnreadableFile) as caught:
        read_table(path)
    message = str(caught.value)
    assert "neither UTF-8" in message and "GB18030" in message
    assert "byte 0xFF at line 3" in message and caught.value.body == {"line": 3}


async def test_an_undecodable_upload_answers_422(client, as_user):
    r = await client.post(
        "/v1/populations/import",
        content="division_code,year\n".encode("utf-16"),
        headers={**as_user("alice"), "Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and "neither UTF-8" in r.json()["detail"] and r.json()["field"] == "file"


async def test_beds_beyond_any_facility_are_refused_naming_row_and_field(conn, changsha, geocoder, tmp_path):
    path = tmp_path / "homes.csv"
    path.write_text(FACILITIES.replace(",120\n", ",3000000000\n"), encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        await import_facility_file(conn, path, locate=geocoder_locator(geocoder), today=TODAY)
    assert [(e["row"], e["field"]) for e in caught.value.errors] == [(1, "beds")]
    assert "beds must be at most 1000000, got '3000000000'" in caught.value.errors[0]["reason"]


async def test_beds_over_http_answer_422_not_500(client, changsha, as_user):
    body = FACILITIES.replace(",120\n", ",3000000000\n").replace("beds", "capacity")
    r = await client.post("/v1/facilities/import?format=csv", content=body.encode(), headers=as_user("alice"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["row"] == 1 and r.json()["errors"][0]["field"] == "capacity"


async def test_a_count_beyond_the_population_of_china_is_refused(client, conn, as_user, tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text(POPULATIONS.replace("101000", "1e20"), encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        await import_population_file(conn, path, today=TODAY)
    assert [(e["row"], e["field"]) for e in caught.value.errors] == [(1, "count")]
    assert "count must be at most 2000000000" in caught.value.errors[0]["reason"]
    wide = "division_code,year,total,60+\n430104,2020,1e20,5\n"
    r = await client.post(
        "/v1/populations/import",
        content=wide.encode(),
        headers={**as_user("alice"), "Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and (r.json()["errors"][0]["row"], r.json()["errors"][0]["field"]) == (
        1,
        "total",
    )


def test_row_and_feature_limits(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text(POPULATIONS + "430104,2021,60+,5\n", encoding="utf-8")
    with pytest.raises(ProblemTooLarge, match="more than 2 rows"):
        read_table(path, max_rows=2)
    geojson = tmp_path / "homes.geojson"
    feature = '{"type":"Feature","geometry":{"type":"Point","coordinates":[112.9,28.2]},"properties":{}}'
    geojson.write_text('{"type":"FeatureCollection","features":[' + ",".join([feature] * 3) + "]}")
    with pytest.raises(ProblemTooLarge, match="3 features; at most 2"):
        read_table(geojson, max_rows=2)
    assert len(read_table(geojson, max_rows=3).rows) == 3


def test_the_cli_names_the_line_and_exits_1(tmp_path, test_db_name, loaded, monkeypatch):
    monkeypatch.setenv("SP_DB_NAME", test_db_name)
    path = tmp_path / "cut.csv"
    path.write_text(POPULATIONS[:-4], encoding="utf-8")
    result = CliRunner().invoke(cli, ["populations", "import", str(path)])
    assert result.exit_code == 1
    assert "line 3 does not end with a line break" in result.output


async def test_the_upload_byte_limit_of_the_settings_applies_to_both_imports(
    conn, db_settings, geocoder, as_user
):
    app = create_app(Settings.from_env(database=db_settings, api=ApiSettings(import_max_bytes=10)))
    app.state.reverse_geocoder = geocoder
    async with app_client(app, conn) as http:
        for path, body in (("/v1/facilities/import", FACILITIES), ("/v1/populations/import", POPULATIONS)):
            r = await http.post(f"{path}?format=csv", content=body.encode(), headers=as_user("alice"))
            assert r.status_code == 413 and r.json()["field"] == "file", r.text
            assert "at most 10" in r.json()["detail"]
