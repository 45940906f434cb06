"""Home page pieces: which model and device are active."""

from __future__ import annotations

import streamlit as st

from attnviz.errors import AttnvizError
from attnviz.ui.cache import get_model
from attnviz.ui.text import md_escape

_KINDS = {
    "classifier": "a classifier: predictions come from its own classification head",
    "encoder": "an encoder without a classifier: predictions are zero-shot, by similarity to label descriptions",
    "causal": "a causal language model: causal attention, no prediction",
}


def model_status(name: str) -> None:
    st.subheader("Active model")
    try:
        model = get_model(name)
    except AttnvizError as exc:
        st.error(md_escape(str(exc)))  # it quotes the typed model name
        return
    st.text(f"Model:  {model.name}")
    st.text(f"Kind:   {_KINDS.get(model.kind, model.kind)}")
    st.text(f"Shape:  {model.n_layers} layers × {model.n_heads} heads, up to {model.max_tokens} tokens")
    st.text(f"Device: {model.device}")
