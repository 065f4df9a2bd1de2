"""GET and POST /v1/geocode: addresses as people write them, read as of their date."""

import pytest

pytestmark = pytest.mark.anyio


async def geocode(client, q, at=None):
    params = {"q": q} | ({"at": at} if at else {})
    response = await client.get("/v1/geocode", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def codes(body):
    return [
        (body[level] or {}).get("code") for level in ("province", "prefecture", "county", "town", "village")
    ]


async def test_a_county_is_read_as_of_the_address_date(client):
    """望城县 was a county of 长沙市 until 2011; written in 2015 it is 望城区, and says so."""
    old = await geocode(client, "湖南省长沙市望城县", "1995")
    assert codes(old)[:3] == ["430000", "430100", "430122"] and old["county"]["matched"] == "full"
    later = await geocode(client, "湖南省长沙市望城县", "2015")
    assert later["county"]["code"] == "430112" and later["county"]["matched"] == "other_date"
    assert "望城区" in later["notes"][0] and later["confidence"] < old["confidence"]


async def test_a_renamed_prefecture_before_and_after(client):
    """襄樊市 became 襄阳市 in 2010 (same code)."""
    before = await geocode(client, "襄樊市樊城区人民路1号", "2005")
    assert before["prefecture"]["name"] == "襄樊市" and before["county"]["code"] == "420606"
    assert before["rest"] == "人民路1号"
    after = await geocode(client, "襄樊市樊城区", "2015")
    assert after["prefecture"]["name"] == "襄阳市" and after["prefecture"]["matched"] == "other_date"


async def test_missing_and_wrong_suffixes(client):
    city = await geocode(client, "湖南长沙", "2024")
    assert codes(city)[:3] == ["430000", "430100", None] and city["prefecture"]["matched"] == "short"
    county = await geocode(client, "长沙县", "2024")
    assert county["county"]["code"] == "430121" and county["prefecture"]["matched"] == "inferred"
    wrong = await geocode(client, "岳麓县", "2024")
    assert wrong["county"]["code"] == "430104" and wrong["county"]["matched"] == "other_suffix"


async def test_traditional_full_width_and_street_parts(client):
    body = await geocode(client, "湖南省長沙市嶽麓區麓山南路９３２號", "2024")
    assert body["county"]["code"] == "430104" and body["rest"] == "麓山南路932号"


async def test_a_street_named_after_a_division_is_not_one(client):
    """韶山路 in 长沙 is a road, not 韶山市 of 湘潭市."""
    body = await geocode(client, "湖南省长沙市雨花区韶山路88号", "2024")
    assert body["county"]["code"] == "430111" and body["rest"] == "韶山路88号"


async def test_towns_and_villages_settled_by_context(client):
    """A town written without its county is found under the prefecture; villages under their town."""
    town = await geocode(client, "长沙市星沙街道", "2020")
    assert codes(town)[2:4] == ["430121", "430121001"] and town["county"]["matched"] == "inferred"
    village = await geocode(client, "长沙市岳麓区岳麓街道枇杷塘社区", "2023")
    assert village["level"] == "village" and village["code"] == "430104002001"
    early = await geocode(client, "长沙市岳麓区岳麓街道", "2005")
    assert early["town"] is None and "2016" in early["notes"][0]


async def test_an_ambiguous_address_gives_the_alternatives(client):
    body = await geocode(client, "朝阳区", "2024")
    assert body["status"] == "ambiguous" and body["confidence"] <= 0.5
    assert {body["county"]["code"], *(a["code"] for a in body["alternatives"])} >= {"110105", "220104"}
    settled = await geocode(client, "吉林省长春市朝阳区", "2024")
    assert settled["status"] == "found" and settled["county"]["code"] == "220104"


async def test_bad_requests_name_their_field(client):
    missing = await client.get("/v1/geocode")
    assert missing.status_code == 422 and missing.json()["field"] == "q"
    date = await client.get("/v1/geocode", params={"q": "长沙县", "at": "2024-13"})
    assert date.status_code == 422 and date.json()["field"] == "at"
    nothing = await client.get("/v1/geocode", params={"q": "某某路123号"})
    assert nothing.status_code == 404


async def test_a_json_batch_with_its_own_dates_and_a_bad_item(client):
    items = [{"address": "湖南省长沙市望城县", "at": "1995", "id": "a"}, {"address": "湖南省长沙市望城区"},
             {"at": "2020"}, "北京市东城区东华门街道"]  # fmt: skip
    response = await client.post("/v1/geocode", json={"items": items, "at": "2020"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["count"], body["found"], body["invalid"]) == (4, 3, 1)
    first, second, bad, fourth = body["results"]
    assert first["county"]["code"] == "430122" and first["id"] == "a" and second["at"] == "2020-12-31"
    assert bad["status"] == "invalid" and bad["error"]["field"] == "address"
    assert fourth["town"]["code"] == "110101001"


async def test_a_csv_batch_names_a_bad_line_and_refuses_a_missing_column(client):
    csv_body = "id,address,date\n1,湖南省长沙市望城县,1995\n2,襄樊市樊城区,2015\n".encode()
    response = await client.post(
        "/v1/geocode?date_col=date", content=csv_body, headers={"content-type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert (first["line"], first["county"]["code"]) == (2, "430122")
    assert second["prefecture"]["name"] == "襄阳市"
    refused = await client.post(
        "/v1/geocode?address_col=addr", content=csv_body, headers={"content-type": "text/csv"}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "address_col"
    cut = await client.post(
        "/v1/geocode", content=b'address\n"unterminated', headers={"content-type": "text/csv"}
    )
    assert cut.status_code == 422


async def test_a_batch_over_the_limit_is_refused_whole(conn, db_settings, geocoder):
    from spatial_platform.app import create_app
    from spatial_platform.settings import GeocodeSettings, Settings
    from tests.http import app_client

    app = create_app(Settings.from_env(database=db_settings, geocode=GeocodeSettings(max_items=2)))
    app.state.address_geocoder = geocoder
    async with app_client(app, conn) as client:
        response = await client.post("/v1/geocode", json={"items": ["长沙县", "岳麓区", "望城区"]})
        assert response.status_code == 413 and "at most 2" in response.text
        csv_body = "address\n长沙县\n岳麓区\n望城区\n".encode()
        response = await client.post("/v1/geocode", content=csv_body, headers={"content-type": "text/csv"})
        assert response.status_code == 413
