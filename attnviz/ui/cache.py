"""Caching at the boundary: models via st.cache_resource, analyses via st.cache_data."""

from __future__ import annotations

import streamlit as st

import numpy as np

from attnviz.analysis import analyze
from attnviz.attribution import Attribution, attribute
from attnviz.head_stats import ablate, head_importance
from attnviz.loading import LoadedModel, load_model
from attnviz.types import Analysis, Prediction


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


Labels = tuple[tuple[str, tuple[str, ...]], ...]


@st.cache_data(max_entries=32, show_spinner="Computing gradient attributions…")
def get_attribution(text: str, model_name: str, labels: Labels, method: str, target: str | None) -> Attribution:
    return attribute(text, method=method, target=target, model=get_model(model_name), labels=dict(labels) or None)


@st.cache_data(max_entries=16, show_spinner="Switching each head off in turn…")
def get_head_importance(text: str, model_name: str, labels: Labels) -> np.ndarray:
    return head_importance(text, get_model(model_name), dict(labels) or None)


@st.cache_data(max_entries=64, show_spinner="Running the model with heads off…")
def get_ablation(text: str, model_name: str, labels: Labels, off: tuple[tuple[int, int], ...]) -> Prediction:
    """Prediction with the (layer, head) pairs in ``off`` switched off."""
    model = get_model(model_name)
    mask = np.ones((model.n_layers, model.n_heads))
    for layer, head in off:
        mask[layer, head] = 0.0
    return ablate(text, mask, model, dict(labels) or None)


def clear_caches() -> None:
    for cached in (get_model, get_analysis, get_attribution, get_head_importance, get_ablation):
        cached.clear()


__all__ = ["clear_caches", "get_ablation", "get_analysis", "get_attribution", "get_head_importance", "get_model"]
