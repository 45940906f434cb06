"""Caching at the boundary: models via st.cache_resource, analyses in one byte-bounded store for all sessions.

Analyses are not in st.cache_data: it pickles a copy on every rerun (75 MB of attention at 512 tokens) and
bounds entries, not bytes. Sessions keep only their text and widget values.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Hashable, TypeVar

import numpy as np
import streamlit as st

from attnviz import settings
from attnviz.analysis import analyze_many
from attnviz.attribution import Attribution, attribute
from attnviz.compact import COMPACT_BYTES, LayerStore
from attnviz.gate import cancel_when
from attnviz.head_stats import ablate, head_importance
from attnviz.loading import LoadedModel, load_model
from attnviz.lru import ByteBudgetLRU
from attnviz.teaching.real_model import ModelQKV, model_qkv
from attnviz.types import Analysis, Prediction
from attnviz.ui.state import LAYER

Labels = tuple[tuple[str, tuple[str, ...]], ...]
R = TypeVar("R")



@st.cache_resource
def _analyses() -> ByteBudgetLRU[Analysis]:
    """The one store, made at first use: a bad ATTNVIZ_CACHE_MB is then a message on the page, not an import crash."""
    return ByteBudgetLRU(settings.current().cache_mb * 1_000_000, lambda a: int(a.attentions.nbytes))


# A failed load is answered from memory for this long, so a class rerunning a page does not retry it each time.
FAILED_LOAD_S = 30.0
_failed_loads: dict[str, tuple[float, Exception]] = {}
# One lock per key being computed, with how many callers hold or wait for it; dropped when the last one leaves.
_key_locks: dict[Hashable, list] = {}
_key_locks_lock = threading.Lock()


@st.cache_resource(max_entries=2, show_spinner="Loading the model…")
def _resident_model(name: str) -> LoadedModel:
    """At most two models stay resident; a third evicts the least recently used."""
    return load_model(name)


def get_model(name: str) -> LoadedModel:
    """The loaded model: sessions choosing the same new model wait for one load; a failure is remembered briefly."""
    failed = _failed_loads.get(name)
    if failed is not None and time.monotonic() - failed[0] < FAILED_LOAD_S:
        raise failed[1]
    try:
        return _once(("model", name), lambda: _resident_model(name))
    except Exception as exc:
        _failed_loads[name] = (time.monotonic(), exc)
        raise


def _once(key: Hashable, compute: Callable[[], R]) -> R:
    """``compute()`` with one computation per ``key`` at a time: concurrent callers wait, then read its cache."""
    with _key_locks_lock:
        entry = _key_locks.setdefault(key, [threading.Lock(), 0])
        entry[1] += 1
    try:
        with entry[0]:
            return compute()
    finally:
        with _key_locks_lock:
            entry[1] -= 1
            if entry[1] == 0:
                del _key_locks[key]


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
            # The layer the page is about to draw is kept in full; any other is recomputed when it is picked.
            shown = st.session_state.get(LAYER, 0)
            keep = (shown,) if isinstance(shown, int) and 0 <= shown < model.n_layers else (0,)
            fresh = analyze_many(missing, model, labels=dict(labels) or None, compact_bytes=COMPACT_BYTES, keep_layers=keep)
        for text, analysis in zip(missing, fresh):
            found[text] = store.put((text, model_name, labels), analysis)
        if any(isinstance(a.attentions, LayerStore) for a in fresh):
            release_freed_memory()
    return tuple(found[t] for t in texts)


def release_freed_memory() -> None:
    """Hand memory that was freed back to the OS (glibc only; elsewhere nothing happens).

    A long text's pass frees hundreds of MB of per-layer temporaries that glibc keeps in its arenas: measured at
    1,000 tokens, RSS stays 180 MB above what is live until ``malloc_trim``.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


def _tab_closed():
    """A check that turns true once this script run's browser session has disconnected."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return lambda: False
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: not runtime.is_active_session(session_id)


# Explain's results (a score per token or per head) in one shared, byte-bounded store: the same sentence from a
# whole class is computed once, and later visitors get it without waiting.
def _result_bytes(result: object) -> int:
    if isinstance(result, np.ndarray):
        return int(result.nbytes)
    assert isinstance(result, Attribution)
    return int(result.scores.nbytes) + 200 * len(result.tokens)  # ~200 bytes per Token and its text


@st.cache_resource
def _explained() -> ByteBudgetLRU[object]:
    """A sixteenth of the analyses' budget: scores per token or per head are small."""
    return ByteBudgetLRU(settings.current().cache_mb * 1_000_000 // 16, _result_bytes)


def _explain_once(key: Hashable, compute: Callable[[], R]) -> R:
    found = _explained().get(key)
    if found is not None:
        return found  # type: ignore[return-value]

    def fill() -> R:
        again = _explained().get(key)  # computed by the caller this one waited for
        return again if again is not None else _explained().put(key, compute())  # type: ignore[return-value]

    return _once(key, fill)


def get_attribution(text: str, model_name: str, labels: Labels, method: str, target: str | int | None) -> Attribution:
    """Attribution of ``target`` for ``text`` (shared between sessions, computed once per key)."""
    model = get_model(model_name)

    def compute() -> Attribution:
        with st.spinner("Computing gradient attributions…"), cancel_when(_tab_closed()):
            return attribute(text, method=method, target=target, model=model, labels=dict(labels) or None)

    return _explain_once(("attribution", model_name, text, labels, method, target), compute)


def cached_head_importance(text: str, model_name: str, labels: Labels) -> np.ndarray | None:
    """Head importance if someone has computed it for this text already, else None (nothing runs)."""
    return _explained().get(("importance", model_name, text, labels))  # type: ignore[return-value]


def get_head_importance(
    text: str, model_name: str, labels: Labels, progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """float[layers, heads] head importance (shared, computed once per key); ``progress(done, total)`` per chunk."""
    model = get_model(model_name)

    def compute() -> np.ndarray:
        with cancel_when(_tab_closed()):
            values = head_importance(text, model, dict(labels) or None, progress=progress)
        values.flags.writeable = False
        return values

    return _explain_once(("importance", model_name, text, labels), compute)


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
    for cached in (_resident_model, get_ablation, get_model_qkv, _analyses, _explained):
        cached.clear()
    _failed_loads.clear()


__all__ = [
    "cached_head_importance", "clear_caches", "get_ablation", "get_analyses", "get_analysis", "get_attribution", "get_head_importance",
    "get_model", "get_model_qkv",
]
