"""Plotly figure builders: data in, ``go.Figure`` out, no Streamlit.

Tokens sit at integer positions with ``ticktext`` (category axes merge repeated tokens), all token
text has <, > and & escaped (plotly renders ``<b>`` and ``<a href>`` in ticks and hover; quotes it shows as they
are, so escaping them would print ``&quot;``), query is on y,
key on x, and heatmaps use ``zmin=0, zmax=1`` so heads compare.
"""

from __future__ import annotations

import html
import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from attnviz.compact import OVERVIEW_PANEL, LayerStore
from attnviz.types import Analysis, Prediction, Token

COLORSCALE = "Viridis"
QUERY_AXIS = "query token (row: who is attending)"
KEY_AXIS = "key token (column: attended to)"
# Per-cell hover text costs ~20 bytes a cell; beyond this many tokens hover names indices only.
HOVER_TOKENS_MAX = 128
# Labels on a heatmap axis: ~64 fit a 980 px square at a readable 12 px; past that every k-th token is labelled.
TICKS_MAX = 64
LABEL_SPACING = 1.35  # the least distance between two labelled ticks, in font sizes
# Font sizes: the default, and presentation mode's for a projector.
FONT_SIZE, PRESENTATION_FONT_SIZE = 13, 18
# Overview panels are block-averaged down to this many rows/columns so 512 tokens stay light.
OVERVIEW_PANEL_MAX = OVERVIEW_PANEL  # one number, in attnviz.compact, which builds long inputs' overviews itself
_QUANT_MAX = 250  # uint8 levels for weights; 255 marks the gaps between panels
_MAX_LABEL_CHARS = 24


def escape_label(text: str) -> str:
    """``text`` safe inside a plotly label: <, > and & escaped, quotes left alone (plotly shows them as typed)."""
    return html.escape(str(text), quote=False)


def token_label(token: Token) -> str:
    """Escaped, length-capped display text of a token."""
    text = token.text.replace("\n", "⏎").replace("\t", "⇥")
    if len(text) > _MAX_LABEL_CHARS:
        text = text[: _MAX_LABEL_CHARS - 1] + "…"
    text = "".join(ch if ch.isprintable() or ch == " " else "·" for ch in text)
    return escape_label(text or "·")


def token_labels(tokens: Sequence[Token]) -> list[str]:
    return [token_label(t) for t in tokens]


