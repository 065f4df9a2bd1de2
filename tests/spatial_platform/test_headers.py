"""Security headers on every answer, local API docs, and X-Forwarded-For only from trusted proxies."""

import re

import httpx
import pytest

from placenames.ratelimit import TrustedProxies
from spatial_platform.app import create_app
from spatial_platform.settings import PlacenamesSettings, Settings
from tests.http import app_client
from tests.tile_server.test_web_map import ARGS, CHROMIUM, server

__all__ = ["server"]  # the module's live uvicorn server on the test database

pytestmark = pytest.mark.anyio

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def assert_secured(response: httpx.Response) -> str:
    """Check the fixed headers are there exactly once; return the Content-Security-Policy."""
    for name, value in EXPECTED.items():
        assert response.headers.get_list(name) == [value], name
    (policy,) = response.headers.get_list("content-security-policy")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["worker-src"] == "'self' blob:"
    assert directives["img-src"] == "'self' data: blob:"
    # Only the app's own origin: no scheme or host anywhere in the policy.
    assert not re.search(r"https?:|\*|//", policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    return policy


@pytest.fixture
async def client(conn, db_settings, boundaries_loaded, seeded):
    async with app_client(create_app(Settings.from_env(database=db_settings)), conn) as http:
        yield http


async def test_a_json_answer_a_404_and_a_tile_have_the_headers(client):
    assert_secured(await client.get("/v1/divisions/430104"))
    assert_secured(await client.get("/v1/divisions/999999"))
    tile = await client.get("/tiles/divisions/3/6/3.mvt")
    assert tile.status_code == 200 and tile.content
    assert_secured(tile)
    again = await client.get("/tiles/divisions/3/6/3.mvt", headers={"If-None-Match": tile.headers["etag"]})
    assert again.status_code == 304
    assert_secured(again)


async def test_the_web_map_and_its_assets_have_the_headers(client):
    page = await client.get("/")
    assert page.status_code == 200 and "maplibre-gl.js" in page.text
    assert_secured(page)
    assert "script-src 'self';" in page.headers["content-security-policy"]
    for asset in ("/static/maplibre/maplibre-gl.js", "/static/app/map.js"):
        r = await client.get(asset)
        assert r.status_code == 200, asset
        assert_secured(r)


async def test_docs_are_served_locally_with_only_their_inline_script_allowed(client):
    r = await client.get("/docs")
    assert r.status_code == 200
    policy = assert_secured(r)
    # Nothing from another host: every src/href is a path on this origin.
    assert not re.search(r"https?://|//[a-z0-9]", r.text, flags=re.IGNORECASE)
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert refs and all(ref.startswith("/static/swagger-ui/") for ref in refs)
    for ref in refs:
        asset = await client.get(ref)
        assert asset.status_code == 200 and asset.content, ref
    scripts = re.search(r"script-src ([^;]+)", policy).group(1).split()
    assert scripts[0] == "'self'" and len(scripts) == 2 and scripts[1].startswith("'sha256-")
    assert "openapi.json" in r.text and (await client.get("/openapi.json")).status_code == 200


async def test_even_an_unexpected_500_has_the_headers(conn, db_settings):
    app = create_app(Settings.from_env(database=db_settings))

    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    async with app_client(app, conn, raise_app_exceptions=False) as http:
        r = await http.get("/boom")
    assert r.status_code == 500
    assert_secured(r)


# --- X-Forwarded-For ------------------------------------------------------------------------


def test_forwarded_for_is_believed_only_from_a_trusted_peer():
    proxies = TrustedProxies.parse(" 10.0.0.0/8, 192.168.1.1 ,")
    assert proxies.client_address("203.0.113.7", "198.51.100.1") == "203.0.113.7"
    assert proxies.client_address("10.1.2.3", None) == "10.1.2.3"
    assert proxies.client_address("10.1.2.3", "198.51.100.1") == "198.51.100.1"
    # The right-most address no trusted proxy added: a forged left part is ignored.
    assert proxies.client_address("10.1.2.3", "1.1.1.1, 198.51.100.1, 192.168.1.1") == "198.51.100.1"
    assert proxies.client_address("10.1.2.3", "10.0.0.9, 192.168.1.1") == "10.0.0.9"
    assert TrustedProxies.parse("").client_address("127.0.0.1", "198.51.100.1") == "127.0.0.1"
    assert TrustedProxies().client_address(None, "198.51.100.1") == "unknown"
    with pytest.raises(ValueError):
        TrustedProxies.parse("not-an-ip")


async def search(app, conn, peer: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    async with app_client(app, conn, client=(peer, 40000)) as http:
        r = await http.get("/v1/placenames/search", params={"q": "长沙"}, headers=headers)
    assert_secured(r)
    return r.status_code


def limited_app(db_settings, monkeypatch, trusted: str):
    monkeypatch.setenv("SP_TRUSTED_PROXIES", trusted)
    one_request = PlacenamesSettings(rate_limit_enabled=True, rate_per_second=0.001, rate_burst=1)
    return create_app(Settings.from_env(database=db_settings, placenames=one_request))


async def test_a_spoofed_forwarded_for_gets_no_fresh_bucket(conn, db_settings, seeded, monkeypatch):
    app = limited_app(db_settings, monkeypatch, "")
    assert await search(app, conn, "203.0.113.7") == 200
    assert await search(app, conn, "203.0.113.7", "198.51.100.1") == 429
    assert await search(app, conn, "203.0.113.7", "198.51.100.2") == 429
    # Even from loopback (uvicorn's default trusted host), an unconfigured proxy is not believed.
    assert await search(app, conn, "127.0.0.1", "198.51.100.3") == 200
    assert await search(app, conn, "127.0.0.1", "198.51.100.4") == 429


async def test_forwarded_for_from_a_trusted_proxy_is_honoured(conn, db_settings, seeded, monkeypatch):
    app = limited_app(db_settings, monkeypatch, "10.0.0.0/8")
    assert await search(app, conn, "10.0.0.2", "198.51.100.1") == 200
    assert await search(app, conn, "10.0.0.2", "198.51.100.2") == 200
    assert await search(app, conn, "10.0.0.2", "198.51.100.1") == 429
    # A client behind the proxy cannot forge its way to a new bucket either.
    assert await search(app, conn, "10.0.0.2", "192.0.2.9, 198.51.100.2") == 429
    # An untrusted peer's header is still ignored with proxies configured.
    assert await search(app, conn, "203.0.113.7", "198.51.100.5") == 200
    assert await search(app, conn, "203.0.113.7", "198.51.100.6") == 429


# --- generated pages and a real browser ----------------------------------------------------


async def test_the_folium_planning_map_gets_a_policy_naming_its_own_hosts(client):
    r = await client.get("/v1/planning/map", params={"division": "430100", "suggest": 0})
    assert r.status_code == 200 and "leaflet" in r.text
    (policy,) = r.headers.get_list("content-security-policy")
    scripts = re.search(r"script-src ([^;]+)", policy).group(1).split()
    assert not any(s.startswith("https://") for s in scripts)  # its scripts are inlined: no CDN
    assert any(s.startswith("'sha256-") for s in scripts)
    assert "https://tile.openstreetmap.org" in re.search(r"img-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in scripts and "frame-ancestors 'none'" in policy
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_redoc_is_served_from_the_local_npm_bundle(client):
    r = await client.get("/redoc")
    assert r.status_code == 200 and "<redoc" in r.text.lower()
    policy = r.headers["content-security-policy"]
    scripts = re.search(r"script-src ([^;]+)", policy).group(1).split()
    # ReDoc styles itself inline (styles only); scripts stay its bundle and its one hashed snippet.
    assert scripts[0] == "'self'" and all(s.startswith("'sha256-") for s in scripts[1:])
    assert "'unsafe-inline'" in re.search(r"style-src ([^;]+)", policy).group(1)
    assert not re.search(r"https?:|\*|//", policy) and "frame-ancestors 'none'" in policy
    assert not re.search(r"https?://|//[a-z0-9]", r.text, flags=re.IGNORECASE)
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert "/static/redoc/redoc.standalone.js" in refs
    bundle = await client.get("/static/redoc/redoc.standalone.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


VIOLATIONS = """
    window.__csp = [];
    document.addEventListener('securitypolicyviolation',
        e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_the_web_map_and_the_docs_run_in_chromium_without_violations(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.add_init_script(VIOLATIONS)
            page.goto(server + "/docs")
            page.wait_for_selector(".swagger-ui .information-container .title", timeout=30_000)
            page.wait_for_selector(".opblock", timeout=30_000)
            assert page.evaluate("window.__csp") == []
            page.goto(server + "/redoc")
            page.wait_for_selector("h1", timeout=30_000)  # ReDoc rendered the document's title
            page.wait_for_selector("[data-section-id]", timeout=30_000)
            assert page.evaluate("window.__csp") == []
            page.goto(server + "/")
            page.wait_for_function("() => window.map && window.map.loaded()", timeout=60_000)
            page.wait_for_timeout(1000)
            assert page.evaluate("window.__csp") == []
        finally:
            browser.close()
