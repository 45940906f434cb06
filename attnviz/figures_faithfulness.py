"""Plotly builders for faithfulness and value norms: deletion curves and a value-norm heatmap. No Streamlit.

Same conventions as ``attnviz.figures``: tokens at integer positions with escaped ``ticktext``, query on y,
key on x.
"""

from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from attnviz.figures import KEY_AXIS, QUERY_AXIS, _axis, token_labels
from attnviz.scoreboard import METHODS, Scoreboard
from attnviz.types import Token

RANDOM_NAME = "random ranking"


def deletion_curves(board: Scoreboard, height: int = 440) -> go.Figure:
    """p(target) as each method's top tokens are deleted, bin by bin (0 % = the whole text); random dashed."""
    random = board.random
    # Bins at even steps (0, 1, 5, 10, 20, 50 % would crowd the first ones together on a linear axis).
    x = list(range(len(random.bins) + 1))
    percent = ["0 %", *(f"{k} %" for k in random.bins)]
    fig = go.Figure()
    for name, result in board.results.items():
        label = html.escape(METHODS.get(name, name), quote=False)
        fig.add_trace(
            go.Scatter(
                x=x, y=[result.p_full, *result.p_without], mode="lines+markers", name=label,
                customdata=[0, *result.removed],
                hovertemplate=label + "<br>top %{customdata} tokens deleted<br>p = %{y:.3f}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x, y=[random.p_full, *random.p_without], mode="lines+markers", name=f"{RANDOM_NAME} (mean of {board.seeds})",
            line=dict(dash="dash", color="#7f7f7f"), customdata=[0, *random.removed],
            hovertemplate="random<br>%{customdata} tokens deleted<br>p = %{y:.3f}<extra></extra>",
        )
    )
    target = html.escape(board.target, quote=False)
    fig.update_layout(
        title=dict(text=f"Deletion curves, p({target})"),
        xaxis=dict(title=dict(text="top tokens deleted (% of the words)"), tickmode="array", tickvals=x, ticktext=percent),
        yaxis=dict(title=dict(text=f"p({target})"), range=[0, 1.02]),
        height=height, margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(font=dict(size=11), orientation="h", yanchor="top", y=-0.25, x=0),
    )
    return fig


def value_norm_heatmap(matrix: np.ndarray, tokens: Sequence[Token], title: str) -> go.Figure:
    """‖α·f(x)‖ float[query, key] with query on y and key on x; the colour runs from 0 to this matrix's maximum.

    Unlike attention weights the norms have no fixed upper bound, so the scale is per matrix and says so.
    """
    values = np.asarray(matrix, dtype=np.float32)
    n = values.shape[0]
    if values.shape != (n, n) or n != len(tokens):
        raise ValueError(f"matrix is {values.shape} but there are {len(tokens)} tokens")
    labels = token_labels(tokens)
    top = float(values.max()) if values.size and values.max() > 0 else 1.0
    named = np.array(labels)
    fig = go.Figure(
        go.Heatmap(
            z=values, x=np.arange(n), y=np.arange(n), zmin=0.0, zmax=top, colorscale="Viridis",
            colorbar=dict(title=dict(text="‖α·f(x)‖"), thickness=12),
            customdata=np.char.add(np.char.add(named[:, None], " → "), named[None, :]),
            hovertemplate="query %{y} → key %{x}<br>%{customdata}<br>‖α·f(x)‖ %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=dict(text=html.escape(title, quote=False)),
        xaxis=_axis(labels, KEY_AXIS) | dict(tickangle=-60, side="bottom"),
        yaxis=_axis(labels, QUERY_AXIS, reverse=True),
        height=int(min(900, max(360, 110 + 16 * n))), margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig
