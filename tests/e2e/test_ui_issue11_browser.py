"""Real browser, issue 11: overview clicks, quotes in labels, unknown tokens, nothing clipped at 1024×768."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import MAIN, assert_no_exception, wait_idle

pytestmark = pytest.mark.e2e


def _overview(page):
    plot = page.locator(".js-plotly-plot").filter(has_text="layers down, heads across")
    expect(plot).to_have_count(1, timeout=90_000)
    return plot


def test_clicking_an_overview_tile_opens_that_head(page, app_url):
    page.goto(app_url + "/Inspect")
    plot = _overview(page)
    wait_idle(page)
    plot.scroll_into_view_if_needed()
    box = plot.locator(".nsewdrag").first.bounding_box()
    # 6 layers × 12 heads: the centre of layer 2, head 5.
    page.mouse.click(box["x"] + box["width"] * 5.5 / 12, box["y"] + box["height"] * 2.5 / 6)
    expect(page.locator(MAIN)).to_contain_text("Layer 2, head 5: each row is a query token", timeout=60_000)
    assert_no_exception(page)


def test_quotes_in_text_show_as_quotes_on_the_axes(page, app_url):
    page.goto(app_url + "/Inspect?" + urllib.parse.urlencode({"text": 'she said "hello" there'}))
    _overview(page)
    wait_idle(page)
    ticks = page.locator(".js-plotly-plot .xtick text").all_text_contents()
    assert '"' in ticks and not any("&quot;" in t for t in ticks)


def test_chinese_text_warns_about_unknown_tokens(page, app_url):
    page.goto(app_url + "/Inspect?" + urllib.parse.urlencode({"text": "我爱学习编程和数学。"}))
    expect(page.locator(MAIN)).to_contain_text("unknown to this model", timeout=90_000)
    assert_no_exception(page)


def test_worked_example_fits_1024_by_768_with_the_sidebar_open(browser, app_url):
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    try:
        page.goto(app_url + "/Worked_example?example=clean&step=softmax")
        expect(page.locator(MAIN)).to_contain_text("Step 4 of 5", timeout=90_000)
        wait_idle(page)
        right = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').getBoundingClientRect().right")
        for sel in ("[data-testid='stTable'] th", "[data-testid='stTable'] td", ".katex-display", "button p"):
            for el in page.locator(f"{MAIN} {sel}").all():
                if el.is_visible():
                    b = el.bounding_box()
                    assert b["x"] + b["width"] <= right + 1, (sel, el.text_content())
        # Labels cut with an ellipsis stay inside their box: their text is wider than the box instead.
        cut = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] button p, '
            + '[data-testid="stMain"] label p')].filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.textContent)""")
        assert cut == []
        assert_no_exception(page)
    finally:
        page.close()
