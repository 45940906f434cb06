"""Real browser: the Explain page and the Inspect view toggles, served by `streamlit run`."""

import urllib.parse

import pytest

from tests.e2e.conftest import assert_no_exception, wait_idle

pytestmark = pytest.mark.e2e

TITLES = "() => [...document.querySelectorAll('.js-plotly-plot')].map(g => (g.layout.title||{}).text || '')"


def _plot_with(page, title_part):
    page.wait_for_function(
        "t => [...document.querySelectorAll('.js-plotly-plot')].some(g => ((g.layout.title||{}).text||'').includes(t))",
        arg=title_part, timeout=90_000,
    )
    return page.evaluate(
        "t => { const g = [...document.querySelectorAll('.js-plotly-plot')].find(p => ((p.layout.title||{}).text||'').includes(t));"
        " return {ticks: g.layout.xaxis.ticktext || [], traces: g.data.length}; }",
        title_part,
    )


def test_explain_shows_bars_head_table_and_compare(page, app_url):
    text = "The movie was not good at all, but the music was wonderful."
    page.goto(app_url + "/Explain?" + urllib.parse.urlencode({"text": text}))
    wait_idle(page, timeout_ms=180_000)
    assert_no_exception(page)
    bars = _plot_with(page, "Which tokens matter")
    assert bars["traces"] == 3
    assert page.locator("[data-testid='stDataFrame']").count() >= 2
    main = page.inner_text("[data-testid='stMain']")
    assert "Completeness" in main and "Abnar & Zuidema" in main
    diff = _plot_with(page, "B − A")
    assert "not" not in diff["ticks"] and "good" in diff["ticks"]
    box = page.locator("input[aria-label='Text B']")
    box.fill("the film was bad")
    box.press("Enter")
    page.wait_for_timeout(500)
    wait_idle(page, timeout_ms=180_000)
    assert_no_exception(page)
    assert "good/bad" in _plot_with(page, "B − A")["ticks"]


def test_explain_opens_a_head_on_inspect(page, app_url):
    page.goto(app_url + "/Explain?text=the+film+was+not+good")
    wait_idle(page, timeout_ms=180_000)
    button = page.get_by_role("button", name="on Inspect")
    label = button.inner_text()
    layer, head = label.split("layer ")[1].split(" on")[0].split(", head ")
    button.click()
    page.wait_for_url("**/Inspect**", timeout=60_000)
    wait_idle(page, timeout_ms=180_000)
    assert_no_exception(page)
    titles = page.evaluate(TITLES)
    assert any(f"Layer {layer}, head {head}" in t for t in titles)
    assert page.locator("textarea[aria-label='Text to analyse']").input_value() == "the film was not good"


def test_inspect_toggles_hide_special_tokens(page, app_url):
    page.goto(app_url + "/Inspect?text=the+cat+sat")
    wait_idle(page)
    page.get_by_text("Hide special tokens").click()
    page.wait_for_timeout(500)
    wait_idle(page)
    assert_no_exception(page)
    head = _plot_with(page, "special tokens hidden")
    assert head["ticks"] == ["the", "cat", "sat"]
