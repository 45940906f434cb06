"""Inspect for encoder–decoder models (BART, T5, Marian): a target text next to the source, and a choice of which
of the three attentions to show."""

from __future__ import annotations

import streamlit as st

from attnviz import figures
from attnviz.seq2seq import KIND_TITLES, KINDS, PairAnalysis, analyze_pair
from attnviz.tokens import has_visible_text
from attnviz.ui.cache import get_model
from attnviz.ui.inspect import font_size
from attnviz.ui.run import safely
from attnviz.ui.sidebar import ModelChoice
from attnviz.ui.state import clamp_index

TARGET_KEY, KIND_KEY, LAYER_KEY, HEAD_KEY = "s2s_target", "s2s_kind", "s2s_layer", "s2s_head"
DEFAULT_TARGET = "Yesterday I went to the park to run."


def is_seq2seq(model_name: str) -> bool:
    """True for an encoder–decoder model; False too when it does not load (the usual path then says why)."""
    try:
        return get_model(model_name).kind == "seq2seq"
    except Exception:  # any load failure is shown, in words, by run_analysis on the same name
        return False


@st.cache_data(max_entries=16, show_spinner="Running the encoder and the decoder…")
def get_pair(source: str, target: str, model_name: str) -> PairAnalysis:
    return analyze_pair(source, target, get_model(model_name))


def inspect_pair(source: str, choice: ModelChoice) -> None:
    """The target box, the kind/layer/head pickers and the chosen attention as a heatmap (row = query)."""
    st.caption("This is an encoder–decoder model: the text above is the source, read by the encoder; the target "
               "below is read by the decoder, as in training (its start token first, then the target).")
    if TARGET_KEY not in st.session_state:
        st.session_state[TARGET_KEY] = DEFAULT_TARGET
    target = st.text_area("Target text (read by the decoder)", key=TARGET_KEY, height=80)
    if not (has_visible_text(source) and has_visible_text(target)):
        st.info("Enter a source text above and a target text here to see the three kinds of attention.")
        return
    pair = safely(lambda: get_pair(source, target, choice.name))
    if pair is None:
        return
    if pair.dropped:
        st.warning(pair.dropped)
    kind = st.radio("Attention", KINDS, format_func=KIND_TITLES.get, key=KIND_KEY, horizontal=True)
    attentions = pair.attentions(kind)
    clamp_index(LAYER_KEY, attentions.shape[0])
    clamp_index(HEAD_KEY, attentions.shape[1])
    left, right = st.columns(2)
    part = "encoder" if kind == "encoder" else "decoder"
    layer = int(left.selectbox(f"Layer ({part}, {attentions.shape[0]} layers)", range(attentions.shape[0]),
                               key=LAYER_KEY))
    head = int(right.selectbox("Head", range(attentions.shape[1]), key=HEAD_KEY))
    query, keys = pair.axes(kind)
    title = f"{KIND_TITLES[kind]}, layer {layer}, head {head}: each row is a query token"
    st.plotly_chart(figures.head_heatmap(attentions[layer, head], query, title, font_size=font_size(),
                                         key_tokens=keys), key="s2s_figure")
    if kind == "cross":
        st.caption(f"{len(query)} decoder tokens × {len(keys)} encoder tokens: row i is how the decoder step that "
                   "predicts target token i spreads its attention over the source. Each row sums to 1.")
