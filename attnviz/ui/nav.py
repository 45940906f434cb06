"""The app's pages in one table, drawn as the sidebar's navigation on every page and as the home page's links.

Streamlit's own sidebar navigation is off (``client.showSidebarNavigation`` in .streamlit/config.toml): it names the
home page "app" after app.py. ``st.navigation`` would name it, but beside a pages/ folder it left a fresh deep link
on the classic routing until some session opened home (tried 3 Dec 2026), so the pages stay classic and the sidebar
draws these links instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Page:
    path: str  # relative to app.py, as st.page_link takes it
    title: str
    icon: str
    summary: str = ""  # Markdown, one line for the home page's list of the pages


HOME = Page("app.py", "Home", "🏠")
# In the order of the files' number prefixes, which is also the order of a lesson.
PAGES = (
    Page("pages/1_Inspect.py", "Inspect", "🔍",
         "the prediction, all heads at a glance, one head large, and the averages."),
    Page("pages/2_Worked_example.py", "Worked example", "🧮",
         "scaled dot-product attention step by step (Q, K, V, QKᵀ, ÷√d_k, softmax, ·V), with numbers you can check "
         "by hand and the same computation redone on the real model."),
    Page("pages/3_Explain.py", "Explain", "🧭",
         "does the attention explain the prediction? Rollout, gradients and head importance."),
    Page("pages/4_Corpus.py", "Corpus", "📚", "a whole dataset through the model, queried live."),
    Page("pages/5_Classroom.py", "Classroom", "🎓", "the teacher asks, every student answers on their own device."),
)


def nav_links() -> None:
    """Home, then every page; call inside ``st.sidebar``. Streamlit shades and bolds the link to the open page."""
    for page in (HOME, *PAGES):
        st.page_link(page.path, label=page.title, icon=page.icon)
