"""Real browser, issue 11: overview clicks, quotes in labels, unknown tokens, nothing clipped at 1024×768, the nav."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from bench.serve import streamlit_server
from tests.e2e.conftest import LINK, MAIN, NAV, assert_no_exception, wait_idle

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


# Everything in the main column that a projector could cut: labels truncated with an ellipsis, boxes that scroll
# sideways (a hidden table column, a formula), and anything past the viewport's right edge. Left out on purpose:
# MathML (KaTeX's invisible copy for screen readers) and the page's own source code (a code block scrolls by design).
CLIPPED_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const width = document.documentElement.clientWidth;
  const skip = e => e.closest('.katex-mathml, [data-testid="stCode"]');
  const cut = [];
  for (const e of main.querySelectorAll('*')) {
    const box = e.getBoundingClientRect();
    // A data grid is drawn on a canvas: its scroller has no text, but scrolls when a column is out of view.
    if (!box.width || !(e.textContent.trim() || e.matches('.dvn-scroller')) || skip(e)) continue;
    const css = getComputedStyle(e);
    const text = e.textContent.trim().slice(0, 50) || 'a data grid';
    if (css.textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1) cut.push(['label cut', text]);
    if (['auto', 'scroll', 'hidden'].includes(css.overflowX) && e.tagName !== 'TEXTAREA'
        && e.scrollWidth > e.clientWidth + 3) cut.push(['scrolls sideways', text, e.scrollWidth, e.clientWidth]);
    if (box.right > width + 1 && !e.closest('[data-testid="stTable"], .dvn-scroller'))
      cut.push(['past the right edge', text, Math.round(box.right), width]);
  }
  return cut;
}"""


def _presentation_on(page):
    page.get_by_text("Presentation mode").click()
    expect(page.locator(f"{MAIN} h1").first).to_have_css("font-size", "48px")  # PRESENTATION_CSS: 3rem


def _ready_inspect(page):
    _overview(page)


def _ready_explain(page):
    page.get_by_role("button", name="Score every explanation").click()
    expect(page.locator(MAIN)).to_contain_text("methods beat chance here", timeout=180_000)
    # With importance measured the head table shows its widest group: layer, head, importance and four statistics.
    # The server keeps a measurement for the next session, which then gets no button.
    wait_idle(page, timeout_ms=180_000)
    if page.get_by_role("button", name="Measure head importance").count():
        page.get_by_role("button", name="Measure head importance").click()
    expect(page.locator(MAIN)).to_contain_text("Head importance: drop in predicted-class probability", timeout=180_000)
    # The data grids mount lazily: agreement, scoreboard and head table.
    expect(page.locator(".dvn-scroller")).to_have_count(3, timeout=90_000)


def _ready_worked(page):
    expect(page.locator(MAIN)).to_contain_text("Step 4 of 5")
    expect(page.locator(f"{MAIN} [data-testid='stTable']")).to_have_count(3)


def _ready_worked_article(page):
    expect(page.locator(MAIN)).to_contain_text("A corrected version that runs")
    expect(page.locator(f"{MAIN} [data-testid='stTable']")).to_have_count(9)  # 6 printed, 3 of the corrected step 1


def _ready_worked_model(page):
    expect(page.locator(MAIN)).to_contain_text("the step-through reproduces the model's attention")
    expect(page.locator(f"{MAIN} [data-testid='stTable']")).to_have_count(3)


def _ready_stage(*texts):
    def ready(page):
        expect(page.get_by_text("The code that computed every number on this stage")).to_be_visible()
        for text in texts:
            expect(page.locator(MAIN)).to_contain_text(text)
    return ready


# The whole-block stages, each as it opens (its first step).
STAGES = {
    "multihead": _ready_stage("Q = X·W_Q"),
    "rope": _ready_stage("Every diagonal is constant"),
    "gqa": _ready_stage("reads K/V head"),
    "kv_cache": _ready_stage("max |cached row − full last row|"),
    "cross": _ready_stage("context vector"),
    "model": _ready_stage("max |multi_head_steps output − model's attention output|", "All values of X"),
}