def _ordinal(n: int) -> str:
    """2 → "2nd", 11 → "11th", 23 → "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _axis(labels: list[str], title: str, reverse: bool = False, max_labels: int = TICKS_MAX) -> dict:
    n = len(labels)
    step = max(1, math.ceil(n / max(1, max_labels)))
    positions = list(range(0, n, step))
    if step > 1:
        title = f"{title} — every {_ordinal(step)} token labelled"
    axis = dict(
        title=dict(text=title),
        tickmode="array",
        tickvals=positions,
        ticktext=[labels[i] for i in positions],
        range=[-0.5, n - 0.5],
        showgrid=False,
        zeroline=False,
    )
    if reverse:
        axis["range"] = [n - 0.5, -0.5]
    return axis


def head_heatmap(
    matrix: np.ndarray,
    tokens: Sequence[Token],
    title: str,
    height: int | None = None,
    token_hover: bool = True,
    sqrt_scale: bool = False,
    font_size: int = FONT_SIZE,
    key_tokens: Sequence[Token] | None = None,
) -> go.Figure:
    """One attention matrix float[query, key] drawn large, square cells: query on y (top to bottom), key on x.

    ``key_tokens`` when the keys are other tokens than the queries (cross-attention: decoder rows, encoder columns).

    ``token_hover`` names both tokens in the hover of each cell (up to HOVER_TOKENS_MAX tokens); without it the
    hover names their positions, which is much lighter to send for figures nobody hovers first.
    """
    weights = np.asarray(matrix, dtype=np.float32)
    key_tokens = tokens if key_tokens is None else key_tokens
    n = weights.shape[0]
    if weights.shape != (len(tokens), len(key_tokens)):
        raise ValueError(f"matrix is {weights.shape} but there are {len(tokens)} query and {len(key_tokens)} key tokens")
    labels, key_labels = token_labels(tokens), token_labels(key_tokens)
    trace = dict(
        type="heatmap",
        z=weights,
        x=np.arange(len(key_tokens)),
        y=np.arange(n),
        zmin=0.0,
        zmax=1.0,
        colorscale=weight_colorscale(sqrt_scale),
    )
    if token_hover and max(n, len(key_tokens)) <= HOVER_TOKENS_MAX:
        # One fixed-width string per cell: a NumPy string array is copied and sent far faster than nested lists.
        named, key_named = np.array(labels), np.array(key_labels)
        trace["customdata"] = np.char.add(np.char.add(named[:, None], " → "), key_named[None, :])
        trace["hovertemplate"] = "query %{y} → key %{x}<br>%{customdata}<br>weight %{z:.3f}<extra></extra>"
    else:
        trace["hovertemplate"] = "query #%{y} → key #%{x}<br>weight %{z:.3f}<extra></extra>"
    # Square cells (scaleanchor) on a plot tall enough to read from the back of a room: the title and colour bar
    # take ``top`` px above it, the key labels and axis title ~160 px below.
    top = _BAR_TOP + 4 * font_size + 20
    side = height or int(min(980, max(480, 260 + 30 * n))) + top - 60
    # Labels a line and a third apart at most, so they never run into each other (64 on 760 px did, at 512 tokens).
    fit = min(TICKS_MAX, int((side - top - 160) / (LABEL_SPACING * font_size)))
    key_fit = max(1, int(fit * min(1.0, len(key_tokens) / max(n, 1))))  # square cells: fewer keys, a shorter axis
    trace["colorbar"] = weight_colorbar(sqrt_scale, side)
    layout = dict(
        title=dict(text=escape_label(title), y=1, yref="container", yanchor="top", pad=dict(t=10)),
        xaxis=_axis(key_labels, KEY_AXIS, max_labels=key_fit) | dict(tickangle=-60, side="bottom", constrain="domain"),
        # On a narrow screen the width sets the square's size: it hangs from the colour bar, spare height below.
        yaxis=_axis(labels, QUERY_AXIS, reverse=True, max_labels=fit)
        | dict(scaleanchor="x", constrain="domain", constraintoward="top"),
        height=side,
        font=dict(size=font_size),
        margin=dict(l=10, r=10, t=top, b=10),
    )
    return _figure(trace, layout)


_BAR_TOP = 36  # px from the figure's top to the colour bar's title, below the figure's title


def weight_colorbar(sqrt_scale: bool, height: int, top: int = _BAR_TOP) -> dict:
    """A thin horizontal colour bar ``top`` px down, under the title, above the plot of a figure ``height`` px tall.

    Beside the plot, on a phone's 356 px, a bar and its labels took a third of the width and left the square
    plot ~165 px wide; above it the plot has the whole width, and on a wide screen (where the height sets the
    square's size) it costs nothing.
    """
    return dict(
        title=dict(text="weight (√ scale)" if sqrt_scale else "weight", side="top"),
        orientation="h", thickness=10, len=0.6, lenmode="fraction", x=0.5, xanchor="center",
        yref="container", y=1 - top / height, yanchor="top", ypad=0,
    )


def _figure(trace: dict, layout: dict) -> go.Figure:
    """A figure from plain dicts without plotly's per-property validation.

    Validation costs more than the rest of building a page of heatmaps (and converts string arrays to
    slow object arrays); these builders only use properties the tests pin down.
    """
    return go.Figure(dict(data=[trace], layout=layout), _validate=False)


def block_mean(matrices: np.ndarray, size: int) -> np.ndarray:
    """Average float[..., T, T] down to float[..., size, size] over adaptive windows of rows and columns.

    torch's adaptive average pooling does this in one pass, about 3x faster than NumPy's reduceat at 512 tokens.
    """
    n = matrices.shape[-1]
    if n <= size:
        return matrices
    import warnings

    import torch

    flat = np.asarray(matrices, dtype=np.float32).reshape(-1, n, n)
    with warnings.catch_warnings():  # the pooling only reads the (read-only) attention array
        warnings.simplefilter("ignore", UserWarning)
        pooled = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(flat), size).numpy()
    return pooled.reshape(*matrices.shape[:-2], size, size)


def overview_grid(attentions: np.ndarray | LayerStore) -> tuple[np.ndarray, int]:
    """Tile float[L, H, T, T] (or a LayerStore's block means) into one uint8 image with a one-cell gap between panels.

    Weights map to 0..250; 255 marks gaps. Returns the image and the panel size.
    """
    n_layers, n_heads, n, _ = attentions.shape
    panel = min(n, OVERVIEW_PANEL_MAX)
    stride = panel + 1
    if isinstance(attentions, LayerStore):  # a long text: its heads were block-averaged during the forward pass
        small = attentions.summary.overview.astype(np.float32)
    else:
        small = block_mean(np.asarray(attentions, dtype=np.float32), panel)
    quantised = np.rint(np.clip(small, 0.0, 1.0) * _QUANT_MAX).astype(np.uint8)
    padded = np.full((n_layers, n_heads, stride, stride), 255, dtype=np.uint8)
    padded[:, :, :panel, :panel] = quantised
    # [L, H, row, col] -> [L, row, H, col] so rows of one layer line up across its heads.
    grid = padded.transpose(0, 2, 1, 3).reshape(n_layers * stride, n_heads * stride)
    return grid[:-1, :-1], panel


_OVERVIEW_BAR = 3 * FONT_SIZE + 12  # px of the overview's horizontal colour bar with its title and labels


def overview_figure(attentions: np.ndarray, sqrt_scale: bool = False, font_size: int = FONT_SIZE) -> go.Figure:
    """All heads at once: layers down, heads across, one shared colour scale (one tiled heatmap, fast).

    The heatmap is drawn without hover; a nearly transparent marker at each tile's centre (trace 1) is what a
    click selects: Streamlit's ``on_select`` reports points of point-like traces, and a heatmap image reports none.
    ``customdata`` of each marker is its [layer, head].
    """
    n_layers, n_heads, n, _ = attentions.shape
    grid, panel = overview_grid(attentions)
    stride = panel + 1
    colorscale = _quantised_colorscale(sqrt_scale)
    # Short lines: plotly does not wrap titles, and one long line ran off a phone's screen.
    lines = [f"All {n_layers * n_heads} heads: layers down, heads across", "each cell: query (y) × key (x)"]
    if panel < n:
        lines.append(f"{n}×{n} averaged to {panel}×{panel} per head")
    title = "<br>".join(lines)
    trace = dict(
        type="heatmap",
        z=grid,
        zmin=0,
        zmax=255,
        colorscale=colorscale,
        hoverinfo="skip",
    )
    # As on the single head, the colour bar lies under the title, above the grid: beside it, on a phone, the bar
    # took a third of the width; the grid hangs from the top, the spare height of a narrow screen below it.
    bar_top = 14 + 18 * len(lines)
    height = int(120 + _OVERVIEW_BAR + 18 * len(lines) + 560 * n_layers / max(n_heads, 1) * 1.1)
    trace["colorbar"] = weight_colorbar(sqrt_scale, height, bar_top) | dict(  # the grid holds uint8 levels
        tickvals=[0, _QUANT_MAX / 4, _QUANT_MAX / 2, _QUANT_MAX], ticktext=["0", "0.25", "0.5", "1"])
    centres = lambda count: [i * stride + (panel - 1) / 2 for i in range(count)]  # noqa: E731
    layout = dict(
        title=dict(text=title, font=dict(size=13), y=1, yref="container", yanchor="top", pad=dict(t=8)),
        xaxis=dict(
            tickmode="array", tickvals=centres(n_heads), ticktext=[f"H{h}" for h in range(n_heads)],
            side="top", showgrid=False, zeroline=False, constrain="domain",  # no axis title: it ran into the bar
        ),
        yaxis=dict(
            tickmode="array", tickvals=centres(n_layers), ticktext=[f"L{layer}" for layer in range(n_layers)],
            title=dict(text="layer"), autorange="reversed", scaleanchor="x", showgrid=False, zeroline=False,
            constrain="domain", constraintoward="top",
        ),
        height=height,
        margin=dict(l=10, r=10, t=bar_top + _OVERVIEW_BAR + 44, b=10),  # title, colour bar, head axis, then grid
        plot_bgcolor="white",
        font=dict(size=font_size),
        # Any click selects the nearest tile centre, so every pixel of a tile opens that head.
        hovermode="closest", hoverdistance=-1, clickmode="event+select", dragmode=False, showlegend=False,
    )
    heads, layers = np.meshgrid(np.arange(n_heads), np.arange(n_layers))
    markers = dict(
        type="scatter", mode="markers", x=(heads.ravel() * stride + (panel - 1) / 2).tolist(),
        y=(layers.ravel() * stride + (panel - 1) / 2).tolist(),
        customdata=np.stack([layers.ravel(), heads.ravel()], axis=1).tolist(),
        marker=dict(size=max(4, min(30, 300 // max(n_heads, 1))), color="rgba(255,255,255,0.01)"),
        hovertemplate="layer %{customdata[0]}, head %{customdata[1]}: click to open<extra></extra>",
        selected=dict(marker=dict(opacity=0.01)), unselected=dict(marker=dict(opacity=0.01)),
    )
    return go.Figure(dict(data=[trace, markers], layout=layout), _validate=False)


def weight_colorscale(sqrt_scale: bool = False) -> list:
    """Viridis over weights 0..1; with ``sqrt_scale`` a weight w gets the colour Viridis gives √w.

    Over hundreds of tokens most weights are near 1/n, all the same dark colour on a linear scale; the square
    root spreads the small weights over more colours. The data and zmin=0/zmax=1 stay the same, and the colour
    bar still reads in weights.
    """
    import plotly.colors as pc

    stops = pc.get_colorscale(COLORSCALE)
    if sqrt_scale:
        fine = np.linspace(0.0, 1.0, 41)
        colors = pc.sample_colorscale(stops, list(fine))
        return [[float(c * c), color] for c, color in zip(fine, colors)]
    return [[float(pos), color] for pos, color in stops]


def _quantised_colorscale(sqrt_scale: bool = False) -> list:
    """The weight colours over 0..250, white for the 255 gap marker."""
    top = _QUANT_MAX / 255
    scale = [[pos * top, color] for pos, color in weight_colorscale(sqrt_scale)]
    return scale + [[min(1.0, top + 1e-3), "white"], [1.0, "white"]]


def prediction_figure(prediction: Prediction, font_size: int = FONT_SIZE) -> go.Figure:
    """Horizontal bars, one per label, probability on x from 0 to 1, highest on top."""
    order = np.argsort(-prediction.probs, kind="stable")
    labels = [escape_label(prediction.labels[i]) for i in order]
    probs = [float(prediction.probs[i]) for i in order]
    positions = list(range(len(labels)))
    trace = dict(
        type="bar",
        x=probs,
        y=positions,
        orientation="h",
        text=[f"{p:.3f}" for p in probs],
        textposition="auto",
        textangle=0,  # "auto" turns a short bar's value 90°
        customdata=labels,
        hovertemplate="%{customdata}: %{x:.3f}<extra></extra>",
        marker=dict(color=["#1f77b4" if i == 0 else "#9bbbd8" for i in positions]),
    )
    layout = dict(
        xaxis=dict(range=[0, 1], title=dict(text="probability")),
        yaxis=dict(tickmode="array", tickvals=positions, ticktext=labels, autorange="reversed"),
        height=int(80 + 40 * len(labels) * font_size / FONT_SIZE),
        margin=dict(l=10, r=10, t=10, b=10),
        font=dict(size=font_size),
    )
    return _figure(trace, layout)


def inspect_figures(analysis: Analysis, layer: int, head: int) -> dict[str, go.Figure]:
    """The figures the Inspect page draws on arrival (default views, layer mean shown), by widget key."""
    att = analysis.attentions
    shown = {
        "head_figure": head_heatmap(att[layer, head], analysis.tokens, f"Layer {layer}, head {head}: each row is a query token"),
        "overview": overview_figure(att),
        "layer_mean": head_heatmap(
            att[layer].mean(axis=0), analysis.tokens, f"Layer {layer}, mean over heads", token_hover=False
        ),
    }
    if analysis.prediction is not None:
        shown["prediction"] = prediction_figure(analysis.prediction)
    return shown
