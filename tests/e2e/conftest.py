"""Real-browser fixtures: a `streamlit run app.py` server on a free loopback port and Debian's chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.serve import CHROMIUM, CHROMIUM_ARGS, IDLE, streamlit_server

MAIN = "[data-testid='stMain']"
LINK = "a[data-testid='stPageLink-NavLink']"
# The pages' links that attnviz.ui.nav draws at the top of every page's sidebar.
NAV = f"[data-testid='stSidebar'] {LINK}"
# A cold server loads the model on its first run; every wait is for expected content, up to this long.
expect.set_options(timeout=90_000)


@pytest.fixture(scope="session")
def app_url():
    with streamlit_server() as server:
        yield server.url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS))
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser):
    """A 390×844 touch screen, as a student's phone."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def wait_idle(page, timeout_ms: int = 90_000) -> None:
    """Wait until the script run has finished. Call it after waiting for what that run should show: right after
    an action the next run may not have started yet, and the page is still idle from the previous one."""
    expect(page.locator(IDLE)).to_be_attached(timeout=timeout_ms)


def assert_no_exception(page) -> None:
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.first.inner_text()
