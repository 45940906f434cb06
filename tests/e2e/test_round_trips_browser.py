"""Real browser, issue 11: what survives a trip between pages, a long text's link, 512 tokens, zero-shot labels."""

import json
import urllib.parse

import pytest
from playwright.sync_api import expect

import attnviz
from attnviz.teaching.examples import EXAMPLE_TITLES
from attnviz.urlstate import MAX_URL_TEXT
from tests.e2e.conftest import MAIN, NAV, assert_no_exception, wait_idle

pytestmark = pytest.mark.e2e

TEXT_AREA = "textarea[aria-label='Text to analyse']"


def _go(page, label):
    """Switch page the way a user does, through the sidebar: the session (and what it remembers) stays."""
    page.locator(NAV, has_text=label).click()
    page.wait_for_url(f"**/{label.replace(' ', '_')}**")


def _choose(page, widget_label, option):
    page.get_by_role("combobox", name=widget_label).click()
    page.get_by_role("option", name=option).click()


def _submit(page, text):
    area = page.locator(TEXT_AREA)
    area.fill(text)
    area.press("Control+Enter")


def test_text_typed_on_inspect_reaches_the_real_model_mode(page, app_url):
    page.goto(app_url + "/Inspect")
    wait_idle(page)
    _submit(page, "a zebra sang to the moon")
    expect(page.locator(f"{MAIN} [data-testid='stCode']").first).to_contain_text("zebra")
    wait_idle(page)
    _go(page, "Worked example")
    expect(page.locator(MAIN)).to_contain_text("Step 1 of 5")
    wait_idle(page)
    _choose(page, "Example", EXAMPLE_TITLES["model"])
    area = page.locator("textarea[aria-label='Text for the real model']")
    expect(area).to_have_value("a zebra sang to the moon")
    expect(page.locator(f"{MAIN} [data-testid='stTable']").filter(has_text="zebra").first).to_be_visible()
    wait_idle(page)
    assert_no_exception(page)


def _worked_state(page, step_title):
    expect(page.locator(MAIN)).to_contain_text(step_title)
    wait_idle(page)
    assert_no_exception(page)
    example = page.get_by_role("combobox", name="Example").input_value()
    return example, page.locator(f"{MAIN} h1").first.evaluate("e => getComputedStyle(e).fontSize")


def test_worked_example_state_survives_inspect_and_back(page, app_url):
    page.goto(app_url + "/Worked_example?example=article&step=softmax")
    expect(page.locator(MAIN)).to_contain_text("Step 4 of 5")
    wait_idle(page)
    page.get_by_role("button", name="Next ▶").click()
    expect(page.locator(MAIN)).to_contain_text("Step 5 of 5")
    page.get_by_text("Presentation mode").click()
    expect(page.locator(f"{MAIN} h1").first).to_have_css("font-size", "48px")
    wait_idle(page)
    assert "example=article" in page.url and "step=output" in page.url
    # Through the sidebar, and back through it.
    _go(page, "Inspect")
    expect(page.locator(TEXT_AREA)).to_be_visible()
    wait_idle(page)
    _go(page, "Worked example")
    example, font = _worked_state(page, "Step 5 of 5")
    assert EXAMPLE_TITLES["article"] in example and font == "48px"
    assert "example=article" in page.url and "step=output" in page.url
    # With the browser's Back button from Inspect: the worked example's last URL comes back with its state.
    _go(page, "Inspect")
    expect(page.locator(TEXT_AREA)).to_be_visible()
    wait_idle(page)
    page.go_back()
    page.wait_for_url("**/Worked_example?**")
    example, font = _worked_state(page, "Step 5 of 5")
    assert EXAMPLE_TITLES["article"] in example and font == "48px"
    # A new example starts at its first step.
    _choose(page, "Example", EXAMPLE_TITLES["single"])
    expect(page.locator(MAIN)).to_contain_text("Step 1 of 5")
    wait_idle(page)
    assert "example=single" in page.url and "step=inputs" in page.url
    # Each new example or step is a history entry: Back and Forward step through them on this page too.
    page.go_back()
    example, font = _worked_state(page, "Step 5 of 5")
    assert EXAMPLE_TITLES["article"] in example and font == "48px"
    page.go_forward()
    example, _ = _worked_state(page, "Step 1 of 5")
    assert EXAMPLE_TITLES["single"] in example