@pytest.mark.parametrize("presentation", [False, True], ids=["normal", "presentation"])
@pytest.mark.parametrize("path, ready", [
    ("/Inspect", _ready_inspect),
    ("/Explain", _ready_explain),
    ("/Worked_example?example=clean&step=softmax", _ready_worked),
    ("/Worked_example?example=article", _ready_worked_article),
    ("/Worked_example?example=model", _ready_worked_model),
    *((f"/Worked_example?stage={stage}", ready) for stage, ready in STAGES.items()),
], ids=["inspect", "explain", "worked", "worked-article", "worked-model", *(f"stage-{s}" for s in STAGES)])
def test_nothing_is_clipped_at_1024_by_768_with_the_sidebar_open(browser, app_url, path, ready, presentation):
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    try:
        page.goto(app_url + path)
        expect(page.locator("[data-testid='stSidebar']")).to_be_visible()
        expect(page.locator(f"{MAIN} h1").first).to_be_visible()
        wait_idle(page)
        if presentation:
            _presentation_on(page)
        ready(page)
        wait_idle(page, timeout_ms=180_000)
        assert_no_exception(page)
        assert page.evaluate(CLIPPED_JS) == []
    finally:
        page.close()


def test_on_a_phone_the_plotly_toolbar_never_covers_a_title(phone_page, app_url):
    page = phone_page
    page.goto(app_url + "/Inspect")
    head = page.locator(".js-plotly-plot").filter(has_text="Layer 0, head 0")
    expect(head).to_have_count(1)
    wait_idle(page)
    head.scroll_into_view_if_needed()
    head.locator(".nsewdrag").first.tap()
    expect(head.locator(".modebar-container")).to_be_hidden()
    assert_no_exception(page)


def _names(links) -> list[str]:
    # Each link's text is its icon, then its name.
    return [t.strip().split("\n")[-1] for t in links.all_inner_texts()]


def _marked(page) -> list[str]:
    """The sidebar links drawn as the open page's: shaded, unlike the others."""
    shades = page.locator(NAV).evaluate_all("links => links.map(a => getComputedStyle(a).backgroundColor)")
    return [name for name, shade in zip(_names(page.locator(NAV)), shades) if shade != "rgba(0, 0, 0, 0)"]


def test_a_fresh_deep_link_shows_home_first_and_the_home_pages_order(browser):
    # Its own server: the first session a server ever sees is the one st.navigation got wrong (see app.py).
    with streamlit_server() as server:
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        try:
            page.goto(server.url + "/Inspect?text=the+film+was+good")
            expect(page.locator(NAV)).to_have_count(6)
            expect(page.locator("textarea[aria-label='Text to analyse']")).to_have_value("the film was good")
            wait_idle(page, timeout_ms=180_000)
            assert page.locator("[data-testid='stSidebarNav']").count() == 0  # Streamlit's own list, with "app"
            sidebar = _names(page.locator(NAV))
            assert sidebar[0] == "Home" and _marked(page) == ["Inspect"]
            cut = page.locator(NAV).evaluate_all("links => links.map(a => a.querySelector('p'))"
                                                 ".filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.textContent)")
            assert cut == []
            page.locator(NAV, has_text="Home").click()
            expect(page.locator(f"{MAIN} {LINK}")).to_have_count(5)
            wait_idle(page)
            assert _marked(page) == ["Home"]
            links = [name.removeprefix("Open ") for name in _names(page.locator(f"{MAIN} {LINK}"))]
            assert sidebar == _names(page.locator(NAV)) == ["Home", *links]
            page.locator(NAV, has_text="Worked example").click()
            page.wait_for_url("**/Worked_example**")
            expect(page.locator(MAIN)).to_contain_text("Step 1 of 5")
            wait_idle(page)
            assert _marked(page) == ["Worked example"]
            assert_no_exception(page)
        finally:
            page.close()


def test_on_a_phone_opening_the_sidebar_shows_the_pages(phone_page, app_url):
    page = phone_page
    page.goto(app_url + "/Worked_example?example=article&step=scores")
    expect(page.locator(MAIN)).to_contain_text("Step 2 of 5")
    wait_idle(page)
    expect(page.locator(NAV).first).not_to_be_in_viewport()  # a phone's sidebar starts closed, off screen
    page.locator("[data-testid='stExpandSidebarButton']").click()
    expect(page.locator(NAV, has_text="Home")).to_be_in_viewport()
    assert _marked(page) == ["Worked example"]
    page.locator(NAV, has_text="Inspect").tap()
    page.wait_for_url("**/Inspect**")
    expect(page.locator("textarea[aria-label='Text to analyse']")).to_be_attached()
    wait_idle(page)
    assert _marked(page) == ["Inspect"]
    # Unlike Streamlit's own list, a page link leaves the sidebar open; a tap on the page beside it closes it.
    page.touchscreen.tap(370, 700)
    expect(page.locator(NAV).first).not_to_be_in_viewport()
    assert_no_exception(page)
