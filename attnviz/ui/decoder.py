"""Inspect and Explain widgets for causal language models: the next token, head types with the induction probe."""

from __future__ import annotations

import numpy as np
import streamlit as st

from attnviz import builtin_decoder, figures_decoder, next_token_explain
from attnviz.head_types import head_types, induction_probe_text
from attnviz.loading import SMOLLM2_NAME
from attnviz.types import Analysis, Prediction
from attnviz.ui.cache import get_model
from attnviz.ui.run import safely

PROBE_WORDS = 24


def first_load_notice(model_name: str) -> None:
    """Before the one-time GGUF conversion of the built-in language model, say why the first load takes a while."""
    if model_name != SMOLLM2_NAME:
        return
    converted = safely(builtin_decoder.is_cached, "looking for the converted SmolLM2 weights")
    if converted is False:
        st.info(
            "First use of SmolLM2-135M on this machine: its weights are converted from the packaged GGUF file to "
            "float32 once (about 20 s); later loads take a few seconds."
        )


def show_next_token(analysis: Analysis) -> None:
    """The top next tokens and the probability left to all others (token texts with visible spaces, as text)."""
    prediction = analysis.prediction
    assert prediction is not None
    st.caption("The model's output: what it predicts as the next token, from the softmax over its whole vocabulary.")
    st.plotly_chart(figures_decoder.next_token_figure(prediction), key="next_token")
    st.text(
        f"Most probable next token: {figures_decoder.visible(prediction.labels[0])} "
        f"(p = {float(prediction.probs[0]):.3f}); ␣ marks a space."
    )


def _run_probe(model_name: str) -> None:
    tokenizer = get_model(model_name).tokenizer
    st.session_state["text"] = induction_probe_text(tokenizer, PROBE_WORDS, seed=int(st.session_state.get("probe_seed", 0)))
    st.session_state["probe_seed"] = int(st.session_state.get("probe_seed", 0)) + 1


def head_types_section(analysis: Analysis, model_name: str) -> None:
    """Previous-token, duplicate-token, induction and sink scores of every head, and the one-click probe."""
    st.caption(
        "TransformerLens's head detector: the share of a head's attention (first key and the diagonal left out) on "
        "the previous token, on earlier copies of the same token, or on the token that followed an earlier copy "
        "(induction). Sink: mean attention on the first token. Induction heads show on repeated text: the probe "
        f"writes {PROBE_WORDS} random words twice."
    )
    st.button(
        "Run the induction probe (random words, repeated)", key="induction_probe", icon="🔁",
        on_click=_run_probe, args=(model_name,),
    )
    types = head_types(analysis)
    st.plotly_chart(figures_decoder.head_types_figure(types), key="head_types")
    best = np.unravel_index(int(np.argmax(types.induction)), types.induction.shape)
    sinks = int((types.sink >= 0.5).sum())
    st.text(
        f"Strongest induction head: layer {best[0]}, head {best[1]} ({types.induction[best]:.3f}). "
        f"{sinks} of {types.sink.size} heads put half or more of their attention on the first token (attention sinks)."
    )


@st.cache_data(max_entries=64, show_spinner="Running the model with heads off…")
def next_token_ablation(text: str, model_name: str, off: tuple[tuple[int, int], ...], token_ids: tuple[int, ...]) -> Prediction:
    """The same next tokens' probabilities with the (layer, head) pairs in ``off`` switched off."""
    model = get_model(model_name)
    mask = np.ones((model.n_layers, model.n_heads))
    for layer, head in off:
        mask[layer, head] = 0.0
    return next_token_explain.ablate(text, mask, model, token_ids)
