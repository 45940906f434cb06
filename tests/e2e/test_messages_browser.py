"""Real browser: a model name from the URL is quoted in the error box as text, never as a link or markup."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, wait_idle

pytestmark = pytest.mark.e2e

ALERT = "[data-testid='stMain'] [data-testid='stAlert']"


@pytest.mark.parametrize("page_path", ["", "/Inspect"], ids=["home", "inspect"])
@pytest.mark.parametrize("model, shown", [
    ("www.evil.example", "not in the local Hugging Face cache"),  # a valid-looking hub id, quoted in the message
    ("org/www.evil.example", "not in the local Hugging Face cache"),
    ("[click me](https://evil.example) **bold**", "not allowed here"),
    ("https://evil.example/x", "not allowed here"),
], ids=["bare-www", "org-www", "markdown-link", "url"])
def test_model_name_from_the_url_never_becomes_a_link(page, app_url, page_path, model, shown):
    page.goto(app_url + page_path + "?" + urllib.parse.urlencode({"model": model, "text": "a fine film"}))
    alert = page.locator(ALERT).filter(has_text=shown).first
    expect(alert).to_be_visible()
    wait_idle(page)
    assert_no_exception(page)
    assert alert.locator("a").count() == 0, alert.inner_html()
    assert alert.locator("strong, b, em").count() == 0
    if "cache" in shown:  # quoted whole: the escapes are invisible
        assert f"'{model}'" in alert.inner_text().replace("\u2060", "")
