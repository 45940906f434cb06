"""Widgets of the Inspect page: text from the URL, head selectors, overview clicks, downloads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from attnviz import export, figures
from attnviz.compact import LayerStore
from attnviz.ui import exports
from attnviz.ui.cache import release_freed_memory
from attnviz.views import apply_views
from attnviz.tokens import token_strip, token_table
from attnviz.types import Analysis
from attnviz.urlstate import MAX_URL_TEXT, ViewState, parse_view_json, parse_view_state, view_json, view_params
from attnviz.ui.state import HEAD, LAYER, TEXT, TEXT_MEMORY, TEXT_PAGE, clamp_index, presentation
from attnviz.ui.state import sync_url as state_sync_url

UNKNOWN_TOKENS = frozenset({"[UNK]", "<unk>"})
DEFAULT_TEXT = "The movie was not good at all, but the music was wonderful."


def init_from_url(page: str = "inspect", n_layers: int = 64, n_heads: int = 64) -> None:
    """Seed the text and head widgets from the URL once per session; later the widgets own them.

    A widget's state belongs to the page that draws it, so on arriving from another page the text is
    restored from ``text_memory`` (written by ``remember_text``): Inspect and Explain share one text.
    """
    if st.session_state.get("url_applied"):
        if st.session_state.get("text_page") != page:
            st.session_state["text"] = st.session_state.get("text_memory", DEFAULT_TEXT)
            st.session_state["text_page"] = page
        return
    st.session_state["text_page"] = page
    state = parse_view_state(dict(st.query_params), n_layers, n_heads)
    st.session_state.setdefault("text", state.text or DEFAULT_TEXT)
    st.session_state.setdefault("layer", state.layer)
    st.session_state.setdefault("head", state.head)
    st.session_state["url_applied"] = True


def remember_text() -> None:
    """Keep the text for the other pages (see ``init_from_url``)."""
    st.session_state["text_memory"] = st.session_state.get("text", "")


def head_selectors(analysis: Analysis) -> tuple[int, int]:
    """Layer and head pickers, clamped when a smaller model is chosen; a click on the overview picks too."""
    _apply_overview_click(analysis)
    clamp_index(LAYER, analysis.n_layers)
    clamp_index(HEAD, analysis.n_heads)
    left, right = st.columns(2)
    layer = left.selectbox("Layer", range(analysis.n_layers), key="layer")
    head = right.selectbox("Head", range(analysis.n_heads), key="head")
    att = analysis.attentions
    if isinstance(att, LayerStore) and not att.holds(int(layer)):
        with st.spinner(f"Recomputing layer {layer}: a long text keeps one or two layers in full…"):
            att.layer(int(layer))
        release_freed_memory()
    return int(layer), int(head)


def _apply_overview_click(analysis: Analysis) -> None:
    event = st.session_state.get("overview")
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else []
    if not points:
        return
    point = points[0]
    key = (point.get("x"), point.get("y"))
    if key == st.session_state.get("overview_applied"):
        return
    st.session_state["overview_applied"] = key
    stride = min(analysis.n_tokens, figures.OVERVIEW_PANEL_MAX) + 1
    try:
        layer, head = int(point["y"]) // stride, int(point["x"]) // stride
    except (KeyError, TypeError, ValueError):
        return
    if 0 <= layer < analysis.n_layers and 0 <= head < analysis.n_heads:
        st.session_state["layer"], st.session_state["head"] = layer, head


def sync_url(text: str, model: str, builtin: str, layer: int | None = None, head: int | None = None) -> None:
    """Write the view into the URL (Inspect passes its head; Explain shares only the text and model)."""
    state = ViewState(text=text, model=None if model == builtin else model, layer=layer or 0, head=head or 0)
    state_sync_url(view_params(state, include_head=layer is not None))
    if len(text) > MAX_URL_TEXT:
        st.info(
            f"This text has {len(text):,} characters, more than a link can safely carry ({MAX_URL_TEXT:,}), so the "
            "page's address does not include it: a copied link opens the default sentence. To share this view, "
            "save it as a file and open it with “Open a saved view” on Inspect."
        )
        st.download_button("Save this view (JSON)", data=view_json(state), file_name="attnviz_view.json",
                           mime="application/json", key=f"save_view_{page_key()}", on_click="ignore")


def page_key() -> str:
    return str(st.session_state.get(TEXT_PAGE, "inspect"))


def open_view_uploader() -> None:
    """A saved view (see ``sync_url``) brings back its text, layer and head."""
    st.file_uploader("Open a saved view (JSON)", type=["json"], key="view_file", on_change=_apply_view_file)
    if st.session_state.get("view_file_error"):
        st.error(st.session_state.pop("view_file_error"))


def _apply_view_file() -> None:
    upload = st.session_state.get("view_file")
    if upload is None:
        return
    try:
        view = parse_view_json(upload.getvalue())
    except ValueError as exc:
        st.session_state["view_file_error"] = str(exc)
        return
    if view.text:
        st.session_state[TEXT] = st.session_state[TEXT_MEMORY] = view.text
    st.session_state[LAYER], st.session_state[HEAD] = view.layer, view.head


def font_size() -> int:
    """Figure font size: larger in presentation mode."""
    return figures.PRESENTATION_FONT_SIZE if presentation() else figures.FONT_SIZE


def unknown_token_warning(analysis: Analysis) -> None:
    """Say how many tokens the model's vocabulary did not have: the prediction then rests on what is left."""
    # tokens.py shows an unknown piece as its source text followed by the tokenizer's unknown token ("爱 [UNK]").
    unknown = sum(1 for t in analysis.tokens if t.text.split(" ")[-1] in UNKNOWN_TOKENS)
    if unknown:
        st.warning(
            f"{unknown} of {analysis.n_tokens} tokens are unknown to this model ({', '.join(sorted(UNKNOWN_TOKENS))}): "
            "it did not have those words or characters in its vocabulary and sees only a placeholder for them, so "
            "the prediction and the attention rest on the remaining tokens. A confident prediction here can be "
            "meaningless; try a model trained on this language."
        )


