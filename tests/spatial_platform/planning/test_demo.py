"""The synthetic demo: labelled, inside the real boundaries, reproducible, and usable by every measure."""

import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from spatial_platform.cli import app as cli
from spatial_platform.planning.synthetic import synthesize

pytestmark = pytest.mark.anyio


async def test_every_demo_row_is_labelled_synthetic(conn, demo):
    assert demo["divisions"] == 9 and demo["facilities"] > 100 and demo["source"] == "synthetic"
    facilities = await conn.fetch("SELECT name, source, synthetic FROM facilities WHERE source = 'synthetic'")
    assert len(facilities) == demo["facilities"]
    assert all(f["synthetic"] and f["name"].endswith("(合成)") for f in facilities)
    bands = await conn.fetch(
        "SELECT division_code, band, count, synthetic FROM populations "
        "WHERE source = 'synthetic' AND year = 2023"
    )
    assert len(bands) == 36 and all(b["synthetic"] for b in bands)
    by_band = pd.DataFrame([dict(b) for b in bands]).pivot(
        index="division_code", columns="band", values="count"
    )
    assert (by_band["total"] >= by_band["60+"]).all() and (by_band["65+"] >= by_band["80+"]).all()


async def test_facilities_lie_inside_the_real_boundary_of_their_derived_county(conn, demo):
    outside = await conn.fetchval(
        """
        SELECT count(*) FROM facilities f
        LEFT JOIN division_geometries g ON g.code = f.county_code AND g.valid_to IS NULL
        WHERE f.source = 'synthetic' AND (g.id IS NULL OR NOT ST_Contains(g.geom, f.geom))
        """
    )
    assert outside == 0


def test_the_same_seed_gives_the_same_set_and_another_seed_another():
    units = pd.DataFrame({"code": ["X"], "name": ["某区"], "parent_code": ["P"]})
    square = [shapely.box(0, 0, 5000, 5000)]

    def lonlat(x, y):
        return x / 100_000 + 112, y / 100_000 + 28

    first, again, other = (synthesize(units, square, lonlat, seed, 2023) for seed in (1, 1, 2))
    assert first.facilities == again.facilities and first.populations == again.populations
    assert first.populations != other.populations


async def test_coverage_of_the_demo_city_adds_up(client, demo):
    r = await client.get("/v1/planning/coverage", params={"division": "430100", "at": "2024"})
    body = r.json()
    assert r.status_code == 200 and len(body["divisions"]) == 9
    assert 0 < body["totals"]["share"] < 1
    assert sum(d["population"] for d in body["divisions"]) == pytest.approx(body["totals"]["population"])
    assert body["inputs"]["demand"] == "population grid cells of 2023"


async def test_facilities_closed_before_the_date_are_left_out(conn, client, demo):
    at = "2024-12-31"
    expected = await conn.fetchval(
        """
        SELECT count(*) FROM facilities WHERE source = 'synthetic' AND open_period @> $1::date
          AND kind IN ('elderly_care_institution', 'community_elderly_care', 'extreme_poverty_support')
        """,
        pd.Timestamp(at).date(),
    )
    body = (
        await client.get("/v1/planning/beds-per-1000", params={"division": "430100", "at": at, "target": 35})
    ).json()
    assert sum(d["facilities"] for d in body["divisions"]) == expected
    closed = await conn.fetchval(
        "SELECT count(*) FROM facilities WHERE source = 'synthetic' AND closed <= $1", pd.Timestamp(at).date()
    )
    assert closed > 0


def test_the_cli_rewrites_the_same_set(test_db_name, demo, monkeypatch):
    monkeypatch.setenv("SP_DB_NAME", test_db_name)
    result = CliRunner().invoke(
        cli, ["demo", "synthesize", "--division", "430100", "--seed", "7", "--year", "2023"]
    )
    assert result.exit_code == 0, result.output
    assert f"{demo['facilities']} facilities (source 'synthetic')" in result.output
