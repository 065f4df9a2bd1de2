"""Bulk export: every division at a date with its boundary, readable by GDAL and geopandas."""

import hashlib
import subprocess

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from spatial_platform.cli import app
from tests.spatial_platform.cli.test_cli import _env

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("fmt", ["gpkg", "geoparquet", "geojson", "csv", "shp"])
async def test_each_format_holds_the_snapshot_with_provenance(reverse_client, fmt, tmp_path):
    client = reverse_client
    r = await client.get(
        "/v1/divisions/export", params={"at": "2010-12-31", "parent": "430100", "format": fmt}
    )
    assert r.status_code == 200, r.text
    name = r.headers["content-disposition"].split('filename="')[1].rstrip('"')
    assert name.startswith("divisions-2010-12-31-v")
    assert r.headers["x-checksum-sha256"] == hashlib.sha256(r.content).hexdigest()
    path = tmp_path / name
    path.write_bytes(r.content)
    frame = (
        gpd.read_parquet(path)
        if fmt == "geoparquet"
        else gpd.read_file(f"zip://{path}" if fmt == "shp" else path, engine="pyogrio")
    )
    snapshot = (await client.get("/v1/divisions", params={"at": "2010-12-31", "parent": "430100"})).json()
    assert set(frame["code"]) == {d["code"] for d in snapshot["divisions"]}
    row = frame[frame["code"] == "430122"].iloc[0]
    assert row["name"] == "望城县" and row["provenance"] in ("surveyed", "derived")
    if fmt != "csv":
        known = frame["provenance"] != "none"  # where the exact area is unknown there is no boundary yet
        assert frame.geometry[known].notna().all() and frame.geometry[~known].isna().all()
        assert known.sum() >= 6 and frame.crs.to_epsg() == 4326
    if fmt != "geoparquet":  # Debian's GDAL 3.6 has no (Geo)Parquet driver; geopandas read it above
        info = subprocess.run(
            ["ogrinfo", "-ro", "-so", "-al", f"/vsizip/{path}" if fmt == "shp" else str(path)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert info.returncode == 0 and "Feature Count: " in info.stdout, info.stderr


async def test_the_export_flags_approximate_boundaries(reverse_client, tmp_path):
    r = await reverse_client.get(
        "/v1/divisions/export",
        params={
            "at": "2024-12-31",
            "level": "prefecture",
            "parent": "410000",
            "format": "geojson",
        },
    )
    path = tmp_path / "henan.geojson"
    path.write_bytes(r.content)
    frame = gpd.read_file(path, engine="pyogrio").set_index("code")
    assert frame.loc["410100", "provenance"] == "approximate" and frame.loc["410100"].geometry is not None
    assert frame.loc["410300", "provenance"] in ("surveyed", "derived")


async def test_a_bad_format_names_the_field(client):
    r = await client.get("/v1/divisions/export", params={"format": "kml"})
    assert r.status_code == 422 and r.json()["field"] == "format"


def test_the_cli_writes_the_file_and_prints_its_checksum(
    boundaries_loaded, db_settings, test_db_name, tmp_path
):
    env = _env(db_settings, test_db_name)
    r = CliRunner().invoke(
        app,
        ["export", "divisions", "--at", "2020", "--format", "gpkg", "--level", "province",
         "--out", str(tmp_path)],
        env=env,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    path, count, sha = r.output.strip().split("\t")
    assert path.endswith(".gpkg") and count == "34 divisions"
    assert sha.split()[1] == hashlib.sha256(open(path, "rb").read()).hexdigest()
    assert len(gpd.read_file(path)) == 34
