"""Explain's table of every head: the statistics in small groups, so a 1024 px projector shows every column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from attnviz import figures_explain
from attnviz.head_stats import HeadStats, head_statistics
from attnviz.head_types import head_types
from attnviz.types import Analysis
from attnviz.ui.cache import cached_head_importance, get_head_importance
from attnviz.ui.explain import safely
from attnviz.ui.run import model_labels
from attnviz.ui.sidebar import ModelChoice

# Statistic → (column title, what it means). Titles are short so a group fits beside layer and head in the main
# column at 1024 px with the sidebar open (562 px); the meaning is the column's tooltip.
COLUMNS = {
    "importance": ("importance", "Δ p: how much the predicted class's probability drops when only this head is "
                                 "switched off (negative: the model is surer without it)."),
    "entropy": ("entropy", "Bits per query row: 0 = all attention on one key, log₂(tokens) = spread evenly."),
    "special_share": ("special", "Share of attention on special tokens ([CLS], [SEP], …)."),
    "punctuation_share": ("punct.", "Share of attention on punctuation tokens."),
    "mean_distance": ("distance", "Expected |query − key| distance, in tokens."),
    "previous_token": ("previous", "Weight on the key just before the query."),
    "next_token": ("next", "Weight on the key just after the query."),
    "previous_detector": ("prev. head", "TransformerLens's previous-token head score (first key and the diagonal "
                                        "left out), in [0, 1]."),
    "duplicate_token": ("duplicate", "TransformerLens's duplicate-token head score: attention on earlier copies "
                                     "of the query's own token, in [0, 1]."),
    "induction": ("induction", "TransformerLens's induction head score: attention on the token that followed an "
                               "earlier copy of the query's token, in [0, 1]."),
    "sink": ("sink", "Mean attention on the first token (an attention sink), over the query rows after it."),
}
GROUPS = {
    "Where it looks": ("entropy", "special_share", "punctuation_share", "mean_distance"),
    "Neighbours": ("previous_token", "next_token", "previous_detector"),
    "Head types": ("duplicate_token", "induction", "sink"),
}
# Pixel widths: 33 (row picker) + 2 × 48 + 88 + 4 × 78 = 529 px, inside 562 px.
WIDTHS = {"layer": 48, "head": 48, "importance": 88}
STAT_WIDTH = 78


def head_table(analysis: Analysis, stats: HeadStats) -> pd.DataFrame:
    """Every statistic of every head, one row per head (most important first when importance is known)."""
    # The detector's previous-token score (first key and diagonal left out) differs from the plain mean.
    types = pd.DataFrame(head_types(analysis).rows()).rename(columns={"previous_token": "previous_detector"})
    table = pd.DataFrame(stats.rows()).merge(types, on=["layer", "head"])
    if stats.importance is not None:
        table = table.sort_values("importance", ascending=False, kind="stable")
    return table.reset_index(drop=True)


def shown_columns(table: pd.DataFrame, group: str) -> list[str]:
    """Layer, head, importance (once measured) and the statistics of ``group``."""
    return [c for c in ("layer", "head", "importance", *GROUPS[group]) if c in table.columns]


def column_config(columns: list[str]) -> dict[str, st.column_config.Column]:
    """Short titles with their meaning as a tooltip; layer and head pinned, so they stay in view on a phone."""
    config: dict[str, st.column_config.Column] = {
        c: st.column_config.NumberColumn(c, width=WIDTHS[c], pinned=True) for c in ("layer", "head")
    }
    for c in columns[2:]:
        title, meaning = COLUMNS[c]
        config[c] = st.column_config.NumberColumn(title, help=meaning, format="%.3f", width=WIDTHS.get(c, STAT_WIDTH))
    return config


def head_table_section(analysis: Analysis, choice: ModelChoice) -> HeadStats | None:
    """Sortable table of every head, one group of statistics at a time; a picked row can be opened on Inspect."""
    importance = importance_or_button(analysis, choice)
    stats = head_statistics(analysis, importance)
    table = head_table(analysis, stats)
    st.caption(
        "Most important first; click a column title to sort, click a row's left edge to pick a head. Importance: how "
        "much the predicted class's probability drops when only that head is switched off (negative: the model is "
        "surer without it). Shares and distances are means over the query rows; hover a column title for its meaning."
    )
    group = st.segmented_control("Statistics", list(GROUPS), key="head_table_columns", required=True,
                                 default=next(iter(GROUPS)))
    columns = shown_columns(table, str(group))
    event = st.dataframe(table[columns], hide_index=True, key="head_table", on_select="rerun",
                         selection_mode="single-row", height=320, column_config=column_config(columns))
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows:
        layer, head = int(table.iloc[rows[0]]["layer"]), int(table.iloc[rows[0]]["head"])
    else:
        best = table["importance"] if importance is not None else table["entropy"]
        layer, head = int(table.loc[best.idxmax(), "layer"]), int(table.loc[best.idxmax(), "head"])
    if st.button(f"Open layer {layer}, head {head} on Inspect", key="open_on_inspect", icon="🔍"):
        st.session_state["layer"], st.session_state["head"] = layer, head
        st.switch_page("pages/1_Inspect.py")
    if importance is not None:
        st.plotly_chart(
            figures_explain.head_grid(importance, "Head importance: drop in predicted-class probability", "Δ p"),
            key="importance_grid",
        )
    return stats


def importance_or_button(analysis: Analysis, choice: ModelChoice) -> np.ndarray | None:
    """Head importance if anyone has measured it for this text; otherwise a button that measures it, with progress.

    It is the slowest part of the page (one model row per head), so it never runs on page load.
    """
    labels = model_labels(choice)
    found = cached_head_importance(analysis.text, choice.name, labels)
    if found is not None:
        return found
    n = analysis.n_layers * analysis.n_heads
    if not st.button(f"Measure head importance (switch each of the {n} heads off in turn)", key="measure_importance",
                     icon="⏱️"):
        return None
    bar = st.progress(0.0, text="Switching each head off in turn…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Switching each head off in turn: {done} of {total} model runs")

    found = safely(lambda: get_head_importance(analysis.text, choice.name, labels, progress))
    bar.empty()
    return found
