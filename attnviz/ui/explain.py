"""Widgets and sections of the Explain page: attributions, ablation, compare (the head table: ui.head_table)."""

from __future__ import annotations

from typing import Callable, TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from attnviz import figures, figures_explain
from attnviz.attribution import METHODS, Attribution, rank_agreement
from attnviz.compare import AttentionDifference, attention_difference
from attnviz.figures_decoder import choice_label
from attnviz.rollout import raw_attention, rollout
from attnviz.types import Analysis
from attnviz.ui.cache import get_ablation, get_attribution
from attnviz.ui.decoder import next_token_ablation
from attnviz.ui import run
from attnviz.ui.run import model_labels, run_analyses
from attnviz.ui.sidebar import ModelChoice
from attnviz.ui.state import clamp_index

T = TypeVar("T")
COMPARE_DEFAULTS = ("the film was good", "the film was not good")
AGREEMENT_EXPLAINER = """
**How to read this.** If attention explained the prediction, the tokens it weights most would be the ones whose
gradients move the prediction most, and the rank correlation would be near 1; near 0 means attention and gradients
tell different stories (the "attention is not explanation" debate, Jain & Wallace 2019, Wiegreffe & Pinter 2019).
Rollout follows attention through the residual connections of all layers and usually agrees better than one layer's
raw attention: Abnar & Zuidema (2020) report Spearman 0.09 for raw attention and 0.13 for rollout against gradients
on DistilBERT fine-tuned on SST-2. Special tokens are left out of the correlations.
"""


def safely(compute: Callable[[], T]) -> T | None:
    """Run ``compute``; show any failure as a message and return None."""
    return run.safely(compute, "explaining this prediction")


def target_selector(analysis: Analysis) -> str | int:
    """The class name to explain, or for a language model the next token's vocabulary id (byte-level pieces of a
    character all decode to "�", so their texts cannot tell them apart; ``choice_label`` shows the id)."""
    prediction = analysis.prediction
    assert prediction is not None
    if prediction.method == "next-token":
        ids = list(prediction.token_ids)
        if st.session_state.get("explain_target") not in ids:
            st.session_state["explain_target"] = ids[0]
        names = dict(zip(ids, prediction.labels))
        picked = st.selectbox("Next token to explain", ids, key="explain_target",
                              format_func=lambda i: choice_label(names[i], i))
        return int(picked)
    labels = list(prediction.labels)
    if st.session_state.get("explain_target") not in labels:
        st.session_state["explain_target"] = prediction.top_label
    return str(st.selectbox("Class to explain", labels, key="explain_target"))


def method_selector() -> str:
    # Gradient × input (one backward pass) by default: integrated gradients cost 50 passes, so they wait to be chosen.
    st.session_state.setdefault("attr_method", "gradient_x_input")
    return str(st.radio("Gradient method", list(METHODS), format_func=METHODS.get, key="attr_method", horizontal=True))


def attribution_section(analysis: Analysis, choice: ModelChoice, target: str | int, method: str) -> None:
    """Token bars for raw attention, rollout and gradients, and their rank agreement."""
    attribution = safely(
        lambda: get_attribution(analysis.text, choice.name, model_labels(choice), method, target)
    )
    if attribution is None:
        return
    if len(attribution.tokens) != analysis.n_tokens:
        st.error("The gradients were computed on a different tokenization; reload the page.")
        return
    # A causal model's first token sees only itself; its last token is the one that predicts the next.
    query, which = (analysis.n_tokens - 1, "last") if analysis.causal else (0, "first")
    series = {
        "raw attention": raw_attention(analysis, query),
        "rollout": rollout(analysis)[query],
        METHODS[method].lower(): attribution.scores,
    }
    titles = [
        # Under 50 characters: a phone's 356 px cut "(last layer, heads' mean)" short.
        f"{which.capitalize()} token's raw attention (mean of last layer)",
        f"Rollout from the {which} token (all layers)",
        f"{METHODS[method]} for the chosen {'next token' if analysis.causal else 'class'}",
    ]
    st.plotly_chart(
        figures_explain.token_bars(
            analysis.tokens, dict(zip(titles, series.values())), "Which tokens matter: attention vs gradients"
        ),
        key="token_bars",
    )
    st.text(attribution_summary(attribution))
    agreement = rank_agreement(series, analysis.tokens)
    rows = [{"scores": f"{a} vs {b}", "Spearman ρ": round(rho, 3)} for (a, b), rho in agreement.items()]
    # Table above its explainer: beside it, at 1024 px with the sidebar open, the ρ column was scrolled out of view.
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="agreement", width="content")
    st.markdown(AGREEMENT_EXPLAINER)


