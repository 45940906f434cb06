"""Real browser: the default built-in sentiment classifier, and the zero-shot built-in with editable labels."""

import urllib.parse

import pytest

import attnviz
from tests.e2e.conftest import assert_no_exception, wait_idle

pytestmark = pytest.mark.e2e

LABELS_EDITOR = "textarea[aria-label='Labels and descriptions']"


def _open(page, app_url, **params):
    page.goto(app_url + "/Inspect?" + urllib.parse.urlencode(params))
    page.wait_for_function(
        "[...document.querySelectorAll('.js-plotly-plot')].some(g => g.data && g.data[0].type === 'bar')",
        timeout=90_000,
    )
    wait_idle(page)
    assert_no_exception(page)


def _ranked_labels(page):
    return page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].find(g => g.data[0].type === 'bar').layout.yaxis.ticktext"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("The movie was not good at all", "negative"), ("A wonderful film, I loved every minute of it.", "positive")],
    ids=["not-good", "wonderful"],
)
def test_default_builtin_classifies_sentiment(page, app_url, text, expected):
    _open(page, app_url, text=text)
    assert _ranked_labels(page)[0] == expected
    assert page.locator(LABELS_EDITOR).count() == 0
    assert attnviz.BUILTIN_NAME in page.inner_text("[data-testid='stMain']")


def test_zero_shot_builtin_offers_editable_labels(page, app_url):
    _open(page, app_url, text="We cooked pasta for dinner.", model=attnviz.BUILTIN_ZERO_SHOT_NAME)
    editor = page.locator(LABELS_EDITOR)
    editor.fill("sport: football, tennis, a match\nfood: a meal, cooking, a recipe")
    editor.press("Control+Enter")
    page.wait_for_function(
        "[...document.querySelectorAll('.js-plotly-plot')].some(g => g.data[0].type === 'bar' && g.layout.yaxis.ticktext.includes('food'))",
        timeout=90_000,
    )
    wait_idle(page)
    assert_no_exception(page)
    assert _ranked_labels(page) == ["food", "sport"]
