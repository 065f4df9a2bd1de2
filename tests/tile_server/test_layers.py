"""The place-name, facility and population tile layers, as of a date, against real PostGIS."""

import mapbox_vector_tile
import pytest

from tile_server.seed import tile_at

pytestmark = pytest.mark.anyio

YUELUSHAN = (112.9367, 28.1858)  # 岳麓山, in 岳麓区 (430104)
EAST_OF_IT = (113.1, 28.1858)  # one z11 tile further east


async def features(client, layer: str, z: int, lon: float, lat: float, **params) -> list[dict]:
    x, y = tile_at(lon, lat, z)
    r = await client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt", params=params)
    assert r.status_code == 200, r.text
    return mapbox_vector_tile.decode(r.content).get(layer, {}).get("features", [])


async def publish(client, as_user, record: dict, version: int) -> None:
    url = f"/v1/placenames/{record['id']}"
    r = await client.post(f"{url}/submit", headers=as_user("alice", version))
    assert r.status_code == 200, r.text
    r = await client.post(f"{url}/approve", headers=as_user("bob", version + 1))
    assert r.status_code == 200 and r.json()["state"] == "published", r.text


async def test_a_published_place_name_is_a_point_and_an_edit_shows_on_the_next_request(
    editing_client, as_user
):
    body = {
        "name": "岳麓山",
        "category": "mountain",
        "division_code": "430104",
        "geometry": {"type": "Point", "coordinates": list(YUELUSHAN)},
    }
    r = await editing_client.post("/v1/placenames", json=body, headers=as_user("alice"))
    record = r.json()
    assert await features(editing_client, "placenames", 11, *YUELUSHAN) == []  # a draft is not public
    await publish(editing_client, as_user, record, 1)

    (point,) = await features(editing_client, "placenames", 11, *YUELUSHAN)
    assert point["id"] == record["id"]
    assert point["properties"] == {
        "name": "岳麓山",
        "pinyin": "Yuelu Shan",
        "category": "mountain",
        "code": "430104",
    }
    assert await features(editing_client, "placenames", 9, *YUELUSHAN) == []  # mountains from zoom 11
    assert await features(editing_client, "placenames", 11, *YUELUSHAN, at="2020") == []  # not yet published

    moved = {"geometry": {"type": "Point", "coordinates": list(EAST_OF_IT)}, "reason": "更正位置"}
    r = await editing_client.patch(f"/v1/placenames/{record['id']}", json=moved, headers=as_user("erin", 3))
    assert r.status_code == 200, r.text
    assert len(await features(editing_client, "placenames", 11, *YUELUSHAN)) == 1  # edit not yet published
    await publish(editing_client, as_user, record, 4)
    assert await features(editing_client, "placenames", 11, *YUELUSHAN) == []
    assert [f["id"] for f in await features(editing_client, "placenames", 11, *EAST_OF_IT)] == [record["id"]]


async def test_facilities_show_while_they_are_open(client, conn, boundaries_loaded):
    await conn.execute(
        """
        INSERT INTO facilities (name, kind, geom, beds, opened, closed, county_code, divisions_at, source)
        VALUES ('岳麓区测试养老院', 'elderly_care_institution', ST_SetSRID(ST_MakePoint($1, $2), 4326), 120,
                '2010-03-01', '2015-07-01', '430104', '2012-01-01', 'tile test')
        """,
        *YUELUSHAN,
    )
    names = [f["properties"]["name"] for f in await features(client, "facilities", 10, *YUELUSHAN, at="2012")]
    assert "岳麓区测试养老院" in names
    (home,) = [
        f
        for f in await features(client, "facilities", 10, *YUELUSHAN, at="2012")
        if f["properties"]["name"] == "岳麓区测试养老院"
    ]
    assert home["properties"]["beds"] == 120 and home["properties"]["kind"] == "elderly_care_institution"
    for closed_or_not_yet in ("2016", "2009"):
        found = await features(client, "facilities", 10, *YUELUSHAN, at=closed_or_not_yet)
        assert "岳麓区测试养老院" not in [f["properties"]["name"] for f in found]


async def test_population_choropleth_uses_the_latest_year_up_to_the_date(client, conn, boundaries_loaded):
    version_id = await conn.fetchval(
        "SELECT id FROM division_versions WHERE code = '430104' AND valid @> '2019-06-30'::date"
    )
    await conn.executemany(
        "INSERT INTO populations (division_code, version_id, year, band, count, source)"
        " VALUES ('430104', $1, 2019, $2, $3, 'tile test')",
        [(version_id, "total", 1_000_000), (version_id, "60+", 150_000), (version_id, "80+", 20_000)],
    )
    z = 9
    for at in ("2019-06-30", "2021"):
        found = {
            f["properties"]["code"]: f["properties"]
            for f in await features(client, "population", z, *YUELUSHAN, at=at)
        }
        yuelu = found["430104"]
        assert (yuelu["year"], yuelu["total"], yuelu["aged_60"], yuelu["share_60"]) == (
            2019,
            1_000_000,
            150_000,
            0.15,
        )
        assert yuelu["name"] == "岳麓区" and "aged_65" not in yuelu  # no 65+ count given
    earlier = await features(client, "population", z, *YUELUSHAN, at="2018")
    assert "430104" not in {f["properties"]["code"] for f in earlier}


@pytest.mark.parametrize("layer", ["placenames", "facilities", "population"])
async def test_tilejson_lists_each_layers_fields(client, layer):
    body = (await client.get(f"/tiles/{layer}.json")).json()
    (described,) = body["vector_layers"]
    assert described["id"] == layer and body["tiles"][0].endswith(f"/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt")
    assert {"placenames": "pinyin", "facilities": "beds", "population": "share_60"}[layer] in described[
        "fields"
    ]


def test_tile_at_finds_the_tile_of_a_point():
    assert tile_at(*YUELUSHAN, 0) == (0, 0)
    assert tile_at(*YUELUSHAN, 7) == (104, 53)
