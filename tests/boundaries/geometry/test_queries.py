"""geometries_at: the geometry versions in force at a date, for the divisions of a level then.

The squares inserted here are synthetic (labelled source 'test'); the divisions are real.
"""

from datetime import date

import pytest
import shapely

from boundaries.geometry.queries import geometries_at, geometry_revision

pytestmark = pytest.mark.anyio

SQUARE = "MULTIPOLYGON(((111 26, 112 26, 112 27, 111 27, 111 26)))"
BIGGER = "MULTIPOLYGON(((111 26, 113 26, 113 27, 111 27, 111 26)))"


async def _add(conn, code, first_year, valid_from, valid_to, wkt, kind="surveyed"):
    await conn.execute(
        """
        INSERT INTO division_geometries (version_id, code, valid_from, valid_to, geom, kind, source)
        SELECT id, code, $3, $4, ST_GeomFromText($5, 4326), $6, 'test'
        FROM division_versions WHERE code = $1 AND first_year = $2
        """,
        code,
        first_year,
        valid_from,
        valid_to,
        wkt,
        kind,
    )


async def _clear(conn):
    await conn.execute("DELETE FROM division_geometries WHERE code IN ('431121', '431181', '653228')")


def _of(rows, code):
    return [r for r in rows if r["code"] == code]


async def test_each_date_sees_the_division_and_geometry_then_in_force(conn):
    await _clear(conn)
    await _add(conn, "431121", 1995, date(1995, 11, 21), date(2021, 1, 20), SQUARE, "derived")
    await _add(conn, "431181", 2021, date(2021, 1, 20), date(2023, 1, 1), SQUARE)
    await _add(conn, "431181", 2021, date(2023, 1, 1), None, BIGGER)

    (old,) = _of(await geometries_at(conn, date(2010, 1, 1)), "431121")
    assert (old["code"], old["name"], old["level"], old["parent_code"]) == (
        "431121",
        "祁阳县",
        "county",
        "431100",
    )
    assert old["kind"] == "derived"
    assert shapely.from_wkb(old["geom"]).equals(shapely.from_wkt(SQUARE))

    (mid,) = _of(await geometries_at(conn, date(2022, 6, 1)), "431181")
    assert (mid["code"], mid["name"], mid["kind"]) == ("431181", "祁阳市", "surveyed")
    assert shapely.from_wkb(mid["geom"]).area == pytest.approx(1.0)

    (new,) = _of(await geometries_at(conn, date(2024, 6, 1), "county"), "431181")
    assert shapely.from_wkb(new["geom"]).area == pytest.approx(2.0)


async def test_other_levels_and_dates_outside_a_geometry_do_not_see_it(conn):
    await _clear(conn)
    await _add(conn, "431181", 2021, date(2021, 1, 20), None, SQUARE)
    prefectures = await geometries_at(conn, date(2024, 6, 1), "prefecture")
    assert {r["level"] for r in prefectures} <= {"prefecture"} and not _of(prefectures, "431181")
    assert not _of(await geometries_at(conn, date(2000, 1, 1)), "431181")
    assert _of(await geometries_at(conn, date(2024, 6, 1)), "431181")


async def test_the_revision_changes_when_geometry_is_added(conn):
    before = await geometry_revision(conn)
    await _add(conn, "653228", 2024, date(2024, 12, 27), None, SQUARE)
    after = await geometry_revision(conn)
    assert after != before and after[0] == before[0] + 1