def test_a_text_too_long_for_the_link_is_saved_and_opened_as_a_file(browser, page, app_url, tmp_path):
    text = "wonderful " * (MAX_URL_TEXT // 10 + 10)  # 2,100 characters, 212 tokens
    page.goto(app_url + "/Inspect")
    wait_idle(page)
    _submit(page, text)
    expect(page.locator(MAIN)).to_contain_text("more than a link can safely carry")
    wait_idle(page)
    assert "text=" not in page.url  # the link left it out, and the page said so
    with page.expect_download() as download:
        page.get_by_role("button", name="Save this view (JSON)").click()
    saved = tmp_path / "view.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text())["text"] == text
    # A fresh session (a colleague opening the file) gets the same text back.
    other = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        other.goto(app_url + "/Inspect")
        wait_idle(other)
        other.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(saved))
        expect(other.locator(TEXT_AREA)).to_have_value(text)
        expect(other.locator(MAIN)).to_contain_text("more than a link can safely carry")
        wait_idle(other)
        assert_no_exception(other)
    finally:
        other.close()


def test_512_tokens_draw_a_square_head_with_labels_apart(page, app_url):
    page.goto(app_url + "/Inspect?" + urllib.parse.urlencode({"text": "the cat " * 300}))  # cut to 512 tokens
    expect(page.locator(MAIN)).to_contain_text("512 tokens")
    head = page.locator(".js-plotly-plot").filter(has_text="Layer 0, head 0")
    expect(head.locator(".ytick")).not_to_have_count(0)
    wait_idle(page)
    assert_no_exception(page)
    geometry = head.evaluate(
        "g => ({x: g._fullLayout.xaxis._length, y: g._fullLayout.yaxis._length, n: g._fullData[0].z.length,"
        " font: g._fullLayout.yaxis.tickfont.size, xticks: g._fullLayout.xaxis.tickvals.length,"
        " yboxes: [...g.querySelectorAll('.ytick text')].map(t => t.getBoundingClientRect()).map(b => [b.top, b.bottom])})"
    )
    assert geometry["n"] == 512
    assert geometry["y"] >= 600 and 0.9 <= geometry["x"] / geometry["y"] <= 1.1  # square, and large
    assert geometry["font"] >= 12
    # The y labels (horizontal text) do not touch; the x labels (rotated 60°) each have more than a line's height.
    boxes = sorted(geometry["yboxes"])
    assert all(low[1] <= high[0] for low, high in zip(boxes, boxes[1:]))
    assert geometry["x"] / geometry["xticks"] >= 1.15 * geometry["font"]


@pytest.mark.parametrize("spec", ["sport: football, tennis", "just one line without a colon"], ids=["one", "no-colon"])
def test_zero_shot_with_one_label_says_it_needs_two(page, app_url, spec):
    page.goto(app_url + "/Inspect?" + urllib.parse.urlencode({"text": "We cooked pasta.", "model": attnviz.BUILTIN_ZERO_SHOT_NAME}))
    editor = page.locator("textarea[aria-label='Labels and descriptions']")
    expect(editor).to_be_visible()
    wait_idle(page)
    editor.fill(spec)
    editor.press("Control+Enter")
    expect(page.locator("[data-testid='stSidebar'] [data-testid='stAlert']")).to_contain_text("needs two or more labels")
    wait_idle(page)
    assert_no_exception(page)
    ranked = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].find(g => g.data[0].type === 'bar').layout.yaxis.ticktext"
    )
    assert sorted(ranked) == ["negative", "positive"]  # the defaults, as the message says; never one bar at 1.000