def attribution_summary(attribution: Attribution) -> str:
    lines = [f"{METHODS[attribution.method]} of the {attribution.output}."]
    if attribution.convergence_delta is not None:
        lines.append(
            f"{attribution.n_steps} steps from a baseline of {attribution.baseline}. Completeness: the scores sum to "
            f"{attribution.scores.sum():.4f}, f(text) − f(baseline) = {attribution.f_input - attribution.f_baseline:.4f} "
            f"(delta {attribution.convergence_delta:.1e})."
        )
        lines.append(
            "The scores explain the change from the baseline to the text, not the probability itself: when the "
            "baseline already scores higher for this class than the text does, they sum to a negative number even "
            "though the prediction is confident."
        )
    else:
        lines.append("Gradient × input is a first-order estimate: its scores need not sum to the output.")
    return "\n".join(lines)


def ablation_section(analysis: Analysis, choice: ModelChoice) -> None:
    """Pick heads (or whole layers) to switch off and see the prediction with them off."""
    names = {f"L{layer} H{head}": (layer, head) for layer in range(analysis.n_layers) for head in range(analysis.n_heads)}
    left, right = st.columns(2)
    heads = left.multiselect("Heads to switch off", list(names), key="ablate_heads", placeholder="e.g. L5 H9")
    layers = right.multiselect("Whole layers to switch off", list(range(analysis.n_layers)), key="ablate_layers")
    off = {names[h] for h in heads} | {(layer, h) for layer in layers for h in range(analysis.n_heads)}
    if not off:
        st.info("Choose heads or layers above: the prediction with them switched off appears here.")
        return
    if analysis.prediction is not None and analysis.prediction.method == "next-token":
        ids = analysis.prediction.token_ids
        after = safely(lambda: next_token_ablation(analysis.text, choice.name, tuple(sorted(off)), ids))
    else:
        after = safely(lambda: get_ablation(analysis.text, choice.name, model_labels(choice), tuple(sorted(off))))
    if after is None or analysis.prediction is None:
        return
    before = analysis.prediction
    st.plotly_chart(figures_explain.ablation_figure(before, after), key="ablation")
    top = int(np.argmax(before.probs))
    st.text(
        f"{len(off)} of {analysis.n_layers * analysis.n_heads} heads off: p({before.labels[top]}) "
        f"{before.probs[top]:.3f} → {after.probs[top]:.3f}; prediction now {after.top_label}."
    )


def compare_section(choice: ModelChoice, n_layers: int, n_heads: int) -> None:
    """Two texts side by side: predictions, one head for each, and B − A on the tokens they share."""
    for key, default in zip(("compare_a", "compare_b"), COMPARE_DEFAULTS):
        st.session_state.setdefault(key, default)
    st.session_state.setdefault("compare_layer", n_layers - 1)
    clamp_index("compare_layer", n_layers)
    clamp_index("compare_head", n_heads)
    pick_layer, pick_head = st.columns(2)
    layer = int(pick_layer.selectbox("Layer", range(n_layers), key="compare_layer"))
    head = int(pick_head.selectbox("Head", range(n_heads), key="compare_head"))
    inputs = st.columns(2)
    texts = tuple(col.text_input(f"Text {name}", key=key) for col, key, name in zip(inputs, ("compare_a", "compare_b"), "AB"))
    analyses = run_analyses(texts, choice)  # both texts in one forward pass
    if analyses is None:
        return
    for column, result, name in zip(st.columns(2), analyses, "AB"):
        with column:
            if result.prediction is not None:
                st.plotly_chart(figures.prediction_figure(result.prediction), key=f"compare_pred_{name}")
            st.plotly_chart(
                figures.head_heatmap(result.attentions[layer, head], result.tokens, f"Text {name}: layer {layer}, head {head}"),
                key=f"compare_head_{name}",
            )
    a, b = analyses
    diff = attention_difference(a.attentions[layer, head], a.tokens, b.attentions[layer, head], b.tokens)
    if not diff.tokens:
        st.info("The two texts share no tokens, so there is no difference to draw.")
        return
    plot, notes = st.columns([3, 2])
    plot.plotly_chart(
        figures_explain.difference_heatmap(diff.difference, diff.tokens, f"B − A, layer {layer}, head {head}"),
        key="compare_difference",
    )
    with notes:
        _difference_notes(diff, a, b)


def _difference_notes(diff: AttentionDifference, a: Analysis, b: Analysis) -> None:
    st.caption("Red: text B attends more than text A; blue: less. Rows are query tokens, columns key tokens.")
    if diff.aligned:
        st.caption(
            f"Both texts have {a.n_tokens} tokens, matched position by position, so the difference covers every "
            "cell; a token that differs is labelled A/B."
        )
        return
    st.caption(
        f"The texts have {a.n_tokens} and {b.n_tokens} tokens. The difference covers the {len(diff.tokens)} tokens "
        "both share (matched in order); rows are not renormalised, so attention that B gives to its own extra "
        "tokens shows as a drop. Left out:"
    )
    st.text(f"only in A: {' '.join(t.text for t in diff.only_a) or '–'}")
    st.text(f"only in B: {' '.join(t.text for t in diff.only_b) or '–'}")
