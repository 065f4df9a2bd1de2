"""``spatial-platform geocode`` on CSV, Parquet and GeoPackage files, in process and on Dask.

The points are real places (天安门, 岳麓区, the Yellow Sea) plus rows with unreadable numbers.
"""

from datetime import date

import geopandas
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from boundaries import OUTPUT_COLUMNS, crs, geocode_file, geocode_on_cluster
from spatial_platform.cli import app
from spatial_platform.cli import geocode as cli_geocode
from spatial_platform.db import run_on

ROWS = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e", "f"],
        "lon": ["116.3975", "112.9389", "east", "123.5", "", "112.9389"],
        "lat": ["39.9087", "28.1776", "28.1", "35.0", "39.9", "95"],
    }
)
COUNTIES = ["110101", "430104", "", "", "", ""]


@pytest.fixture
def geocode_cli(monkeypatch, test_db_name, boundaries_loaded, reverse_geocoder):
    """Run the CLI against the test database, reusing the session's geocoder (its engines)."""
    monkeypatch.setenv("SP_DB_NAME", test_db_name)
    monkeypatch.setattr(cli_geocode, "make_geocoder", lambda: reverse_geocoder)

    def run(*args):
        return CliRunner().invoke(app, ["geocode", *map(str, args)])

    return run


@pytest.fixture(scope="module")
def model(test_dsn, boundaries_loaded, reverse_geocoder):
    return run_on(test_dsn, lambda conn: reverse_geocoder.model_at(conn, date(2024, 6, 1)))


def test_csv_gets_seven_columns_and_bad_rows_are_reported(geocode_cli, tmp_path):
    text = ROWS.to_csv(index=False) + "g,,\nh,112.9389,28.1776\n"  # row 7 has no coordinates
    (tmp_path / "in.csv").write_text(text)
    result = geocode_cli(tmp_path / "in.csv", tmp_path / "out.csv", "--at", "2024-06-01", "--chunksize", 2)
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert list(out.columns) == ["id", "lon", "lat", *OUTPUT_COLUMNS]
    assert out["id"].tolist() == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert out["county_code"].tolist() == [*COUNTIES, "", "430104"]
    assert out["lon"].tolist()[:6] == ROWS["lon"].tolist()
    chain = out.loc[1, ["province_name", "prefecture_name", "county_name"]].tolist()
    assert chain == ["湖南省", "长沙市", "岳麓区"] and out.loc[0, "geometry_kind"] == "surveyed"
    assert "row 3: lon is not a number: 'east'" in result.output
    assert "row 5: lon is empty" in result.output and "row 6: lat must be between" in result.output
    assert "row 7: lon is empty" in result.output
    assert "8 rows, 3 found, 1 outside every division, 4 unreadable (rows 3, 5, 6, 7)" in result.output


def test_parquet_in_gcj02_and_geopackage_points(geocode_cli, tmp_path):
    frame = ROWS.iloc[:2].assign(lon=[116.3975, 112.9389], lat=[39.9087, 28.1776])
    gx, gy = crs.wgs84_to_gcj02(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    frame.assign(x=gx, y=gy).to_parquet(tmp_path / "in.parquet")
    result = geocode_cli(
        tmp_path / "in.parquet",
        tmp_path / "out.parquet",
        "--lon-col",
        "x",
        "--lat-col",
        "y",
        "--crs",
        "gcj02",
    )
    assert result.exit_code == 0, result.output
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["county_code"].tolist() == ["110101", "430104"] and out["x"].tolist() == gx.tolist()

    points = geopandas.GeoDataFrame(
        {"id": ["a", "b", "sea"]},
        geometry=geopandas.points_from_xy([116.3975, 112.9389, 123.5], [39.9087, 28.1776, 35.0]),
        crs=4326,
    )
    points.to_file(tmp_path / "in.gpkg")
    result = geocode_cli(tmp_path / "in.gpkg", tmp_path / "out.gpkg", "--at", "2024-06-01")
    assert result.exit_code == 0, result.output
    out = geopandas.read_file(tmp_path / "out.gpkg")
    assert out["county_code"].tolist()[:2] == ["110101", "430104"] and pd.isna(out.loc[2, "county_code"])
    assert out.geometry.equals(points.geometry)


def test_unknown_columns_and_formats_are_refused(geocode_cli, tmp_path):
    ROWS.to_csv(tmp_path / "in.csv", index=False)
    result = geocode_cli(tmp_path / "in.csv", tmp_path / "out.csv", "--lon-col", "longitude")
    assert result.exit_code == 1 and "no columns 'longitude' and 'lat'" in result.output
    (tmp_path / "in.json").write_text("{}")
    result = geocode_cli(tmp_path / "in.json", tmp_path / "out.json")
    assert result.exit_code == 1 and "unsupported file type" in result.output


def test_the_dask_path_gives_the_same_files_as_the_in_process_path(model, tmp_path, geocode_cli):
    rng = np.random.default_rng(7)
    n = 3_000
    frame = pd.DataFrame({"id": np.arange(n), "lon": rng.uniform(73, 135, n), "lat": rng.uniform(18, 54, n)})
    frame.loc[[10, 2000], "lon"] = np.nan
    frame.to_parquet(tmp_path / "in.parquet", row_group_size=700)
    text = frame.assign(lon=frame["lon"].map(lambda v: "x" if np.isnan(v) else f"{v:.6f}"))
    text.to_csv(tmp_path / "in.csv", index=False)
    geometry = geopandas.points_from_xy(frame.lon, frame.lat)
    geometry[[10, 2000]] = None  # GeoPackage rows without a point
    points = geopandas.GeoDataFrame(frame[["id"]], geometry=geometry, crs=4326)
    points.to_file(tmp_path / "in.gpkg")
    readers = {
        "csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False),
        "parquet": pd.read_parquet,
        "gpkg": geopandas.read_file,
    }
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            for ext, read in readers.items():
                src = tmp_path / f"in.{ext}"
                local = geocode_file(model, src, tmp_path / f"local.{ext}", chunksize=1000)
                dask = geocode_on_cluster(client, model, src, tmp_path / f"dask.{ext}", chunksize=800)
                assert (dask.rows, dask.found, dask.outside, dask.bad) == (n, local.found, local.outside, 2)
                assert [b.row for b in dask.bad_rows] == [b.row for b in local.bad_rows] == [11, 2001]
                a, b = read(tmp_path / f"local.{ext}"), read(tmp_path / f"dask.{ext}")
                assert a.equals(b), ext
                assert 0 < local.found < n
        result = geocode_cli(
            tmp_path / "in.csv",
            tmp_path / "cli.csv",
            "--at",
            "2024-06-01",
            "--scheduler",
            cluster.scheduler_address,
        )
    assert result.exit_code == 0, result.output
    assert readers["csv"](tmp_path / "cli.csv").equals(readers["csv"](tmp_path / "local.csv"))
