"""Population imports: counts attach to the division version of their year; all or nothing."""

from datetime import date

import pytest

from spatial_platform.populations.errors import ImportRejected
from spatial_platform.populations.service import import_population_file

pytestmark = pytest.mark.anyio
TODAY = date(2026, 1, 15)


async def test_wide_rows_become_one_figure_per_band_on_the_version_of_their_year(conn, tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text(
        "division_code,year,total,60+,65+,80+\n430122,2005,700000,98000,70000,12000\n430112,2015,800000,,,\n",
        encoding="utf-8",
    )
    report = await import_population_file(conn, path, today=TODAY)
    assert (report.rows, report.created) == (2, 5)
    rows = await conn.fetch(
        "SELECT p.division_code, p.band, p.count, v.name, v.valid_from, v.valid_to FROM populations p "
        "JOIN division_versions v ON v.id = p.version_id WHERE p.source = 'pop.csv' ORDER BY 1, 2"
    )
    # 430122 望城县 in 2005 attaches to the county (1981 to 2011); 430112 is the 望城区 set up in 2011
    assert {(r["division_code"], r["name"]) for r in rows} == {("430122", "望城县"), ("430112", "望城区")}
    old = next(r for r in rows if r["division_code"] == "430122")
    assert old["valid_to"] == date(2011, 5, 20)
    assert {r["band"]: r["count"] for r in rows if r["division_code"] == "430122"} == {
        "total": 700000,
        "60+": 98000,
        "65+": 70000,
        "80+": 12000,
    }
    again = await import_population_file(conn, path, today=TODAY)
    assert (again.created, again.updated) == (0, 5)


async def test_codes_not_in_use_that_year_and_inconsistent_bands_reject_the_file(conn, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "division_code,year,band,count\n"
        "430104,2020,60+,1000\n"
        "430104,2020,65+,1200\n"
        "430122,2015,60+,500\n"
        "43010X,2020,60+,5\n"
        "430104,2030,60+,5\n"
        "430104,2021,90+,5\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        await import_population_file(conn, path, today=TODAY)
    errors = {(e["row"], e["field"]): e["reason"] for e in caught.value.errors}
    assert set(errors) == {(2, "65+"), (3, "division_code"), (4, "division_code"), (5, "year"), (6, "band")}
    assert (
        errors[(3, "division_code")]
        == "division 430122 was not in use on 2015-12-31 (the date a 2015 figure describes)"
    )
    assert "65+ (1200) exceeds 60+ (1000)" in errors[(2, "65+")]
    assert await conn.fetchval("SELECT count(*) FROM populations WHERE source = 'bad.csv'") == 0
