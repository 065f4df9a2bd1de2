"""Public search and autocomplete over the seeded real names: Chinese, pinyin, initials, typos."""

import pytest

from tests.http import app_client
from tests.placenames.conftest import make_app

pytestmark = pytest.mark.anyio


async def search(client, q, **params):
    r = await client.get("/v1/placenames/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def names(results):
    return [r["name"] for r in results]


@pytest.mark.parametrize(
    "q", ["岳麓区", "岳麓", "嶽麓", "yuelu", "yue lu", "Yuelu Qu", "ylq", "yuelv", "岳鹿区"]
)
async def test_yuelu_is_found_every_way_a_user_types_it(client, q):
    results = await search(client, q, limit=5)
    yuelu = [r for r in results if r["name"] == "岳麓区"]
    assert yuelu, names(results)
    assert yuelu[0]["division_path"] == "湖南省 长沙市 岳麓区"
    assert yuelu[0]["pinyin"] == "Yuelu Qu" and yuelu[0]["code"] == "430104"


async def test_exact_match_comes_first_then_prefix_then_higher_level(client):
    results = await search(client, "长沙", limit=5)
    assert names(results)[:2] == ["长沙市", "长沙县"]  # prefix: the prefecture before the county
    assert [r["match"] for r in results[:2]] == ["prefix", "prefix"]
    exact = await search(client, "长沙县")
    assert exact[0]["name"] == "长沙县" and exact[0]["match"] == "exact"


async def test_pinyin_prefix_prefers_whole_words(client):
    results = await search(client, "changsha", limit=3)
    assert names(results) == ["长沙市", "长沙县", "常山县"]


async def test_a_former_name_finds_todays_division(client):
    results = await search(client, "望城县")
    assert results[0]["name"] == "望城区" and results[0]["match"] == "other_name"


async def test_a_typo_is_forgiven_after_the_real_matches(client):
    results = await search(client, "xiangtna")
    assert results[0]["name"] == "湘潭市" and results[0]["match"] == "similar"


@pytest.mark.parametrize(
    ("q", "want"),
    [
        ("岳麓县", "岳麓区"),
        ("海淀县", "海淀区"),
        ("浦东县", "浦东新区"),
        ("长沙区", "长沙市"),
        ("湘潭区", "湘潭市"),
    ],
)
async def test_a_name_typed_with_the_wrong_suffix_is_found_and_says_so(client, q, want):
    results = await search(client, q, limit=5)
    hit = next((r for r in results if r["name"] == want), None)
    assert hit is not None, names(results)
    assert hit["match"] == "other_suffix"


async def test_other_suffixes_rank_after_exact_and_prefix_matches(client):
    results = await search(client, "长沙县", limit=5)
    assert results[0]["name"] == "长沙县" and results[0]["match"] == "exact"
    assert "other_suffix" not in [r["match"] for r in results]  # only when nothing starts with it


async def test_retired_names_are_not_offered(client):
    assert "崇文区" not in names(await search(client, "崇文"))


async def test_filters_by_division_and_category(client):
    results = await search(client, "鼓楼", division="320000")
    assert {r["division_path"] for r in results} == {"江苏省 南京市 鼓楼区", "江苏省 徐州市 鼓楼区"}
    assert await search(client, "鼓楼", category="bridge") == []


async def test_a_code_finds_its_division(client):
    assert names(await search(client, "430104")) == ["岳麓区"]


async def test_suggest_offers_prefixes_by_name_pinyin_and_initials(client):
    for q in ("湘", "xiang", "xt"):
        r = await client.get("/v1/placenames/suggest", params={"q": q})
        assert r.status_code == 200
        assert "湘潭市" in names(r.json()["results"]), q
    r = await client.get("/v1/placenames/suggest", params={"q": "xiangtna"})
    assert r.json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "长" * 101}, "q"),
        ({"q": "长沙", "limit": 0}, "limit"),
        ({"q": "长沙", "division": "43"}, "division"),
        ({"q": "长沙", "category": "castle"}, "category"),
    ],
)
async def test_bad_parameters_are_422_naming_the_field(client, params, field):
    r = await client.get("/v1/placenames/search", params=params)
    assert r.status_code == 422 and r.json()["field"] == field


async def test_public_endpoints_are_rate_limited_per_client(conn, seeded, db_settings):
    import httpx

    app = make_app(db_settings, rate_limit_enabled=True, rate_per_second=0.5, rate_burst=3)

    async with app_client(app, conn, client=("203.0.113.7", 5000)) as http:
        codes = [
            (await http.get("/v1/placenames/suggest", params={"q": "长沙"})).status_code for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        r = await http.get("/v1/placenames/search", params={"q": "长沙"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    other = httpx.ASGITransport(app=app, client=("203.0.113.8", 5000))
    async with httpx.AsyncClient(transport=other, base_url="http://test") as http:
        assert (await http.get("/v1/placenames/suggest", params={"q": "长沙"})).status_code == 200


async def test_a_division_hit_carries_its_point_and_extent(client, boundaries_loaded):
    (hit,) = [r for r in await search(client, "岳麓区", limit=3) if r["code"] == "430104"]
    west, south, east, north = hit["bbox"]
    lon, lat = hit["location"]
    assert 112.5 < west < lon < east < 113.2 and 27.8 < south < lat < north < 28.6
    changsha = {r["name"]: r for r in await search(client, "长沙", limit=2)}
    assert changsha["长沙市"]["bbox"][0] < changsha["长沙县"]["bbox"][0]  # the city reaches further west


@pytest.mark.parametrize(
    ("q", "want"), [("cangsa", "长沙市"), ("chansha", "长沙市"), ("yuenu", "岳麓区"), ("hunang", "湖南省")]
)
async def test_pinyin_with_confused_sounds_is_forgiven(client, q, want):
    results = await search(client, q, limit=5)
    hit = next((r for r in results if r["name"] == want), None)
    assert hit is not None and hit["match"] == "fuzzy_pinyin", names(results)


async def test_the_fuzzy_fold_is_the_same_in_python_and_sql(conn):
    from placenames.search import fuzzy_key

    for key in ("zhangshaxian", "changlingjiedao", "shilong", "xiangtan", "lvliang"):
        assert await conn.fetchval("SELECT placename_fuzzy($1)", key) == fuzzy_key(key)


@pytest.mark.parametrize(
    ("q", "want"),
    [
        ("岳麓去", "岳麓区"),
        ("湘潭币", "湘潭市"),
        ("浏阳", "浏阳市"),
        ("长沙沙县", "长沙县"),
        ("宁想市", "宁乡市"),
    ],
)
async def test_one_wrong_missing_or_extra_character_is_forgiven(client, q, want):
    results = await search(client, q, limit=10)
    hit = next((r for r in results if r["name"] == want), None)
    assert hit is not None, names(results)
    assert hit["match"] in ("prefix", "one_character"), hit


async def test_a_place_name_reading_finds_the_division_and_the_seed_applies_it(client):
    """单县 is Shan Xian and 洪洞县 Hongtong Xian: the seeded records carry the list's readings."""
    for q, name in (("shanxian", "单县"), ("hongtong", "洪洞县"), ("changzhi", "长治市")):
        hits = await search(client, q)
        top = next(h for h in hits if h["name"] == name)
        assert top["pinyin"] in ("Shanxian", "Hongtong Xian", "Changzhi Shi")
