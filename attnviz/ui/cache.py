"""Caching at the boundary: models via st.cache_resource, analyses via st.cache_data."""

from __future__ import annotations

import streamlit as st

from attnviz.analysis import analyze
from attnviz.loading import LoadedModel, load_model
from attnviz.qkv import ModelQKV, model_qkv
from attnviz.types import Analysis


@st.cache_resource(max_entries=2, show_spinner="Loading the model…")
def get_model(name: str) -> LoadedModel:
    """At most two models stay resident; a third evicts the least recently used."""
    return load_model(name)


@st.cache_data(max_entries=64, show_spinner="Running the model…")
def get_analysis(
    text: str, model_name: str, labels: tuple[tuple[str, tuple[str, ...]], ...] = ()
) -> Analysis:
    """Analysis of ``text``; ``labels`` (name, descriptions) pairs are used by zero-shot models."""
    return analyze(text, get_model(model_name), labels=dict(labels) or None)


@st.cache_data(max_entries=16, show_spinner="Reading q, k and v from the model…")
def get_model_qkv(text: str, model_name: str) -> ModelQKV:
    """Every head's q, k, v and attention for ``text`` (the worked example's real-model mode)."""
    return model_qkv(get_model(model_name), text)


def clear_caches() -> None:
    get_model.clear()
    get_analysis.clear()
    get_model_qkv.clear()


__all__ = ["clear_caches", "get_analysis", "get_model", "get_model_qkv"]
