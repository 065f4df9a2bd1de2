"""Browsers on other origins and compressed answers: CORS as configured, gzip on JSON over 1 KiB."""

import pytest

from spatial_platform.app import create_app
from spatial_platform.settings import ServerSettings, Settings
from tests.http import app_client

pytestmark = pytest.mark.anyio
LISTED = "https://zhengwu.example.gov.cn"
OTHER = "https://somewhere.example.org"


@pytest.fixture
async def http(conn, db_settings, tokens):
    settings = Settings.from_env(
        database=db_settings, server=ServerSettings(cors_origins=f"{LISTED}, https://b.test")
    )
    async with app_client(create_app(settings), conn) as client:
        yield client


def preflight(method: str, origin: str, headers: str = "content-type") -> dict:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


async def test_public_reads_are_open_to_any_origin(http):
    r = await http.get("/v1/divisions/430104", headers={"Origin": OTHER})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    assert "X-Data-As-Of" in r.headers["access-control-expose-headers"]
    r = await http.options("/v1/divisions/430104", headers=preflight("GET", OTHER))
    assert r.status_code == 204 and "GET" in r.headers["access-control-allow-methods"]


async def test_token_writes_are_accepted_only_from_listed_origins(http, as_user):
    r = await http.options("/v1/placenames", headers=preflight("POST", OTHER, "authorization, content-type"))
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    r = await http.options("/v1/placenames", headers=preflight("POST", LISTED, "authorization, content-type"))
    assert r.status_code == 204 and r.headers["access-control-allow-origin"] == LISTED
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    r = await http.post("/v1/placenames", json={}, headers={"Origin": OTHER, **as_user("alice")})
    assert "access-control-allow-origin" not in r.headers
    r = await http.post("/v1/placenames", json={}, headers={"Origin": LISTED, **as_user("alice")})
    assert r.headers["access-control-allow-origin"] == LISTED


async def test_a_read_only_post_without_a_token_works_from_anywhere(http):
    r = await http.options("/v1/divisions/resolve", headers=preflight("POST", OTHER))
    assert r.status_code == 204
    r = await http.post("/v1/divisions/resolve", json={"items": [{"code": "430122", "at": "1990"}]},
                        headers={"Origin": OTHER})  # fmt: skip
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"


async def test_json_over_1_kib_is_gzipped_and_small_answers_and_tiles_are_not(http):
    r = await http.get("/v1/divisions", params={"at": "2020"}, headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.json()["count"] > 3000
    raw = await http.get("/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in raw.headers


async def test_without_an_origin_nothing_changes(http):
    r = await http.get("/v1/divisions/430104")
    assert "access-control-allow-origin" not in r.headers


async def test_about_names_the_version_and_each_loaded_data_set(http):
    body = (await http.get("/v1/about")).json()
    assert body["software"]["name"] == "spatial-platform" and body["software"]["version"]
    areacodes = next(d for d in body["datasets"] if d["name"] == "areacodes")
    assert (areacodes["first_year"], areacodes["last_year"]) == (1981, 2024) and areacodes["loaded_at"]
    assert "CC0" in areacodes["attribution"]


async def test_public_reads_revalidate_with_an_etag_and_head_works_wherever_get_does(http):
    r = await http.get("/v1/divisions/430104", params={"at": "2020"})
    tag = r.headers["etag"]
    assert tag.startswith('W/"') and r.headers["cache-control"] == "public, no-cache"
    again = await http.get("/v1/divisions/430104", params={"at": "2020"}, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    other = await http.get("/v1/divisions/430104", params={"at": "1990"}, headers={"If-None-Match": tag})
    assert other.status_code == 200
    head = await http.head("/v1/divisions/430104", params={"at": "2020"})
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == tag
    assert int(head.headers["content-length"]) == len(r.content)
    assert (await http.head("/ogc/collections")).status_code == 200
