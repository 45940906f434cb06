"""Real browser: the Worked example page served by `streamlit run`."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import MAIN, assert_no_exception, wait_idle

pytestmark = pytest.mark.e2e


def _open(page, url):
    page.goto(url)
    expect(page.locator("[data-testid='stTable']").first).to_be_visible()
    wait_idle(page)
    assert_no_exception(page)
    return page.inner_text(MAIN)


def test_worked_example_opens_at_the_first_step(page, app_url):
    text = _open(page, app_url + "/Worked_example")
    assert "Step 1 of 5: Q, K and V" in text
    assert page.locator(f"{MAIN} .katex").count() >= 2
    page.get_by_role("button", name="Next ▶").click()
    expect(page.locator(MAIN)).to_contain_text("Step 2 of 5: Scores")
    wait_idle(page)
    assert_no_exception(page)
    assert "step=scores" in page.url


def test_worked_example_step_from_the_url(page, app_url):
    text = _open(page, app_url + "/Worked_example?example=article&step=scores")
    assert "Step 2 of 5: Scores: Q times K transposed" in text
    assert "QKᵀ is undefined" in text and "0.3636 + 0.1818 = 0.5454" in text
    # The chosen cell is written out as a sum and marked in the scores table.
    formulas = "".join(page.locator(f"{MAIN} .katex-mathml").all_inner_texts())
    assert "4⋅7+5⋅8+6⋅9=122" in "".join(formulas.split())
    marked = page.locator(f"{MAIN} [data-testid='stTable'] td").filter(has_text="122")
    assert marked.count() >= 1
    assert "245, 158, 11" in marked.first.evaluate("e => getComputedStyle(e).backgroundColor")


def test_worked_example_softmax_step_from_the_url(page, app_url):
    text = _open(page, app_url + "/Worked_example?step=softmax")
    assert "Step 4 of 5: Softmax, row by row" in text
    assert text.count("1.000") >= 3  # every row of the weights sums to 1


def test_worked_example_real_model_with_markup_token_names(page, app_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open(page, app_url + "/Worked_example?example=model&step=scores")
    area = page.locator("textarea[aria-label='Text for the real model']")
    area.fill("<b>bold</b> 我爱学习 <img src=x onerror=alert(1)>")
    area.press("Control+Enter")
    expect(page.locator(f"{MAIN} [data-testid='stTable']").filter(has_text="我").first).to_be_visible()
    wait_idle(page)
    assert_no_exception(page)
    assert "max |recomputed weights − model attention row|" in page.inner_text(MAIN)
    assert page.locator(f"{MAIN} img[src='x']").count() == 0
    assert page.locator(f"{MAIN} b", has_text="bold").count() == 0
    assert dialogs == []
