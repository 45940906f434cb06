"""Plotly figures of the worked example: softmax saturation against d_k, and recomputed vs model weights."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from attnviz.figures import token_label
from attnviz.teaching.examples import Saturation
from attnviz.types import Token


def saturation_figure(sat: Saturation, d_k: int, scale: bool) -> go.Figure:
    """Mean largest weight of a softmax row against d_k, with and without ÷√d_k; the current setting marked."""
    fig = go.Figure()
    for values, name, dash in ((sat.scaled, "divided by √d_k", "solid"), (sat.unscaled, "not divided", "dot")):
        fig.add_trace(go.Scatter(
            x=list(sat.dims), y=values.tolist(), name=name, mode="lines+markers", line=dict(dash=dash),
            hovertemplate="d_k = %{x}<br>largest weight %{y:.3f}<extra>" + name + "</extra>",
        ))
    current = sat.scaled if scale else sat.unscaled
    if d_k in sat.dims:
        y = float(current[sat.dims.index(d_k)])
        fig.add_trace(go.Scatter(
            x=[d_k], y=[y], name="this example's setting", mode="markers",
            marker=dict(size=16, symbol="circle-open", line=dict(width=3)),
            hovertemplate="d_k = %{x}<br>largest weight %{y:.3f}<extra></extra>",
        ))
    uniform = 1 / sat.n_keys
    fig.add_hline(y=uniform, line_dash="dash", line_color="gray",
                  annotation_text=f"all {sat.n_keys} keys equal ({uniform:.2f})", annotation_position="bottom right")
    fig.update_layout(
        title=dict(text=f"Largest weight in a row, mean of random queries over {sat.n_keys} keys (1 = one-hot)"),
        xaxis=dict(title=dict(text="d_k (length of the query and key vectors)"), type="log",
                   tickvals=list(sat.dims), ticktext=[str(d) for d in sat.dims]),
        yaxis=dict(title=dict(text="largest softmax weight"), range=[0, 1.05]),
        height=380, margin=dict(l=60, r=20, t=60, b=50), legend=dict(orientation="h", y=-0.25),
    )
    return fig


def comparison_figure(recomputed: np.ndarray, model_row: np.ndarray, tokens: Sequence[Token], query: int) -> go.Figure:
    """Bars per key token: the weights recomputed from q, k, v next to the model's own attention row."""
    labels = [f"{i} · {token_label(t)}" for i, t in enumerate(tokens)]
    positions = list(range(len(tokens)))
    fig = go.Figure()
    for values, name in ((model_row, "the model's attention"), (recomputed, "recomputed from q, k, v")):
        fig.add_trace(go.Bar(
            x=positions, y=np.asarray(values, dtype=np.float64).tolist(), name=name, customdata=labels,
            hovertemplate="key %{customdata}<br>weight %{y:.6f}<extra>" + name + "</extra>",
        ))
    fig.update_layout(
        title=dict(text=f"Attention of query token {labels[query]} over the key tokens"),
        xaxis=dict(title=dict(text="key token (attended to)"), tickmode="array", tickvals=positions, ticktext=labels),
        yaxis=dict(title=dict(text="weight"), range=[0, 1]),
        barmode="group", height=360, margin=dict(l=60, r=20, t=60, b=80), legend=dict(orientation="h", y=1.12),
    )
    return fig
