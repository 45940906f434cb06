"""Real-model mode of the Worked example: one head's own q, k, v, and the proof that they give its attention."""

from __future__ import annotations


import pandas as pd
import streamlit as st

from attnviz.teaching.figures import comparison_figure
from attnviz.teaching.real_model import MATCH_TOLERANCE, ModelQKV, Recomputed, recompute
from attnviz.tokens import has_visible_text
from attnviz.ui.cache import get_model_qkv
from attnviz.ui.run import safely
from attnviz.ui.sidebar import ModelChoice
from attnviz.ui.state import clamp_index
from attnviz.ui.worked import Worked
from attnviz.ui.worked_tables import Axes, indexed
from attnviz.ui.text import md_escape

DEFAULT_TEXT = "The cat sat on the mat because it was tired."


def model_worked(choice: ModelChoice) -> tuple[Worked, Recomputed, ModelQKV] | None:
    """Text, layer, head and query token pickers; the chosen head's step-through, or None after a message."""
    st.session_state["we_loaded"] = "model"
    if "we_text" not in st.session_state:
        st.session_state["we_text"] = st.session_state.get("we_text_memory") or DEFAULT_TEXT
    text = st.text_area("Text for the real model", key="we_text", height=80,
                        help="The text from the Inspect page is carried over; you can type another one here.")
    st.session_state["we_text_memory"] = text
    if not has_visible_text(text):
        st.info("Enter some text to see a real head's q, k and v.")
        return None
    m = safely(lambda: get_model_qkv(text, choice.name), "reading q, k and v from the model")
    if m is None:
        return None
    if m.truncated:
        st.warning(f"The worked example uses the first {len(m.tokens)} of {m.total_tokens} tokens of this text "
                   "(the model was run on those tokens only).")
    clamp_index("we_layer", m.n_layers)
    clamp_index("we_head", m.n_heads)
    clamp_index("we_query", len(m.tokens), 2)
    names = indexed([t.text for t in m.tokens])
    a, b, c = st.columns(3)
    layer = int(a.selectbox("Layer", range(m.n_layers), key="we_layer"))
    head = int(b.selectbox("Head", range(m.n_heads), key="we_head"))
    query = int(c.selectbox("Query token", range(len(m.tokens)), format_func=lambda i: names[i], key="we_query"))
    st.info(
        f"{md_escape(m.model_name)}, layer {layer}, head {head}: the q, k and v below are this head's own vectors (d_k = "
        f"{m.d_k}), read from the model's query, key and value layers while it ran on the text. Q is the one "
        f"query token you picked; K and V have one row for each of the {len(m.tokens)} tokens. The same steps as "
        "in the small examples give this head's attention weights."
    )
    rec = recompute(m, layer, head, query)
    return Worked(rec.steps, Axes((names[query],), names), row_offset=query), rec, m


def show_match(rec: Recomputed, m: ModelQKV, query: int) -> None:
    """The recomputed weights next to the model's own attention row, and the largest difference."""
    st.subheader("Same numbers as the model?")
    line = f"max |recomputed weights − model attention row| = {rec.max_abs_diff:.2e}"
    if rec.matches:
        st.success(f"{line} (at most {MATCH_TOLERANCE:g}): the step-through reproduces the model's attention, "
                   "up to float32 rounding.")
    else:
        st.error(f"{line}: more than {MATCH_TOLERANCE:g}, so this model computes its attention differently.")
    st.plotly_chart(comparison_figure(rec.steps.weights[0], rec.model_row, m.tokens, query), key="we_compare")
    with st.expander("Both rows as numbers (6 decimals)"):
        names = indexed([t.text for t in m.tokens])
        frame = pd.DataFrame([rec.model_row, rec.steps.weights[0]], index=["model", "recomputed"], columns=list(names))
        st.dataframe(frame.style.format("{:.6f}"))
