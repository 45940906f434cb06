"""Figures of the attention-block stages: rectangular weight maps per head, the RoPE rotation, scores by distance."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from attnviz.teaching.block import rope, rope_angles
from attnviz.figures import QUERY_AXIS, KEY_AXIS, weight_colorscale


def _escape(label: str) -> str:
    return label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def heads_figure(weights: np.ndarray, query_labels, key_labels, titles) -> go.Figure:
    """float[heads, queries, keys] as one panel per head, query on y (top to bottom), key on x, weights 0..1.

    Up to four heads side by side; more (a real model's 9 or 12) wrap three to a row, so no panel is a sliver.
    Query labels only on each row's first panel; numbers in the cells only for toy sizes (≤ 8 keys).
    """
    n_heads, n_q, n_k = weights.shape
    n_cols = n_heads if n_heads <= 4 else 3
    n_rows = -(-n_heads // n_cols)
    fig = make_subplots(n_rows, n_cols, subplot_titles=[_escape(t) for t in titles], horizontal_spacing=0.04,
                        vertical_spacing=min(0.5 / n_rows, 0.2))
    qt, kt = [_escape(s) for s in query_labels], [_escape(s) for s in key_labels]
    numbers = n_k <= 8
    for h in range(n_heads):
        row, col = h // n_cols + 1, h % n_cols + 1
        cells = dict(text=np.round(weights[h], 2), texttemplate="%{text}") if numbers else {}
        fig.add_trace(go.Heatmap(z=weights[h], x=np.arange(n_k), y=np.arange(n_q), zmin=0, zmax=1,
                                 colorscale=weight_colorscale(), showscale=h == n_heads - 1, **cells,
                                 hovertemplate="query %{y} → key %{x}<br>weight %{z:.3f}<extra></extra>"),
                      row, col)
        # Past two panels the full axis title is wider than a panel and the titles run into each other.
        # Between rows a key title would sit in the panel below: only the last row has one.
        key_title = (KEY_AXIS if n_heads <= 2 else "key") if row == n_rows else None
        fig.update_xaxes(tickvals=list(range(n_k)), ticktext=kt, title_text=key_title, row=row, col=col)
        fig.update_yaxes(tickvals=list(range(n_q)), ticktext=qt if col == 1 else [""] * n_q, autorange="reversed",
                         row=row, col=col)
    for row in range(1, n_rows + 1):
        fig.update_yaxes(title_text=QUERY_AXIS if n_rows == 1 else "query", row=row, col=1)
    panel = int(max(300, 120 + 34 * n_q)) if n_rows == 1 else int(max(320, 180 + 18 * n_q))
    fig.update_layout(height=panel * n_rows, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def rope_rotation_figure(vector: np.ndarray, n_positions: int, base: float) -> go.Figure:
    """Each (i, i + d/2) pair of one q vector drawn as an arrow at every position: RoPE turns pair i by p·θ_i."""
    d = vector.shape[0]
    rotated = rope(np.repeat(vector[None, :], n_positions, axis=0), np.arange(n_positions), base)  # [P, d]
    angles = rope_angles(np.arange(n_positions), d, base)
    fig = make_subplots(1, d // 2, subplot_titles=[f"pair {i}: dims {i} and {i + d // 2}, θ = {angles[1, i]:.3f} rad"
                                                   for i in range(d // 2)])
    for i in range(d // 2):
        for p in range(n_positions):
            x, y = rotated[p, i], rotated[p, i + d // 2]
            fig.add_trace(go.Scatter(x=[0, x], y=[0, y], mode="lines+markers+text", text=["", f"pos {p}"],
                                     textposition="top center", showlegend=False, line=dict(width=2),
                                     hovertemplate=f"position {p}<br>({x:.3f}, {y:.3f})<extra></extra>"), 1, i + 1)
        r = float(np.hypot(vector[i], vector[i + d // 2])) * 1.25 or 1.0
        fig.update_xaxes(range=[-r, r], row=1, col=i + 1, title_text=f"dim {i}")
        fig.update_yaxes(range=[-r, r], row=1, col=i + 1, title_text=f"dim {i + d // 2}", scaleanchor=f"x{i + 1}")
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def distance_figure(scores: np.ndarray) -> go.Figure:
    """rope(q at i)·rope(k at j) for the same q and k: constant along diagonals (depends only on i − j)."""
    n = scores.shape[0]
    fig = go.Figure(go.Heatmap(z=scores, x=np.arange(n), y=np.arange(n), colorscale="RdBu", zmid=0,
                               text=np.round(scores, 2), texttemplate="%{text}",
                               hovertemplate="query at %{y}, key at %{x}<br>q·k %{z:.3f}<extra></extra>"))
    fig.update_layout(title="Same q and k placed at every position: q·k after RoPE",
                      xaxis=dict(title="key position j", tickvals=list(range(n))),
                      yaxis=dict(title="query position i", tickvals=list(range(n)), autorange="reversed"),
                      height=380, margin=dict(l=10, r=10, t=50, b=10))
    return fig
