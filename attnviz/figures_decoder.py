"""Figures for language models: the next-token distribution and head types per layer and head."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from attnviz.head_types import HeadTypes
from attnviz.next_token import rest_probability
from attnviz.types import Prediction

REST = "all other tokens"
TYPE_TITLES = {
    "previous_token": "previous-token",
    "duplicate_token": "duplicate-token",
    "induction": "induction",
    "sink": "sink (attention on token 0)",
}


def visible(token_text: str) -> str:
    """A token's text with its whitespace made visible: ``" Mary"`` → ``"␣Mary"``, newline → ``↵``, tab → ``⇥``."""
    return token_text.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥").replace("\r", "␍") or "∅"


def choice_label(token_text: str, token_id: int | None) -> str:
    """A next token as a user picks it: its visible text, and for a byte-level piece of a multi-byte character
    (which decodes to U+FFFD on its own, so several look alike) the id that tells it apart."""
    piece = "\ufffd" in token_text and token_id is not None
    return visible(token_text) + (f" (byte piece, id {token_id})" if piece else "")


def next_token_figure(prediction: Prediction) -> go.Figure:
    """Horizontal bars: the top-k next tokens (most probable on top), then the probability of every other token."""
    ids = prediction.token_ids or (None,) * len(prediction.labels)
    shown = [choice_label(t, i) for t, i in zip(prediction.labels, ids)]
    labels = [html.escape(t, quote=False) for t in shown] + [REST]
    probs = [float(p) for p in prediction.probs] + [rest_probability(prediction)]
    positions = list(range(len(labels)))
    colours = ["#1f77b4"] + ["#9bbbd8"] * (len(labels) - 2) + ["#d0d0d0"]
    trace = go.Bar(
        x=probs, y=positions, orientation="h", text=[f"{p:.3f}" for p in probs], textposition="auto",
        customdata=labels, hovertemplate="%{customdata}: %{x:.3f}<extra></extra>", marker_color=colours[: len(labels)],
    )
    fig = go.Figure(trace)
    fig.update_layout(
        xaxis=dict(range=[0, 1], title=dict(text="probability of the next token")),
        yaxis=dict(tickmode="array", tickvals=positions, ticktext=labels, autorange="reversed"),
        height=int(80 + 30 * len(labels)), margin=dict(l=10, r=10, t=10, b=10),
    )
    return fig


def head_types_figure(types: HeadTypes) -> go.Figure:
    """One heatmap per head type: layer on y (first layer on top), head on x, score 0 to 1 on one colour scale."""
    names = list(TYPE_TITLES)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[TYPE_TITLES[n] for n in names], horizontal_spacing=0.04)
    n_layers, n_heads = types.sink.shape
    for col, name in enumerate(names, start=1):
        values = np.asarray(getattr(types, name), dtype=np.float32)
        fig.add_trace(
            go.Heatmap(
                z=values, x=list(range(n_heads)), y=list(range(n_layers)), zmin=0, zmax=1, colorscale="Viridis",
                showscale=col == len(names), colorbar=dict(title=dict(text="score")),
                hovertemplate=f"{TYPE_TITLES[name]}<br>layer %{{y}}, head %{{x}}: %{{z:.3f}}<extra></extra>",
            ),
            row=1, col=col,
        )
        fig.update_xaxes(title_text="head", tickmode="array", tickvals=list(range(n_heads)), row=1, col=col)
        fig.update_yaxes(autorange="reversed", row=1, col=col, title_text="layer" if col == 1 else None)
    fig.update_layout(height=int(120 + 14 * n_layers), margin=dict(l=10, r=10, t=40, b=10))
    return fig