def show_tokens(analysis: Analysis) -> None:
    st.caption(
        f"{analysis.n_tokens} tokens. Special tokens are in brackets; pieces starting with ## continue the word before them."
    )
    # A long text's strip would push the heatmaps off screen: past ~100 tokens it scrolls in its own box.
    box = st.container(height=260) if analysis.n_tokens > 100 else st.container()
    box.code(token_strip(analysis.tokens), language=None, wrap_lines=True)
    with st.expander("Token table (offsets into the text)"):
        st.dataframe(pd.DataFrame(token_table(analysis.tokens, analysis.text)), hide_index=True)


def downloads(analysis: Analysis, layer: int, head: int) -> None:
    """CSV and JSON of the head, the layer and the whole tensor, and the tensor as .npz; built only on click."""
    att, toks, name = analysis.attentions, analysis.tokens, analysis.model_name
    # Grouped by what they hold (head, layer, all) so each label has room at 1024 px, where seven cut them.
    head_col, layer_col, all_col = st.columns(3)
    cols = [head_col, head_col, layer_col, layer_col, all_col, all_col]
    items = [
        ("Head CSV", f"attention_L{layer}_H{head}.csv", "text/csv", att.shape[2:],
         lambda: export.head_csv(att[layer, head], toks)),
        ("Head JSON", f"attention_L{layer}_H{head}.json", "application/json", att.shape[2:],
         lambda: export.to_json(att[layer][None, head : head + 1], toks, name, [layer])),
        ("Layer CSV", f"attention_L{layer}.csv", "text/csv", att.shape[1:],
         lambda: export.long_csv(att[layer][None], toks, layer)),
        ("Layer JSON", f"attention_L{layer}.json", "application/json", att.shape[1:],
         lambda: export.to_json(att[layer][None], toks, name, [layer])),
        ("All CSV", "attention_all.csv", "text/csv", att.shape, lambda: export.long_csv(att, toks)),
        ("All JSON", "attention_all.json", "application/json", att.shape,
         lambda: export.to_json(att, toks, name, list(range(att.shape[0])))),
    ]
    for col, (label, file_name, mime, shape, build) in zip(cols, items):
        exports.text_export_button(col, label, file_name, mime, shape, build)
    exports.tensor_button(all_col, analysis)


def average_choice(layer: int, n_heads: int) -> bool:
    """True for the mean over every layer and head, False for the mean of the selected layer's heads.

    One average at a time: a second heatmap in a hidden tab would double what a long text sends.
    """
    options = [f"Mean of the {n_heads} heads of layer {layer}", "Mean of all layers and heads"]
    picked = st.radio("Average", options, horizontal=True, key="average", label_visibility="collapsed")
    return picked == options[1]


def mean_heads(analysis: Analysis, layer: int | None) -> np.ndarray:
    """Mean over the heads of one layer, or over every layer and head when ``layer`` is None."""
    att = analysis.attentions
    if layer is not None:
        return att[layer].mean(axis=0)
    return att.summary.mean if isinstance(att, LayerStore) else att.mean(axis=(0, 1))


@dataclass(frozen=True)
class ViewOptions:
    hide: bool  # drop special tokens, renormalise rows
    merge: bool  # sub-word pieces merged into words
    sqrt_scale: bool  # square-root colour scale


def view_toggles(n_tokens: int) -> ViewOptions:
    """Switches for the heatmaps. The square-root scale is on by default past 64 tokens, until the user chooses."""
    auto = n_tokens > 64
    if not st.session_state.get("sqrt_scale_chosen") and st.session_state.get("sqrt_scale") != auto:
        st.session_state["sqrt_scale"] = auto
    # Short labels (the help says the rest) in a row that wraps: three fixed columns cut them at 1024 px.
    row = st.container(horizontal=True, gap="large")
    hide = row.toggle("Hide special tokens", key="hide_special", help="Drop [CLS]/[SEP]-style tokens and renormalise each row.")
    merge = row.toggle(
        "Merge sub-words", key="merge_subwords",
        help="Merge sub-word pieces into words: a word's column sums its pieces' columns; its row averages its "
        "pieces' rows.",
    )
    sqrt_scale = row.toggle(
        "Square-root colours", key="sqrt_scale", on_change=lambda: st.session_state.update(sqrt_scale_chosen=True),
        help="Square-root colour scale: spreads small weights over more colours (long texts spread attention thin). "
        "The numbers do not change.",
    )
    return ViewOptions(bool(hide), bool(merge), bool(sqrt_scale))


def view_heatmap(
    matrix: np.ndarray, analysis: Analysis, title: str, opts: ViewOptions, key: str, token_hover: bool = True
) -> None:
    """Heatmap of ``matrix`` float[query, key] through the chosen views; the title and caption say what changed."""
    view = apply_views(matrix, analysis.tokens, hide=opts.hide, merge=opts.merge)
    changes = [
        name for name, on in (("special tokens hidden, rows renormalised", opts.hide), ("sub-words merged", opts.merge))
        if on
    ]
    if changes:
        title = f"{title} ({'; '.join(changes)})"
    fig = figures.head_heatmap(view.matrix, view.tokens, title, token_hover=token_hover, sqrt_scale=opts.sqrt_scale,
                               font_size=font_size())
    st.plotly_chart(fig, key=key)
    if view.note:
        st.caption(view.note)
