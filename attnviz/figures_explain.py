"""Plotly builders for the Explain page: per-token score bars, head grids, ablation and difference charts.

Same conventions as ``attnviz.figures``: tokens at integer positions with escaped ``ticktext``, query on
y and key on x, no Streamlit.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from attnviz.figures import KEY_AXIS, QUERY_AXIS, _axis, escape_label, token_labels
from attnviz.types import Prediction, Token

POSITIVE = "#1f77b4"
NEGATIVE = "#d62728"
SPECIAL = "#b0b0b0"


def token_bars(tokens: Sequence[Token], series: Mapping[str, np.ndarray], title: str) -> go.Figure:
    """One bar panel per named score float[T] (stacked, sharing the token axis).

    Special tokens are grey; negative scores (gradients can push against the class) are red.
    """
    labels = token_labels(tokens)
    n = len(tokens)
    names = list(series)
    fig = make_subplots(
        rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.08,
        subplot_titles=[escape_label(name) for name in names],
    )
    for row, name in enumerate(names, start=1):
        values = np.asarray(series[name], dtype=np.float64)
        if values.shape != (n,):
            raise ValueError(f"{name}: {values.shape} scores for {n} tokens")
        colours = [SPECIAL if t.special else (NEGATIVE if v < 0 else POSITIVE) for t, v in zip(tokens, values)]
        fig.add_trace(
            go.Bar(
                x=np.arange(n), y=values, marker_color=colours, customdata=labels, name=escape_label(name),
                hovertemplate="%{customdata} (#%{x})<br>%{y:.3f}<extra></extra>", showlegend=False,
            ),
            row=row, col=1,
        )
        fig.update_yaxes(title=dict(text="score"), zeroline=True, row=row, col=1)
    bottom = _axis(labels, "token (grey: special token)") | dict(tickangle=-60)
    fig.update_xaxes(**{k: v for k, v in bottom.items() if k != "title"}, row=len(names), col=1)
    fig.update_xaxes(title=bottom["title"], row=len(names), col=1)
    fig.update_layout(
        title=dict(text=escape_label(title)), height=int(120 + 170 * len(names)), margin=dict(l=10, r=10, t=70, b=10),
    )
    return fig


def head_grid(values: np.ndarray, title: str, colorbar: str) -> go.Figure:
    """float[layers, heads] as a grid: layers down, heads across, diverging colours centred on 0."""
    grid = np.asarray(values, dtype=np.float64)
    n_layers, n_heads = grid.shape
    bound = float(max(np.abs(grid).max(), 1e-6))
    fig = go.Figure(
        go.Heatmap(
            z=grid, x=np.arange(n_heads), y=np.arange(n_layers), zmin=-bound, zmax=bound, zmid=0.0,
            colorscale="RdBu_r", colorbar=dict(title=dict(text=colorbar), thickness=12),
            hovertemplate="layer %{y}, head %{x}<br>%{z:.4f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=dict(text=escape_label(title)),
        xaxis=dict(title=dict(text="head"), tickmode="array", tickvals=list(range(n_heads))),
        yaxis=dict(title=dict(text="layer"), tickmode="array", tickvals=list(range(n_layers)), autorange="reversed"),
        height=int(140 + 34 * n_layers), margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


def ablation_figure(before: Prediction, after: Prediction) -> go.Figure:
    """Each label's probability with every head on and with the chosen heads off, side by side."""
    labels = [escape_label(label) for label in before.labels]
    positions = list(range(len(labels)))
    fig = go.Figure()
    for name, prediction, colour in (("all heads on", before, "#9bbbd8"), ("chosen heads off", after, POSITIVE)):
        probs = [float(p) for p in prediction.probs]
        fig.add_trace(
            go.Bar(
                x=probs, y=positions, orientation="h", name=name, marker_color=colour,
                text=[f"{p:.3f}" for p in probs], textposition="auto", customdata=labels,
                hovertemplate="%{customdata}: %{x:.3f}<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        xaxis=dict(range=[0, 1], title=dict(text="probability")),
        yaxis=dict(tickmode="array", tickvals=positions, ticktext=labels, autorange="reversed"),
        height=int(120 + 60 * len(labels)), margin=dict(l=10, r=10, t=30, b=10),
        legend=dict(orientation="h", y=1.15),
    )
    return fig


def difference_heatmap(difference: np.ndarray, tokens: Sequence[Token], title: str) -> go.Figure:
    """float[query, key] of B − A: red where B attends more, blue where less; scale symmetric about 0."""
    diff = np.asarray(difference, dtype=np.float32)
    n = len(tokens)
    if diff.shape != (n, n):
        raise ValueError(f"difference is {diff.shape} but there are {n} tokens")
    labels = token_labels(tokens)
    bound = float(max(np.abs(diff).max(), 0.05))
    query_text = np.repeat(np.array(labels, dtype=object)[:, None], n, axis=1)
    key_text = np.repeat(np.array(labels, dtype=object)[None, :], n, axis=0)
    fig = go.Figure(
        go.Heatmap(
            z=diff, x=np.arange(n), y=np.arange(n), zmin=-bound, zmax=bound, zmid=0.0, colorscale="RdBu_r",
            colorbar=dict(title=dict(text="B − A"), thickness=12), customdata=np.dstack([query_text, key_text]),
            hovertemplate="query %{y}: %{customdata[0]}<br>key %{x}: %{customdata[1]}<br>B − A %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=dict(text=escape_label(title)),
        xaxis=_axis(labels, KEY_AXIS) | dict(tickangle=-60),
        yaxis=_axis(labels, QUERY_AXIS, reverse=True),
        height=int(min(900, max(360, 110 + 16 * n))), margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig
