"""Caching at the boundary: models via st.cache_resource, analyses in one byte-bounded store for all sessions.

Analyses are not in st.cache_data: it pickles a copy on every rerun (75 MB of attention at 512 tokens) and
bounds entries, not bytes. Sessions keep only their text and widget values.
"""

from __future__ import annotations

import os

import streamlit as st

from attnviz.analysis import analyze
from attnviz.gate import cancel_when
from attnviz.loading import LoadedModel, load_model
from attnviz.lru import ByteBudgetLRU
from attnviz.types import Analysis

_BUDGET_MB = int(os.environ.get("ATTNVIZ_CACHE_MB", "256"))
_analyses: ByteBudgetLRU[Analysis] = ByteBudgetLRU(_BUDGET_MB * 1_000_000, lambda a: int(a.attentions.nbytes))


@st.cache_resource(max_entries=2, show_spinner="Loading the model…")
def get_model(name: str) -> LoadedModel:
    """At most two models stay resident; a third evicts the least recently used."""
    return load_model(name)


def get_analysis(
    text: str, model_name: str, labels: tuple[tuple[str, tuple[str, ...]], ...] = ()
) -> Analysis:
    """Analysis of ``text`` (read-only, shared); ``labels`` (name, descriptions) pairs are used by zero-shot models."""
    key = (text, model_name, labels)
    found = _analyses.get(key)
    if found is not None:
        return found
    model = get_model(model_name)
    with st.spinner("Running the model…"), cancel_when(_tab_closed()):
        analysis = analyze(text, model, labels=dict(labels) or None)
    return _analyses.put(key, analysis)


def _tab_closed():
    """A check that turns true once this script run's browser session has disconnected."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return lambda: False
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: not runtime.is_active_session(session_id)


def clear_caches() -> None:
    get_model.clear()
    _analyses.clear()


__all__ = ["clear_caches", "get_analysis", "get_model"]
