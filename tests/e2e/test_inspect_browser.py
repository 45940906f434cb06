"""Real browser: the app served by `streamlit run`, driven in Debian's chromium."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import MAIN, assert_no_exception, wait_idle

pytestmark = pytest.mark.e2e

HOSTILE = "<b>bold</b> <a href='http://example.invalid'>link</a> <img src=x onerror=alert(1)> <script>alert(2)</script> &lt;i&gt; the the 42"


def _submit(page, text, shown):
    """Submit ``text`` and wait until the page shows ``shown`` (a token of it)."""
    area = page.locator("textarea[aria-label='Text to analyse']")
    area.fill(text)
    area.press("Control+Enter")
    expect(page.locator(f"{MAIN} [data-testid='stCode']").first).to_contain_text(shown)
    wait_idle(page)


def _heatmaps(page, minimum=3):
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .heatmaplayer image, .js-plotly-plot .hm image').length >= {minimum}",
        timeout=60_000,
    )


def test_home_page_loads(page, app_url):
    page.goto(app_url)
    expect(page.locator(MAIN)).to_contain_text("look inside a transformer")
    wait_idle(page)
    assert_no_exception(page)


def test_inspect_draws_heatmaps_for_english_and_chinese(page, app_url):
    page.goto(app_url + "/Inspect")
    _heatmaps(page)
    wait_idle(page)
    assert_no_exception(page)
    _submit(page, "我爱学习编程", "我")
    _heatmaps(page)
    assert_no_exception(page)


def test_inspect_user_markup_is_never_rendered(page, app_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(app_url + "/Inspect?" + urllib.parse.urlencode({"text": HOSTILE}))
    _heatmaps(page)
    wait_idle(page)
    assert_no_exception(page)
    # Anywhere on the page, plotly's SVG included: user markup stays text.
    assert page.locator("a[href*='example.invalid']").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("b:has-text('bold'), tspan[style*='bold']:has-text('bold')").count() == 0
    assert page.locator("i:has-text('i')").count() == 0
    assert page.evaluate("() => [...document.scripts].some(s => s.textContent.includes('alert(2)'))") is False
    assert dialogs == []
    assert page.locator("textarea[aria-label='Text to analyse']").input_value() == HOSTILE  # kept, as text
    # One row and one column per token in the selected head, repeated tokens included; past 64 tokens every
    # step-th one is labelled, at its integer position, from the first token on.
    rows, cols, tickvals, ticktext = page.evaluate(
        "() => { const p = [...document.querySelectorAll('.js-plotly-plot')].find(g => (g.layout.title||{}).text?.includes('Layer 0, head 0'));"
        " return [p._fullData[0].z.length, p._fullData[0].z[0].length, p.layout.xaxis.tickvals, p.layout.xaxis.ticktext]; }"
    )
    assert rows == cols and len(tickvals) == len(ticktext) <= 64
    step = tickvals[1] - tickvals[0]
    assert tickvals == list(range(0, cols, step))


def test_inspect_url_selects_the_head(page, app_url):
    page.goto(app_url + "/Inspect?text=the+cat+sat&layer=2&head=5")
    _heatmaps(page)
    wait_idle(page)
    assert_no_exception(page)
    titles = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(g => (g.layout.title||{}).text || '')")
    assert any("Layer 2, head 5" in t for t in titles)
