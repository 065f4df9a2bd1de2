"""Place-name imports refuse damaged files, zip bombs and oversized uploads; read GBK/GB18030 and
UTF-8 with BOM; exports do not hand spreadsheets formulas; out-of-range ids answer 422, not 500."""

import csv
import io
import zipfile

import geopandas as gpd
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from spatial_platform.cli import app as cli
from tests.http import app_client
from tests.placenames.conftest import make_app

pytestmark = pytest.mark.anyio

CSV = """name,category,division_code,longitude,latitude,meaning
岳麓书院,memorial_scenic,430104,112.9394,28.1829,北宋开宝九年（976年）创建的书院
爱晚亭,memorial_scenic,430104,112.9366,28.1855,取杜牧“停车坐爱枫林晚”诗意
麓山路,road_street,430104,,,
"""
CSV_TYPE = {"Content-Type": "text/csv"}
DAMAGED = {
    "last row cut": (CSV[:-6], 4, "does not end with a line break"),
    "unterminated quote": (CSV.replace(",北宋", ',"北宋'), 2, "quoted field is never closed"),
    "short row": (CSV + "橘子洲大桥,bridge\n", 5, "line 5 has 2 fields, the header has 6"),
}


async def count(conn):
    return await conn.fetchval("SELECT count(*) FROM placenames")


@pytest.mark.parametrize("damage", DAMAGED, ids=list(DAMAGED))
async def test_a_damaged_csv_is_refused_naming_the_line(client, as_user, conn, damage):
    body, line, words = DAMAGED[damage]
    before = await count(conn)
    r = await client.post(
        "/v1/placenames/import", content=body.encode(), headers={**as_user("alice"), **CSV_TYPE}
    )
    assert r.status_code == 422, r.text
    assert r.json()["line"] == line and words in r.json()["detail"] and r.json()["field"] == "file"
    assert await count(conn) == before


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
async def test_excel_encodings_are_read(client, as_user, encoding):
    r = await client.post(
        "/v1/placenames/import", content=CSV.encode(encoding), headers={**as_user("alice"), **CSV_TYPE}
    )
    assert r.status_code == 201, r.text
    first = (await client.get(f"/v1/placenames/{r.json()['ids'][0]}", headers=as_user("bob"))).json()
    assert first["name"] == "岳麓书院" and first["meaning"].startswith("北宋开宝九年")
    assert first["geometry"] == {"type": "Point", "coordinates": [112.9394, 28.1829]}


async def test_an_undecodable_csv_is_refused_naming_the_problem(client, as_user):
    body = CSV.encode("gbk") + b"\x80bad,mountain,430104,,,\n"
    r = await client.post("/v1/placenames/import", content=body, headers={**as_user("alice"), **CSV_TYPE})
    assert r.status_code == 422, r.text
    assert "neither UTF-8" in r.json()["detail"] and "GB18030" in r.json()["detail"]
    assert "byte 0x80 at line 5" in r.json()["detail"]


def test_the_cli_refuses_a_cut_file_with_its_line(test_db_name, seeded, tokens, tmp_path):
    path = tmp_path / "cut.csv"
    path.write_bytes(CSV[:-6].encode("gb18030"))
    env = {"SP_DB_NAME": test_db_name, "DATABASE_URL": ""}
    r = CliRunner().invoke(cli, ["placenames", "import", str(path), "--user", "alice"], env=env)
    assert r.exit_code == 1 and "line 4 does not end with a line break" in r.output


def test_the_cli_takes_a_forced_encoding_and_refuses_a_wrong_one(test_db_name, seeded, tokens, tmp_path):
    path = tmp_path / "places.csv"
    path.write_bytes(CSV.encode("gbk"))
    env = {"SP_DB_NAME": test_db_name, "DATABASE_URL": ""}
    args = ["placenames", "import", str(path), "--user", "alice", "--dry-run", "--encoding"]
    wrong = CliRunner().invoke(cli, [*args, "utf-8"], env=env)
    assert wrong.exit_code == 1 and "not UTF-8 text" in wrong.output and "at line 2" in wrong.output
    right = CliRunner().invoke(cli, [*args, "gbk"], env=env)
    assert right.exit_code == 0 and "all 3 rows are valid" in right.output, right.output


