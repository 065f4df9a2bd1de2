"""The public web map in headless Chromium: search and fly, year slider, a map that draws."""

import socket
import threading
import time

import pytest
import uvicorn
from playwright.sync_api import sync_playwright

from spatial_platform.app import create_app
from spatial_platform.settings import Settings

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(db_settings, test_db_name, boundaries_loaded, seeded):
    """Serve the real app on a free loopback port against the test database."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = db_settings.model_copy(update={"db_name": test_db_name})
    if not db_settings.embedded:
        settings = settings.model_copy(update={"database_url": db_settings.dsn(test_db_name)})
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings.from_env(database=settings)), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        page.tile_urls = []
        page.on("request", lambda r: page.tile_urls.append(r.url) if "/tiles/" in r.url else None)
        page.goto(server + "/")
        page.wait_for_function("() => window.map && window.map.loaded()", timeout=60_000)
        yield page
        browser.close()


def canvas_is_drawn(page) -> bool:
    """Tell whether the map canvas holds more than one colour."""
    return page.evaluate(
        """() => {
            const c = document.querySelector('#map canvas');
            const d = document.createElement('canvas');
            d.width = 64; d.height = 64;
            const ctx = d.getContext('2d');
            ctx.drawImage(c, 0, 0, 64, 64);
            const px = ctx.getImageData(0, 0, 64, 64).data;
            const seen = new Set();
            for (let i = 0; i < px.length; i += 4) seen.add(px[i] + ',' + px[i + 1] + ',' + px[i + 2]);
            return seen.size > 3;
        }"""
    )


def test_searching_yuelu_and_picking_it_flies_there(page):
    page.fill("#search", "岳麓")
    page.wait_for_selector("#results li", timeout=20_000)
    first = page.locator("#results li").first
    assert "岳麓" in first.inner_text()
    first.click()
    page.wait_for_function(
        """() => { const c = window.map.getCenter();
                   return Math.abs(c.lng - 112.9) < 0.5 && Math.abs(c.lat - 28.2) < 0.5
                          && !window.map.isMoving(); }""",
        timeout=30_000,
    )
    page.wait_for_function("() => window.map.areTilesLoaded()", timeout=30_000)
    assert page.evaluate("window.map.getZoom()") > 7
    assert canvas_is_drawn(page)


def test_the_year_slider_requests_tiles_as_of_that_year(page):
    page.tile_urls.clear()
    page.eval_on_selector("#year", "el => { el.value = '1995'; el.dispatchEvent(new Event('input')); }")
    page.wait_for_function("() => window.map.areTilesLoaded()", timeout=30_000)
    page.wait_for_timeout(500)
    assert any("at=1995" in url for url in page.tile_urls), page.tile_urls[:5]
    assert page.inner_text("#year-label") == "1995"


def test_ticking_an_overlay_draws_its_tiles_as_of_the_year(page):
    page.tile_urls.clear()
    page.check("#population-box")
    page.wait_for_function("() => window.map.areTilesLoaded()", timeout=30_000)
    page.wait_for_timeout(500)
    year = page.inner_text("#year-label")
    assert page.evaluate("window.map.getLayoutProperty('population-fill', 'visibility')") == "visible"
    wanted = [url for url in page.tile_urls if "/tiles/population/" in url and f"at={year}" in url]
    assert wanted, page.tile_urls[:5]
