"""Caching at the boundary: models via st.cache_resource, analyses in one byte-bounded store for all sessions.

Analyses are not in st.cache_data: it pickles a copy on every rerun (75 MB of attention at 512 tokens) and
bounds entries, not bytes. Sessions keep only their text and widget values.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from attnviz import settings
from attnviz.analysis import analyze_many
from attnviz.attribution import Attribution, attribute
from attnviz.gate import cancel_when
from attnviz.head_stats import ablate, head_importance
from attnviz.loading import LoadedModel, load_model
from attnviz.lru import ByteBudgetLRU
from attnviz.qkv import ModelQKV, model_qkv
from attnviz.types import Analysis, Prediction

Labels = tuple[tuple[str, tuple[str, ...]], ...]



@st.cache_resource
def _analyses() -> ByteBudgetLRU[Analysis]:
    """The one store, made at first use: a bad ATTNVIZ_CACHE_MB is then a message on the page, not an import crash."""
    return ByteBudgetLRU(settings.current().cache_mb * 1_000_000, lambda a: int(a.attentions.nbytes))


@st.cache_resource(max_entries=2, show_spinner="Loading the model…")
def get_model(name: str) -> LoadedModel:
    """At most two models stay resident; a third evicts the least recently used."""
    return load_model(name)


def get_analysis(text: str, model_name: str, labels: Labels = ()) -> Analysis:
    """Analysis of ``text`` (read-only, shared); ``labels`` (name, descriptions) pairs are used by zero-shot models."""
    return get_analyses((text,), model_name, labels)[0]


def get_analyses(texts: tuple[str, ...], model_name: str, labels: Labels = ()) -> tuple[Analysis, ...]:
    """Analyses of ``texts``; the ones not cached yet run together in one batched forward pass."""
    store = _analyses()
    found = {t: store.get((t, model_name, labels)) for t in texts}
    missing = tuple(dict.fromkeys(t for t, a in found.items() if a is None))
    if missing:
        model = get_model(model_name)
        with st.spinner("Running the model…"), cancel_when(_tab_closed()):
            fresh = analyze_many(missing, model, labels=dict(labels) or None)
        for text, analysis in zip(missing, fresh):
            found[text] = store.put((text, model_name, labels), analysis)
    return tuple(found[t] for t in texts)


def _tab_closed():
    """A check that turns true once this script run's browser session has disconnected."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return lambda: False
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: not runtime.is_active_session(session_id)


# Small results (a score per token or per head, a prediction): st.cache_data's copies cost little here.
@st.cache_data(max_entries=32, show_spinner="Computing gradient attributions…")
def get_attribution(text: str, model_name: str, labels: Labels, method: str, target: str | None) -> Attribution:
    model = get_model(model_name)
    with cancel_when(_tab_closed()):
        return attribute(text, method=method, target=target, model=model, labels=dict(labels) or None)


@st.cache_data(max_entries=16, show_spinner="Switching each head off in turn…")
def get_head_importance(text: str, model_name: str, labels: Labels) -> np.ndarray:
    model = get_model(model_name)
    with cancel_when(_tab_closed()):
        return head_importance(text, model, dict(labels) or None)


@st.cache_data(max_entries=64, show_spinner="Running the model with heads off…")
def get_ablation(text: str, model_name: str, labels: Labels, off: tuple[tuple[int, int], ...]) -> Prediction:
    """Prediction with the (layer, head) pairs in ``off`` switched off."""
    model = get_model(model_name)
    mask = np.ones((model.n_layers, model.n_heads))
    for layer, head in off:
        mask[layer, head] = 0.0
    with cancel_when(_tab_closed()):
        return ablate(text, mask, model, dict(labels) or None)


@st.cache_data(max_entries=16, show_spinner="Reading q, k and v from the model…")
def get_model_qkv(text: str, model_name: str) -> ModelQKV:
    """Every head's q, k, v and attention for ``text`` (the worked example's real-model mode)."""
    return model_qkv(get_model(model_name), text)


def clear_caches() -> None:
    for cached in (get_model, get_attribution, get_head_importance, get_ablation, get_model_qkv, _analyses):
        cached.clear()


__all__ = [
    "clear_caches", "get_ablation", "get_analyses", "get_analysis", "get_attribution", "get_head_importance",
    "get_model", "get_model_qkv",
]
