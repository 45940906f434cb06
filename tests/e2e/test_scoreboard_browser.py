"""Real browser: the faithfulness scoreboard on Explain, after its button, and the value-norm view."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, wait_idle

pytestmark = pytest.mark.e2e


def test_scoreboard_button_table_and_deletion_curves(page, app_url):
    text = "The movie was not good at all, but the music was wonderful."
    page.goto(app_url + "/Explain?" + urllib.parse.urlencode({"text": text}))
    wait_idle(page, timeout_ms=180_000)
    button = page.get_by_role("button", name="Score every explanation")
    button.scroll_into_view_if_needed()
    button.click()
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("methods beat chance here", timeout=180_000)
    expect(page.locator(".js-plotly-plot .gtitle", has_text="Deletion curves")).to_have_count(1, timeout=60_000)
    wait_idle(page, timeout_ms=180_000)
    assert_no_exception(page)
    board = page.locator("[data-testid='stDataFrame']", has_text="compr. ↑")  # the short header; its tooltip says it in full
    expect(board).to_have_count(1)
    lines = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].map(p => [(p.layout.title||{}).text||'', p.data.map(t => t.name)])"
    )
    curves = next(names for title, names in lines if "Deletion curves" in title)
    assert len(curves) == 7 and curves[-1].startswith("random ranking")


def test_value_norm_view_draws_heatmap_and_bars(page, app_url):
    page.goto(app_url + "/Explain?text=the+film+was+not+good")
    wait_idle(page, timeout_ms=180_000)
    page.get_by_text("Show value-norm attention").click()
    expect(page.locator(".js-plotly-plot .gtitle", has_text="layer 5, sum over heads")).to_have_count(1, timeout=120_000)
    expect(page.locator(".js-plotly-plot .gtitle", has_text="Value norms vs raw attention")).to_have_count(1)
    assert_no_exception(page)