def shapefile_zip(folder, features: int = 3, padding: int = 0) -> bytes:
    """A zipped point shapefile, optionally with a member of ``padding`` zero bytes (a zip bomb)."""
    frame = gpd.GeoDataFrame(
        {"name": [f"测试点{i}" for i in range(features)], "category": ["mountain"] * features},
        geometry=[shapely.Point(112.93 + i / 1000, 28.18) for i in range(features)],
        crs=4326,
    ).assign(div_code="430104")
    pyogrio.write_dataframe(frame, folder / "places.shp", driver="ESRI Shapefile", ENCODING="UTF-8")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for part in folder.glob("places.*"):
            z.write(part, part.name)
        if padding:
            with z.open("places.txt", "w") as member:
                for _ in range(padding // (1 << 20)):
                    member.write(bytes(1 << 20))
    return archive.getvalue()


@pytest.fixture
async def small_limits(conn, seeded, tokens, db_settings):
    app = make_app(db_settings, import_max_rows=2, import_max_expanded_bytes=8 * 1024 * 1024)
    async with app_client(app, conn) as http:
        yield http


async def test_a_zip_bomb_is_refused_before_it_is_unpacked(small_limits, as_user, conn, tmp_path):
    bomb = shapefile_zip(tmp_path, features=2, padding=64 * 1024 * 1024)
    assert len(bomb) < 200_000  # 64 MB of zeros compress to almost nothing
    before = await count(conn)
    r = await small_limits.post(
        "/v1/placenames/import", content=bomb, headers={**as_user("erin"), "Content-Type": "application/zip"}
    )
    assert r.status_code == 413, r.text
    assert "expands to" in r.json()["detail"] and "at most 8388608" in r.json()["detail"]
    assert await count(conn) == before


async def test_too_many_features_or_rows_are_refused_naming_the_limit(small_limits, as_user, tmp_path):
    r = await small_limits.post(
        "/v1/placenames/import",
        params={"dry_run": True},
        content=shapefile_zip(tmp_path, features=3),
        headers={**as_user("erin"), "Content-Type": "application/zip"},
    )
    assert r.status_code == 413 and "3 features; at most 2" in r.json()["detail"]
    r = await small_limits.post(
        "/v1/placenames/import",
        params={"dry_run": True},
        content=CSV.encode(),
        headers={**as_user("erin"), **CSV_TYPE},
    )
    assert r.status_code == 413 and "more than 2 rows" in r.json()["detail"]
    ok = await small_limits.post(
        "/v1/placenames/import",
        params={"dry_run": True},
        content=shapefile_zip(tmp_path, features=2),
        headers={**as_user("erin"), "Content-Type": "application/zip"},
    )
    assert ok.status_code == 200, ok.text


async def test_an_exported_csv_does_not_hand_a_spreadsheet_formulas(client, as_user):
    formula = '=HYPERLINK("http://evil.example","点我")'
    body = {"name": formula, "category": "mountain", "division_code": "430104", "meaning": "@SUM(A1)"}
    r = await client.post("/v1/placenames", json=body, headers=as_user("alice"))
    assert r.status_code == 201, r.text
    url = f"/v1/placenames/{r.json()['id']}"
    assert (await client.post(f"{url}/submit", headers=as_user("alice", 1))).status_code == 200
    assert (await client.post(f"{url}/approve", headers=as_user("bob", 2))).status_code == 200
    exported = await client.get("/v1/placenames/export", params={"format": "csv", "division": "430104"})
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    ours = next(row for row in rows if "HYPERLINK" in row["name"])
    assert ours["name"] == "'" + formula and ours["meaning"] == "'@SUM(A1)"
    assert all(not row["name"].startswith(("=", "+", "-", "@")) for row in rows)
    # the JSON formats keep the name as it is
    geojson = await client.get("/v1/placenames/export", params={"format": "geojson", "division": "430104"})
    assert formula in {f["properties"]["name"] for f in geojson.json()["features"]}


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/v1/placenames/99999999999999999999", 422),
        ("/v1/placenames/9223372036854775807", 404),
        ("/v1/placenames/0", 422),
        ("/v1/placenames/1/compare?from=2147483648&to=1", 422),
        ("/v1/placenames/1/versions/2147483648", 422),
        ("/v1/placenames/99999999999999999999/history", 422),
        ("/tiles/divisions/99999999999/1/1.mvt", 422),
    ],
)
async def test_out_of_range_numbers_in_urls_answer_422_or_404(client, url, status):
    r = await client.get(url)
    assert r.status_code == status, r.text
