"""Session state has one owner: the keys every page shares, index clamping, memory across pages, the URL.

Streamlit drops a widget's value when a page that does not draw it runs, so values that must survive a trip to
another page are copied into ``<key>__kept`` on every run (``keep``) and put back on arrival.
"""

from __future__ import annotations

from typing import Iterable

import streamlit as st

# Shared between Inspect and Explain (and read by the worked example's real-model mode).
TEXT, TEXT_MEMORY, TEXT_PAGE = "text", "text_memory", "text_page"
LAYER, HEAD = "layer", "head"
PRESENTATION, PRESENTATION_MEMORY = "presentation", "presentation_memory"
# Worked example.
WE_EXAMPLE, WE_STEP, WE_HIDE_RESULTS = "we_example", "we_step", "we_hide_results"
WORKED_KEPT = (WE_EXAMPLE, WE_STEP, WE_HIDE_RESULTS, "we_causal", "we_cell_row", "we_cell_col", "we_layer", "we_head",
               "we_query")
_SUFFIX = "__kept"


def keep(keys: Iterable[str]) -> None:
    """Restore each widget value from its kept copy when the widget was dropped; otherwise refresh the copy."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key + _SUFFIX] = st.session_state[key]
        elif key + _SUFFIX in st.session_state:
            st.session_state[key] = st.session_state[key + _SUFFIX]


def forget(key: str) -> None:
    """Drop a value and its kept copy, so the next run starts it afresh."""
    st.session_state.pop(key, None)
    st.session_state.pop(key + _SUFFIX, None)


def clamp_index(key: str, count: int, default: int = 0) -> int:
    """Make ``st.session_state[key]`` an int in 0..count-1 (``default`` when it is missing or out of range)."""
    value = st.session_state.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < count:
        value = min(max(default, 0), max(count - 1, 0))
        st.session_state[key] = value
    return value


def sync_url(params: dict[str, str]) -> None:
    """Make the URL's query string exactly ``params`` (written only when it differs, so no extra history entry)."""
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def presentation() -> bool:
    """Whether presentation mode (the sidebar toggle) is on."""
    return bool(st.session_state.get(PRESENTATION))
