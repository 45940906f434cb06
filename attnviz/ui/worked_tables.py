"""Matrices of the worked example as pandas Stylers: numbers rounded for display only, highlighted cells, compact
views of long vectors. Pure (no streamlit calls), so tests can check what would be shown."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from attnviz.teaching.sdpa import format_number
from attnviz.teaching.steps import Table
from attnviz.teaching.cells import Highlight

# Vectors of more than COMPACT_KEEP + 2 (d_k = 32 in a real model) show their first COMPACT_KEEP entries and "…" (6
# and "…" beside the token names scrolled on a phone's 356 px); in presentation mode's larger type only
# PRESENTATION_KEEP fit a 1024 px projector's main column.
COMPACT_KEEP, PRESENTATION_KEEP = 5, 4
BAND = "background-color: #fde68a; color: #111827"
CELL = "background-color: #f59e0b; color: #111827; font-weight: 700"
WRONG = "background-color: #fca5a5; color: #111827; font-weight: 700"
ELLIPSIS = "…"


@dataclass(frozen=True)
class Axes:
    """Names of the query rows and key columns (token names with their index)."""

    query: tuple[str, ...]
    key: tuple[str, ...]

    def names(self, kind: str, n: int) -> list[str]:
        if kind == "query":
            return list(self.query[:n])
        if kind == "key":
            return list(self.key[:n])
        return [f"d{i}" for i in range(n)]


def indexed(names: tuple[str, ...] | list[str], offset: int = 0) -> tuple[str, ...]:
    """'0 · the', '1 · cat': the index keeps repeated tokens apart and matches the formulas' row numbers."""
    return tuple(f"{i + offset} · {name}" for i, name in enumerate(names))


def shown_positions(n: int, keep: int | None = None, first: int = COMPACT_KEEP) -> list[int | None]:
    """Positions to show along an axis of length ``n``: the ``first`` ones, then None for the "…" gap, with ``keep``
    visible too; every position while ``n`` ≤ ``first`` + 2."""
    if n <= first + 2:
        return list(range(n))
    picked = sorted(set(range(first)) | ({keep} if keep is not None and 0 <= keep < n else set()))
    out: list[int | None] = []
    for pos in picked:
        if out and out[-1] is not None and pos != out[-1] + 1:
            out.append(None)
        out.append(pos)
    if out[-1] != n - 1:
        out.append(None)
    return out


def is_compact(table: Table, first: int = COMPACT_KEEP) -> bool:
    return any(kind == "dim" and size > first + 2 for kind, size in zip((table.rows, table.cols), table.matrix.shape))


def table_frame(table: Table, axes: Axes, decimals: int = 3, compact: bool = True,
                keep: tuple[int | None, int | None] = (None, None), first: int = COMPACT_KEEP) -> pd.DataFrame:
    """Display strings of ``table``: labelled rows and columns, optional row sums, long dims cut to "…" after
    their ``first`` entries."""
    m = table.matrix
    rows = _positions(table.rows, m.shape[0], compact, keep[0], first)
    cols = _positions(table.cols, m.shape[1], compact, keep[1], first)
    row_names, col_names = axes.names(table.rows, m.shape[0]), axes.names(table.cols, m.shape[1])
    data = [[ELLIPSIS if r is None or c is None else format_number(m[r, c], decimals) for c in cols] for r in rows]
    frame = pd.DataFrame(
        data,
        index=[ELLIPSIS + " " * i if r is None else row_names[r] for i, r in enumerate(rows)],
        columns=[ELLIPSIS + " " * i if c is None else col_names[c] for i, c in enumerate(cols)],
    )
    if table.row_sums:
        frame["row sum"] = [ELLIPSIS if r is None else format_number(m[r].sum(), decimals, whole=False) for r in rows]
    return frame


def styled(table: Table, axes: Axes, highlights: tuple[Highlight, ...] = (), decimals: int = 3,
           compact: bool = True, wrong: np.ndarray | None = None, first: int = COMPACT_KEEP) -> Styler:
    """``table_frame`` with the highlighted rows/columns banded, the chosen cells and wrong cells marked."""
    mine = [h for h in highlights if h.table == table.name]
    keep_row = next((h.row for h in mine if h.row is not None), None)
    keep_col = next((h.col for h in mine if h.col is not None), None)
    frame = table_frame(table, axes, decimals, compact, (keep_row, keep_col), first)
    rows = _positions(table.rows, table.matrix.shape[0], compact, keep_row, first)
    cols = _positions(table.cols, table.matrix.shape[1], compact, keep_col, first)
    css = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for a, r in enumerate(rows):
        for b, c in enumerate(cols):
            if r is None or c is None:
                continue
            for h in mine:
                if h.row is not None and h.col is not None:
                    if (h.row, h.col) == (r, c):
                        css.iat[a, b] = CELL
                elif (h.row == r or h.col == c) and not css.iat[a, b]:
                    css.iat[a, b] = BAND
            if wrong is not None and wrong[r, c]:
                css.iat[a, b] = WRONG
    return one_line(frame.style.apply(lambda _: css, axis=None))


def one_line(style: Styler) -> Styler:
    """Headers such as "0 · the" stay on one line; narrow columns scroll instead of wrapping mid-token."""
    return style.set_table_styles(
        [{"selector": sel, "props": [("white-space", "nowrap")]} for sel in ("th", "th div", "td div")]
    )


def _positions(kind: str, n: int, compact: bool, keep: int | None, first: int) -> list[int | None]:
    return shown_positions(n, keep, first) if compact and kind == "dim" else list(range(n))
