"""Shared by the AppTest page tests: the app's path and a page opener."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str | None, query: dict | None = None, timeout: int = 120) -> AppTest:
    """Run ``app.py``, switched to ``page`` (e.g. "pages/1_Inspect.py") when given, with ``query`` in the URL."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if query:
        at.query_params.update(query)
    if page:
        at.switch_page(page)
    return at.run()


def shown(markdown: str) -> str:
    """A Markdown message as the reader sees it: the backslash escapes (and invisible word joiners) removed."""
    return markdown.replace("\\", "").replace("\u2060", "")
