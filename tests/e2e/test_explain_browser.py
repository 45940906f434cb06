"""Real browser: the Explain page and the Inspect view toggles, served by `streamlit run`."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import MAIN, assert_no_exception, wait_idle

pytestmark = pytest.mark.e2e


def _plot_with(page, title_part, tick=""):
    """The first plot whose title holds ``title_part`` (and whose x ticks include ``tick``), once it is drawn."""
    page.wait_for_function(
        "([t, k]) => [...document.querySelectorAll('.js-plotly-plot')].some(g => ((g.layout.title||{}).text||'')"
        ".includes(t) && (!k || (g.layout.xaxis.ticktext||[]).includes(k)))",
        arg=[title_part, tick], timeout=180_000,
    )
    return page.evaluate(
        "t => { const g = [...document.querySelectorAll('.js-plotly-plot')].find(p => ((p.layout.title||{}).text||'').includes(t));"
        " return {ticks: g.layout.xaxis.ticktext || [], traces: g.data.length}; }",
        title_part,
    )


def test_explain_shows_bars_head_table_and_compare(page, app_url):
    text = "The movie was not good at all, but the music was wonderful."
    page.goto(app_url + "/Explain?" + urllib.parse.urlencode({"text": text}))
    bars = _plot_with(page, "Which tokens matter")
    diff = _plot_with(page, "B − A")
    wait_idle(page, timeout_ms=180_000)
    assert_no_exception(page)
    assert bars["traces"] == 3
    # The data grid's code loads lazily, so the tables can mount after the plots: wait for them too.
    expect(page.locator("[data-testid='stDataFrame']").nth(1)).to_be_attached(timeout=60_000)
    main = page.inner_text(MAIN)
    assert "first-order estimate" in main and "Abnar & Zuidema" in main  # gradient × input by default
    assert "not" not in diff["ticks"] and "good" in diff["ticks"]
    box = page.locator("input[aria-label='Text B']")
    box.fill("the film was bad")
    box.press("Enter")
    _plot_with(page, "B − A", tick="good/bad")
    wait_idle(page, timeout_ms=180_000)
    assert_no_exception(page)


def test_explain_opens_a_head_on_inspect(page, app_url):
    page.goto(app_url + "/Explain?text=the+film+was+not+good")
    button = page.get_by_role("button", name="on Inspect")
    expect(button).to_be_visible(timeout=180_000)
    label = button.inner_text()
    layer, head = label.split("layer ")[1].split(" on")[0].split(", head ")
    button.click()
    page.wait_for_url("**/Inspect**", timeout=60_000)
    _plot_with(page, f"Layer {layer}, head {head}")
    wait_idle(page, timeout_ms=180_000)
    assert_no_exception(page)
    assert page.locator("textarea[aria-label='Text to analyse']").input_value() == "the film was not good"


def test_inspect_toggles_hide_special_tokens(page, app_url):
    page.goto(app_url + "/Inspect?text=the+cat+sat")
    _plot_with(page, "Layer 0, head 0")
    page.get_by_text("Hide special tokens").click()
    head = _plot_with(page, "special tokens hidden")
    wait_idle(page)
    assert_no_exception(page)
    assert head["ticks"] == ["the", "cat", "sat"]
