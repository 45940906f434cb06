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
