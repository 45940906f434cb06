"""Plotly figures of a corpus run: the confusion matrix and a statistic per head. Data in, figure out, no Streamlit."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from attnviz.evaluate import Metrics

# Shares and weights live in [0, 1], so heads and runs compare on one scale; entropy and distance have no fixed top.
UNIT_RANGE = {"special_share", "punctuation_share", "previous_token", "next_token", "first_token", "max_weight"}


def confusion_figure(m: Metrics) -> go.Figure:
    """Counts with true labels down and predicted labels across; each cell also gives its share of the row."""
    counts = np.asarray(m.confusion, dtype=np.int64)
    totals = np.maximum(counts.sum(axis=1, keepdims=True), 1)
    labels = [html.escape(label, quote=False) for label in m.labels]
    positions = list(range(len(labels)))
    text = [[f"{c}<br>{c / totals[i, 0]:.0%}" for c in row] for i, row in enumerate(counts)]
    fig = go.Figure(
        go.Heatmap(
            z=counts, x=positions, y=positions, text=text, texttemplate="%{text}", colorscale="Blues",
            colorbar=dict(title=dict(text="rows"), thickness=12), zmin=0,
            hovertemplate="true %{y}, predicted %{x}: %{z} rows<extra></extra>",
        )
    )
    axis = dict(tickmode="array", tickvals=positions, ticktext=labels)
    fig.update_layout(
        title=dict(text=f"Confusion matrix ({m.n} rows)"),
        xaxis=axis | dict(title=dict(text="predicted label")),
        yaxis=axis | dict(title=dict(text="true label"), autorange="reversed"),
        height=int(160 + 70 * len(labels)), margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


def head_means_figure(means: np.ndarray, statistic: str, description: str, n_rows: int) -> go.Figure:
    """float[layers, heads] of a statistic averaged over ``n_rows`` rows: layers down, heads across."""
    grid = np.asarray(means, dtype=np.float64)
    n_layers, n_heads = grid.shape
    top = 1.0 if statistic in UNIT_RANGE else float(np.nanmax(grid)) if np.isfinite(grid).any() else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=grid, x=np.arange(n_heads), y=np.arange(n_layers), zmin=0.0, zmax=max(top, 1e-6), colorscale="Viridis",
            colorbar=dict(title=dict(text=html.escape(statistic, quote=False)), thickness=12),
            hovertemplate="layer %{y}, head %{x}<br>%{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=dict(text=html.escape(f"{description}: mean over {n_rows:,} rows", quote=False)),
        xaxis=dict(title=dict(text="head"), tickmode="array", tickvals=list(range(n_heads))),
        yaxis=dict(title=dict(text="layer"), tickmode="array", tickvals=list(range(n_layers)), autorange="reversed"),
        height=int(150 + 34 * n_layers), margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig
