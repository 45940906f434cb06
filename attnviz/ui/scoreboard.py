"""Explain-page sections: the faithfulness scoreboard (behind a button, with progress) and value-norm attention."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from attnviz import figures_explain, figures_faithfulness
from attnviz.attribution import METHODS as GRADIENT_METHODS
from attnviz.scoreboard import METHODS, Scoreboard, method_scores, scoreboard
from attnviz.types import Analysis
from attnviz.ui.cache import get_attribution, get_model
from attnviz.ui.run import model_labels, safely
from attnviz.ui.sidebar import ModelChoice
from attnviz.value_norms import value_norms

Labels = tuple[tuple[str, tuple[str, ...]], ...]
SUM_OVER_HEADS = "sum over heads"
COLUMNS = {
    "method": "method",
    "comprehensiveness": "comprehensiveness ↑",
    "comprehensiveness_vs_random": "vs random",
    "sufficiency": "sufficiency ↓",
    "sufficiency_vs_random": "vs random ",
}
# Headers short enough for the grid to fit a 1024 px screen with the sidebar open; the tooltip has the full name.
HEADERS = {
    "comprehensiveness ↑": ("compr. ↑", "Comprehensiveness, higher is better: how far p(class) falls when the "
                           "top-ranked words are deleted."),
    "vs random": ("vs rand.", "Comprehensiveness minus that of a random ranking (positive: better than chance)."),
    "sufficiency ↓": ("suff. ↓", "Sufficiency, lower is better: how far p(class) falls when only the top-ranked "
                     "words are kept."),
    "vs random ": ("vs rand. ", "Sufficiency minus that of a random ranking (negative: better than chance)."),
}
READING = """
**How to read this.** Each method ranks the words by importance. *Comprehensiveness*: delete the top-ranked words
(1 %, 5 %, 10 %, 20 % and 50 % of them, averaged) and see how much the probability of the class falls; if the
method found what the model relies on, the prediction collapses, so **higher is better**. *Sufficiency*: keep only
those words; if they are enough, the prediction survives, so **lower is better** (negative: the model is even surer
with them alone). A method is only worth believing where it beats the *random ranking* (the mean of 5 shuffles):
"vs random" is its difference from chance, positive for comprehensiveness and negative for sufficiency when it
helps. One sentence is a small sample, so compare several before drawing conclusions (ERASER, DeYoung et al. 2020).
"""


@st.cache_data(max_entries=64, show_spinner=False)
def get_method_scores(method: str, text: str, model_name: str, labels: Labels, target: str) -> np.ndarray:
    """Token scores of one scoreboard method; the gradient ones share the attribution section's cache."""
    if method in GRADIENT_METHODS:
        return get_attribution(text, model_name, labels, method, target).scores
    return method_scores(method, text, target, get_model(model_name), dict(labels) or None)


@st.cache_data(max_entries=32, show_spinner=False)
def get_board(text: str, model_name: str, labels: Labels, target: str, scores: tuple) -> Scoreboard:
    return scoreboard(text, target, get_model(model_name), dict(labels) or None, scores=dict(scores))


@st.cache_data(max_entries=16, show_spinner="Weighing attention by the size of each value vector…")
def get_value_norms(text: str, model_name: str) -> np.ndarray:
    return value_norms(text, get_model(model_name))


def scoreboard_section(analysis: Analysis, choice: ModelChoice, target: str) -> None:
    """Six explanations scored by deletion against a random ranking; computed only when asked for."""
    request = (analysis.text, choice.name, target)
    if st.button("Score every explanation", key="scoreboard_run", icon="🏁", type="primary"):
        st.session_state["scoreboard_for"] = request
    if st.session_state.get("scoreboard_for") != request:
        st.caption(
            "Runs six explanation methods and about a hundred shortened copies of the text through the model "
            "(a second or two on the built-in model)."
        )
        return
    board = safely(lambda: _compute(analysis.text, choice, target), "scoring the explanations")
    if board is None:
        return
    table = pd.DataFrame(board.rows() + [_random_row(board)]).rename(columns=COLUMNS)
    st.dataframe(
        table, hide_index=True, key="scoreboard", width="stretch",
        column_config={
            c: st.column_config.NumberColumn(label, help=tip, format="%+.3f" if "vs" in c else "%.3f")
            for c, (label, tip) in HEADERS.items()
        },
    )
    left, right = st.columns([1, 1])
    left.text(reading(board))
    left.markdown(READING)
    right.plotly_chart(figures_faithfulness.deletion_curves(board), key="deletion_curves")


def _compute(text: str, choice: ModelChoice, target: str) -> Scoreboard:
    labels = model_labels(choice)
    progress = st.progress(0.0, text="Scoring the explanations…")
    scores = []
    for done, (method, title) in enumerate(METHODS.items()):
        progress.progress(done / (len(METHODS) + 1), text=f"{title}…")
        scores.append((method, get_method_scores(method, text, choice.name, labels, target)))
    progress.progress(len(METHODS) / (len(METHODS) + 1), text="Deleting the top tokens and rerunning the model…")
    board = get_board(text, choice.name, labels, target, tuple(scores))
    progress.empty()
    return board


def _random_row(board: Scoreboard) -> dict:
    r = board.random
    return {
        "method": f"random ranking (mean of {board.seeds})", "comprehensiveness": r.comprehensiveness,
        "comprehensiveness_vs_random": 0.0, "sufficiency": r.sufficiency, "sufficiency_vs_random": 0.0,
    }


def reading(board: Scoreboard) -> str:
    """The table in two plain sentences (shown as text: the class name may be the user's own label)."""
    rows = board.rows()
    best = max(rows, key=lambda r: r["comprehensiveness"])
    beating = sum(r["comprehensiveness_vs_random"] > 0 for r in rows)
    sufficient = min(rows, key=lambda r: r["sufficiency"])
    return (
        f"Deleting the words {best['method'].lower()} ranks highest lowers p({board.target}) by "
        f"{best['comprehensiveness']:.2f} on average, against {board.random.comprehensiveness:.2f} for random words; "
        f"{beating} of {len(rows)} methods beat chance here.\n"
        f"Keeping only the words {sufficient['method'].lower()} ranks highest changes p({board.target}) least "
        f"(by {sufficient['sufficiency']:.2f} on average; random words: {board.random.sufficiency:.2f})."
    )


def value_norm_section(analysis: Analysis, choice: ModelChoice) -> None:
    """‖α·f(x)‖ for one head or a layer's sum over heads, and the first (or last) token's row as bars."""
    if not st.toggle("Show value-norm attention", key="value_norms_on"):
        return
    layer_now = st.session_state.get("value_norm_layer")
    if not isinstance(layer_now, int) or not 0 <= layer_now < analysis.n_layers:
        st.session_state["value_norm_layer"] = analysis.n_layers - 1
    if st.session_state.get("value_norm_head") not in (SUM_OVER_HEADS, *range(analysis.n_heads)):
        st.session_state["value_norm_head"] = SUM_OVER_HEADS
    pick_layer, pick_head = st.columns(2)
    layer = int(pick_layer.selectbox("Layer", range(analysis.n_layers), key="value_norm_layer"))
    heads = [SUM_OVER_HEADS, *range(analysis.n_heads)]
    head = pick_head.selectbox("Head", heads, key="value_norm_head")
    norms = safely(lambda: get_value_norms(analysis.text, choice.name), "weighing attention by the values")
    if norms is None:
        return
    if norms.shape[-1] != analysis.n_tokens:
        st.error("The value norms were computed on a different tokenization; reload the page.")
        return
    matrix = norms[layer].sum(axis=0) if head == SUM_OVER_HEADS else norms[layer, int(head)]
    which = f"layer {layer}, {SUM_OVER_HEADS}" if head == SUM_OVER_HEADS else f"layer {layer}, head {head}"
    query = analysis.n_tokens - 1 if analysis.causal else 0
    attention = analysis.attentions[layer].sum(axis=0) if head == SUM_OVER_HEADS else analysis.attentions[layer, int(head)]
    series = {
        f"‖α·f(x)‖ of token {query} ({analysis.tokens[query].text}), {which}": matrix[query],
        f"Raw attention of the same row, {which}": attention[query],
    }
    plot, bars = st.columns(2)
    plot.plotly_chart(
        figures_faithfulness.value_norm_heatmap(matrix, analysis.tokens, f"‖α·f(x)‖, {which}"), key="value_norm_map"
    )
    bars.plotly_chart(
        figures_explain.token_bars(analysis.tokens, series, "Value norms vs raw attention"), key="value_norm_bars"
    )
    st.caption(
        "Kobayashi et al. (2020): a head adds α·f(x_j) for each key j, so a large weight on a token with a tiny value "
        "vector moves almost nothing. Colours run from 0 to this matrix's largest norm. The scoreboard's value-norm "
        "row uses the last layer's sum over heads, first token's row."
    )
