"""Real browser: the attention-block stages of the Worked example page."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, wait_idle

pytestmark = pytest.mark.e2e

MAIN = "[data-testid='stMain']"


@pytest.mark.parametrize(("stage", "expected"), [
    ("multihead", "2 heads of d_k = 2"),
    ("rope", "depends only on the distance"),
    ("gqa", "reads K/V head"),
    ("kv_cache", "max |cached row − full last row|"),
    ("cross", "context vector"),
    ("model", "max |multi_head_steps output − model's attention output|"),
])
def test_block_stage_from_the_url(page, app_url, stage, expected):
    page.goto(f"{app_url}/Worked_example?stage={stage}")
    expect(page.locator(MAIN)).to_contain_text(expected, timeout=90_000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator(f"{MAIN} [data-testid='stException']").count() == 0


def test_check_my_answer_on_the_cross_stage_marks_a_wrong_shape(page, app_url):
    page.goto(f"{app_url}/Worked_example?stage=cross")
    box = page.get_by_label("weights (row = target word, column = source word)")
    expect(box).to_be_visible()
    wait_idle(page)
    box.fill("0.5 0.5\n0.5 0.5")
    page.locator(MAIN).get_by_role("button", name="Check").click()
    expect(page.locator(MAIN)).to_contain_text("8 rows of 5 numbers")
    wait_idle(page)
    assert_no_exception(page)


def test_inspect_shows_cross_attention_of_a_tiny_bart(page, app_url, tiny_bart_dir):
    from urllib.parse import quote

    page.goto(f"{app_url}/Inspect?model={quote(str(tiny_bart_dir))}&text={quote('我爱学习编程。')}")
    expect(page.get_by_label("Target text (read by the decoder)")).to_be_visible()
    page.locator(MAIN).get_by_text("Cross-attention (target queries → source keys)").click()
    expect(page.locator(MAIN)).to_contain_text("decoder tokens ×")
    expect(page.locator(f"{MAIN} .js-plotly-plot")).to_have_count(1)
    wait_idle(page)
    assert_no_exception(page)
