"""The web map's history panel (沿革) and the year's changes, in headless Chromium on the real app.

望城区 430112 was 望城县 430122 until 2011-05-20 (国函〔2011〕57号, a code change); parts of
望城县 went to 岳麓区 430104 and 开福区 430105 in 1996.
"""

import httpx
import pytest
from playwright.sync_api import sync_playwright

from tests.tile_server.test_web_map import ARGS, CHROMIUM, server

__all__ = ["server"]

WANGCHENG = (112.82, 28.37)  # a point inside 望城区 (430112), formerly 望城县 (430122)


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        page.goto(server + "/")
        page.wait_for_function("() => window.map?.loaded() && window.__mapHistory", timeout=60_000)
        yield page
        browser.close()


def settle(page) -> None:
    page.wait_for_function("() => !window.map.isMoving() && window.map.areTilesLoaded()", timeout=30_000)


def set_year(page, year: int) -> None:
    page.eval_on_selector("#year", f"el => {{ el.value = '{year}'; el.dispatchEvent(new Event('input')); }}")


def wait_for_count(page, year: int) -> None:
    """Wait until the count text speaks of ``year``."""
    page.wait_for_function(
        f"() => document.getElementById('changes-count').textContent.includes('changed in {year}')",
        timeout=20_000,
    )


def jump_to(page, lon: float, lat: float, zoom: float) -> None:
    page.evaluate(f"window.map.jumpTo({{center: [{lon}, {lat}], zoom: {zoom}}})")
    settle(page)


def click_lnglat(page, lon: float, lat: float) -> None:
    """Click the map where a point is drawn, as a user would."""
    x, y = page.evaluate(f"(() => {{ const p = window.map.project([{lon}, {lat}]); return [p.x, p.y]; }})()")
    page.mouse.click(x, y)


def group_text(page, name: str) -> str:
    return page.inner_text(f"#history-body .{name}")


def test_clicking_wangcheng_shows_its_versions_events_and_predecessor(page):
    jump_to(page, *WANGCHENG, 9)
    click_lnglat(page, *WANGCHENG)
    page.wait_for_selector("#history-body .versions li", timeout=20_000)

    assert page.is_visible("#history h2")
    assert "沿革 History" in page.inner_text("#history h2")
    # The chain's levels are offered, the county (where the click landed) selected.
    levels = page.locator("#history-levels button")
    assert levels.all_inner_texts() == ["湖南省", "长沙市", "望城区"]
    assert page.get_attribute("#history-levels button[data-code='430112']", "aria-pressed") == "true"

    assert "望城区 430112" in page.inner_text("#history-body .history-title")
    versions = group_text(page, "versions")
    assert "望城区 430112 2011-05-20 – 至今 now" in versions
    events = group_text(page, "events")
    assert "2011-05-20" in events and "code_change" in events
    assert "国函〔2011〕57号" in events
    assert "国务院关于同意湖南省调整长沙市部分行政区划的批复" in events
    predecessors = group_text(page, "predecessors")
    assert "430122" in predecessors and "望城县" in predecessors and "whole" in predecessors
    assert "无 · none" in group_text(page, "successors")


def test_clicking_the_predecessor_shows_its_history_and_frames_it(page):
    jump_to(page, 104.5, 35.5, 4)
    page.click("#history-body .predecessors button[data-code='430122']")
    page.wait_for_function(
        "() => document.querySelector('#history-body .history-title')?.textContent.includes('430122')"
        " && document.querySelector('#history-body .today li')",
        timeout=20_000,
    )
    settle(page)

    title = page.inner_text("#history-body .history-title")
    assert "望城县" in title and "已撤销 · retired" in title
    assert "望城县 430122 1981 – 2011-05-20" in group_text(page, "versions")
    events = group_text(page, "events")
    assert events.index("国函〔1996〕29号") < events.index("国函〔2011〕57号")  # in date order
    successors = group_text(page, "successors")
    for code, name in [("430104", "岳麓区"), ("430105", "开福区"), ("430112", "望城区")]:
        assert code in successors and name in successors
    assert "430112 望城区" in group_text(page, "today")
    # The map flew to where 望城县 was.
    centre = page.evaluate("window.map.getCenter().toArray()")
    assert abs(centre[0] - 112.8) < 0.4 and abs(centre[1] - 28.3) < 0.4, centre
    assert page.evaluate("window.map.getZoom()") > 7


def test_highlighting_the_changes_of_2011_paints_wangcheng(page, server):
    diff = httpx.get(f"{server}/v1/divisions/diff", params={"from": "2010", "to": "2011"}).json()
    changed = {c["code"] for c in diff["changes"] if c["change"] != "retired"}
    assert "430112" in changed

    set_year(page, 2011)
    page.check("#changes-box")
    wait_for_count(page, 2011)
    text = page.inner_text("#changes-count")
    assert text.startswith(f"{len(changed)} divisions changed in 2011")
    assert f"{diff['counts']['retired']} retired" in text

    codes = page.evaluate("window.map.getFilter('changes-fill')[2][1]")
    assert "430112" in codes and set(codes) == changed
    assert page.evaluate("window.map.getLayoutProperty('changes-fill', 'visibility')") == "visible"

    # Where counties are drawn (zoom 7+), 望城区 itself is painted...
    jump_to(page, *WANGCHENG, 9)
    assert painted_code(page, "changes-fill") == "430112"
    # ... and at prefecture zooms the county highlight shows it too; its neighbour 宁乡县 is not.
    jump_to(page, *WANGCHENG, 5.5)
    assert painted_code(page, "changes-county-fill") == "430112"
    assert painted_code(page, "changes-county-fill", (112.5, 28.25)) is None


def painted_code(page, layer: str, lnglat=WANGCHENG) -> str | None:
    """The code of the highlighted feature drawn at a point, if any."""
    return page.evaluate(
        f"""(() => {{
            const p = window.map.project({list(lnglat)});
            const hits = window.map.queryRenderedFeatures(p, {{layers: ['{layer}']}});
            return hits.length ? hits[0].properties.code : null;
        }})()"""
    )


def test_the_highlight_follows_the_slider_and_turns_off(page):
    page.check("#changes-box")
    set_year(page, 1996)
    wait_for_count(page, 1996)
    assert " divisions changed in 1996" in page.inner_text("#changes-count")
    codes = page.evaluate("window.map.getFilter('changes-fill')[2][1]")
    assert "430112" not in codes and "430104" in codes  # 岳麓区 took part of 望城县 in 1996

    page.uncheck("#changes-box")
    page.wait_for_function("() => document.getElementById('changes-count').textContent === ''")
    assert page.evaluate("window.map.getLayoutProperty('changes-fill', 'visibility')") == "none"
    assert page.evaluate("window.map.getLayoutProperty('changes-county-fill', 'visibility')") == "none"
