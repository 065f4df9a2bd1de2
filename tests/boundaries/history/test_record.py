"""How far the record goes: data_as_of and beyond_record on every /v1/divisions answer."""

from datetime import date

import pytest

from boundaries.dates import CoveredPeriod

pytestmark = pytest.mark.anyio

AS_OF = "2024-12-31"  # the end of the last loaded areacodes table (data/2024.txt)


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/v1/divisions", {"level": "province"}),
        ("/v1/divisions/430104", {}),
        ("/v1/divisions/430100/children", {}),
        ("/v1/divisions/430104/successors", {}),
        ("/v1/divisions/diff", {"from": "2000"}),
    ],
)
async def test_a_date_after_the_record_is_answered_from_the_latest_and_flagged(client, url, params):
    for at, beyond in (("2024", False), ("2024-12-31", False), ("2025-06-01", True), (None, True)):
        key = "to" if url.endswith("diff") else "at"
        query = {**params, key: at} if at else params
        r = await client.get(url, params=query)
        assert r.status_code == 200, (url, at, r.text)
        assert r.headers["x-data-as-of"] == AS_OF
        assert (r.json()["data_as_of"], r.json()["beyond_record"]) == (AS_OF, beyond), (url, at)


async def test_the_latest_record_answers_2025(client):
    r2024 = (await client.get("/v1/divisions/430104", params={"at": "2024"})).json()
    r2025 = (await client.get("/v1/divisions/430104", params={"at": "2025-06-01"})).json()
    assert r2025["name"] == r2024["name"] == "岳麓区" and r2025["at"] == "2025-06-01"


async def test_history_says_how_far_it_goes(client):
    r = await client.get("/v1/divisions/430122/history")
    assert r.headers["x-data-as-of"] == AS_OF
    assert (r.json()["data_as_of"], r.json()["beyond_record"]) == (AS_OF, False)


async def test_resolve_flags_each_item_and_the_batch(client):
    items = [{"code": "430122", "at": "1990"}, {"code": "430104", "at": "2025-06-01"}, {"code": "12345"}]
    r = await client.post("/v1/divisions/resolve", json={"items": items})
    body = r.json()
    assert r.headers["x-data-as-of"] == AS_OF
    assert (body["data_as_of"], body["beyond_record"]) == (AS_OF, True)
    assert [x["beyond_record"] for x in body["results"]] == [False, True, False]
    assert body["results"][1]["found"] and body["results"][1]["today"][0]["code"] == "430104"
    only_old = (await client.post("/v1/divisions/resolve", json={"items": items[:1]})).json()
    assert only_old["beyond_record"] is False


async def test_data_as_of_follows_the_loaded_years(conn):
    from boundaries.history.service import LineageIndex

    index = await LineageIndex.load(conn)
    last = await conn.fetchval("SELECT last_year FROM dataset_loads WHERE name = 'areacodes'")
    assert index.data_as_of == date(last, 12, 31)


def test_the_parser_flags_dates_after_the_record():
    period = CoveredPeriod(date(1981, 1, 1), date(2026, 12, 2), date(2024, 12, 31))
    assert not period.beyond_record(period.parse("2024"))
    assert period.beyond_record(period.parse("2025-06-01"))
    assert period.parse("2026") == date(2026, 12, 2) and period.beyond_record(period.parse("2026"))
    assert not CoveredPeriod(date(1981, 1, 1), date(2026, 12, 2)).beyond_record(date(2026, 1, 1))
