"""Widgets of the Worked example page: example choice and inputs, step navigation, tables, check my answer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.teaching import examples
from attnviz.teaching.sdpa import STEP_IDS, AttentionSteps, ShapeError, causal_mask, sdpa_steps
from attnviz.teaching.steps import Step, Table
from attnviz.teaching.figures import saturation_figure
from attnviz.teaching.examples import EXAMPLE_IDS, EXAMPLE_TITLES
from attnviz.teaching.cells import CellWork, cell_shape, cell_work
from attnviz.ui import state
from attnviz.ui.state import clamp_index
from attnviz.ui.worked_tables import (COMPACT_KEEP, PRESENTATION_KEEP, Axes, indexed, is_compact, shown_positions,
                                      styled)

STEP_LABELS = {"inputs": "Q, K, V", "scores": "QKᵀ", "scaled": "÷ √d_k", "masked": "mask", "softmax": "softmax",
               "output": "· V"}
SIDE_BY_SIDE_COLUMNS = 16
URL_KEYS = ("example", "step", "present")
_URL_WRITTEN = "we_url_written"


@dataclass(frozen=True)
class Worked:
    """What the step-through shows: the computation and the names of its query rows and key columns."""

    steps: AttentionSteps
    axes: Axes
    row_offset: int = 0  # a single real-model query row is named after its token's index


def init_state() -> None:
    """Example, step and presentation mode from the URL; the text typed on Inspect becomes this page's text.

    Runs before the sidebar, which draws the presentation toggle. The URL is read on the first visit of a
    session, and again whenever it differs from what ``sync_url`` last wrote: Streamlit pushes a history entry
    for each new query string, so the browser's Back and Forward bring back an earlier example and step.
    """
    state.keep(state.WORKED_KEPT)
    params = st.query_params
    url = {k: params.get(k) for k in URL_KEYS if k in params}
    moved = bool(url) and url != st.session_state.get(_URL_WRITTEN)
    if not st.session_state.get("we_url_applied") or moved:
        first = not st.session_state.get("we_url_applied")
        for key, raw, choices in ((state.WE_EXAMPLE, params.get("example"), EXAMPLE_IDS),
                                  (state.WE_STEP, params.get("step"), STEP_IDS)):
            value = examples.parse_choice(raw, choices)
            if first:
                st.session_state.setdefault(key, value)
            else:
                st.session_state[key] = value
        if st.session_state[state.WE_STEP] == "masked":
            st.session_state["we_causal"] = True
        if moved and (not first or "present" in url):
            st.session_state[state.PRESENTATION_MEMORY] = url.get("present") == "1"
        st.session_state["we_url_applied"] = True
    # Inspect's text widget is dropped when this page runs; its kept copy is what the user typed there.
    text = st.session_state.get(state.TEXT_MEMORY) or st.session_state.get(state.TEXT)
    if isinstance(text, str) and text.strip() and text != st.session_state.get("we_inspect_seen"):
        st.session_state["we_inspect_seen"] = st.session_state["we_text_memory"] = text
        st.session_state.pop("we_text", None)


def example_picker() -> str:
    example_id = st.selectbox("Example", EXAMPLE_IDS, format_func=EXAMPLE_TITLES.get, key=state.WE_EXAMPLE,
                                on_change=lambda: state.forget(state.WE_STEP))  # a new example starts at step 1
    # Below the picker, not beside it: a column narrow enough to sit next to it cuts this label at 1024 px.
    st.toggle("Students compute first", key=state.WE_HIDE_RESULTS,
                 help="Hide each step's result and worked cell until you press Reveal.",
                 on_change=lambda: st.session_state.pop("we_revealed", None))
    return str(example_id)


def toy_worked(example_id: str) -> Worked | None:
    """Controls and editable inputs of a toy example, computed; None (after an error message) if they do not fit."""
    note = st.empty()  # the note reads best above the controls, but a random example's note needs its seed
    if example_id == "sqrt_dk":
        example, scale = _sqrt_dk_controls(), bool(st.session_state.get("we_scale", True))
    else:
        example, scale = _editable(example_id), True
    note.info(example.note)
    n = example.q.shape[0]
    causal = st.toggle("Causal mask: each token sees only itself and the tokens before it", key="we_causal",
                       disabled=n != example.k.shape[0])
    try:
        steps = sdpa_steps(example.q, example.k, example.v, causal_mask(n) if causal else None, scale)
    except ShapeError as exc:
        st.error(str(exc))
        return None
    names = indexed(example.tokens)
    return Worked(steps, Axes(names, names))


def _sqrt_dk_controls() -> examples.Example:
    st.session_state["we_loaded"] = "sqrt_dk"
    a, b, c = st.columns(3)
    d_k = a.select_slider("d_k", examples.SATURATION_DIMS, value=64, key="we_sqrt_dk")
    scale = b.toggle("Divide by √d_k", value=True, key="we_scale")
    seed = c.number_input("Seed", 0, 1_000_000, key="we_seed")
    st.plotly_chart(saturation_figure(examples.saturation(), int(d_k), bool(scale)), key="we_saturation")
    return examples.sqrt_dk_example(int(d_k), int(seed))


def _editable(example_id: str) -> examples.Example:
    if st.session_state.get("we_loaded") != example_id:
        seed = int(st.session_state.get("we_seed", 0))
        _load(examples.random_example(seed) if example_id == "random" else examples.example(example_id))
        st.session_state["we_loaded"] = example_id
    if example_id == "random":
        a, b = st.columns([1, 3])
        a.number_input("Seed", 0, 1_000_000, key="we_seed", on_change=_reroll)
        b.button("🎲 New random numbers", key="we_reroll", on_click=_next_seed)
    values = st.session_state["we_values"]
    with st.expander("Edit the numbers: Q, K, V and the token names", expanded=example_id == "random"):
        if example_id != "single":
            a, b, c = st.columns(3)
            a.number_input("Tokens", examples.MIN_TOKENS, examples.MAX_TOKENS, key="we_n_tokens", on_change=_resize)
            b.number_input("d_k (length of q and k)", 1, examples.MAX_DIMS, key="we_d_k", on_change=_resize)
            c.number_input("d_v (length of v)", 1, examples.MAX_DIMS, key="we_d_v", on_change=_resize)
        n = len(values["q"])
        tokens = examples.token_names(st.text_input("Token names, separated by commas", key="we_token_names"), n)
        version = st.session_state["we_editor_version"]
        cols = st.columns(3)
        edited = {
            name: _editor(col, name.upper(), values[name], indexed(tokens), f"we_edit_{name}_{version}")
            for col, name in zip(cols, ("q", "k", "v"))
        }
    st.session_state["we_edited"] = {"tokens": list(tokens), **{k: v.tolist() for k, v in edited.items()}}
    note = examples.example(example_id).note if example_id != "random" else f"Random whole numbers (seed {st.session_state['we_seed']})."
    return examples.Example(example_id, tokens, edited["q"], edited["k"], edited["v"], note)


def _editor(col, label: str, matrix: list, rows: tuple[str, ...], key: str) -> np.ndarray:
    frame = pd.DataFrame(matrix, index=list(rows), columns=[f"d{i}" for i in range(len(matrix[0]))], dtype=float)
    col.caption(label)
    return col.data_editor(frame, key=key, num_rows="fixed").to_numpy(dtype=np.float64)


def _load(example: examples.Example) -> None:
    st.session_state["we_values"] = {"q": example.q.tolist(), "k": example.k.tolist(), "v": example.v.tolist()}
    st.session_state["we_token_names"] = ", ".join(example.tokens)
    st.session_state["we_n_tokens"], st.session_state["we_d_k"] = example.q.shape
    st.session_state["we_d_v"] = example.v.shape[1]
    st.session_state["we_cell_row"], st.session_state["we_cell_col"] = example.cell
    st.session_state["we_editor_version"] = st.session_state.get("we_editor_version", 0) + 1


def _sizes() -> tuple[int, int, int]:
    return tuple(int(st.session_state.get(k, d)) for k, d in (("we_n_tokens", 3), ("we_d_k", 4), ("we_d_v", 2)))


def _reroll() -> None:
    n, d_k, d_v = _sizes()
    example = examples.random_example(int(st.session_state.get("we_seed", 0)), n, d_k, d_v)
    _load(examples.Example("random", examples.token_names(st.session_state.get("we_token_names", ""), n),
                          example.q, example.k, example.v))


def _next_seed() -> None:
    st.session_state["we_seed"] = int(st.session_state.get("we_seed", 0)) + 1
    _reroll()


def _resize() -> None:
    if st.session_state.get("we_loaded") == "random":
        _reroll()
        return
    n, d_k, d_v = _sizes()
    last = st.session_state.get("we_edited") or st.session_state["we_values"]
    q, k, v = (examples.resize(np.array(last[m], dtype=float), n, d) for m, d in (("q", d_k), ("k", d_k), ("v", d_v)))
    _load(examples.Example("edited", examples.token_names(st.session_state.get("we_token_names", ""), n), q, k, v))


def step_navigation(steps: AttentionSteps) -> Step:
    """Previous / step picker / Next; the chosen step lives in ``st.session_state["we_step"]``."""
    all_steps = steps.steps()
    ids = [s.id for s in all_steps]
    if st.session_state.get("we_step") not in ids:
        st.session_state["we_step"] = "scaled" if st.session_state.get("we_step") == "masked" else ids[0]
    at = ids.index(st.session_state["we_step"])
    # One row of natural widths that wraps, so no label is cut at 1024 px with the sidebar open (larger in
    # presentation mode); fixed columns cut "◀ Previous" there.
    bar = st.container(horizontal=True, vertical_alignment="center", gap="medium")
    bar.button("◀ Previous", key="we_prev", on_click=_move, args=(ids, -1), disabled=at == 0, shortcut="Left",
                help="Keyboard: ← (left arrow)")
    bar.radio("Step", ids, format_func=lambda i: f"{ids.index(i) + 1}. {STEP_LABELS[i]}", key="we_step",
              horizontal=True, label_visibility="collapsed")
    bar.button("Next ▶", key="we_next", on_click=_move, args=(ids, 1), disabled=at == len(ids) - 1,
                 shortcut="Right", help="Keyboard: → (right arrow)")
    return all_steps[ids.index(st.session_state["we_step"])]


def _move(ids: list[str], delta: int) -> None:
    at = ids.index(st.session_state["we_step"]) if st.session_state.get("we_step") in ids else 0
    st.session_state["we_step"] = ids[min(max(at + delta, 0), len(ids) - 1)]


def show_step(worked: Worked, step: Step) -> None:
    """Title, explanation, formula, the cell picker and the tables with that cell's row and column highlighted."""
    ids = [s.id for s in worked.steps.steps()]
    st.subheader(f"Step {ids.index(step.id) + 1} of {len(ids)}: {step.title}")
    st.markdown(step.explanation)
    st.latex(step.formula)
    work = _pick_cell(worked, step)
    highlights = work.highlights if work else ()
    # On a projector the numbers are large: one table per row, so none is squeezed or cut off.
    # Side by side only while every column fits (~16 in all on a laptop screen); otherwise one table per row.
    first = PRESENTATION_KEEP if state.presentation() else COMPACT_KEEP
    total = sum(_shown_columns(t, first) + 1 + t.row_sums for t in step.tables)
    wide = state.presentation() or total > SIDE_BY_SIDE_COLUMNS
    hidden = _results_hidden(step)
    shown = step.tables[:-1] if hidden else step.tables
    # Side by side in a row that wraps: a table that does not fit next to the others (a 1024 px projector with
    # the sidebar open) moves below them instead of being squeezed until its row sums are cut off.
    row = None if wide else st.container(horizontal=True, gap="medium")
    places = [st.container() if row is None else row.container(width="content") for _ in shown]
    for place, table in zip(places, shown):
        place.markdown(f"**{table.name}** · {table.matrix.shape[0]}×{table.matrix.shape[1]}")
        place.table(styled(table, worked.axes, highlights, first=first), width="stretch" if row is None else "content")
        if is_compact(table, first):
            with place.expander(f"All values of {table.name}"):
                st.dataframe(styled(table, worked.axes, highlights, decimals=6, compact=False).data)
    if hidden:
        st.info(f"Compute **{step.tables[-1].name}** yourself first, then press Reveal.")
        st.button("Reveal the result", key=f"we_reveal_{step.id}", on_click=_reveal, args=(step.id,), type="primary")
        return
    if work is not None:
        st.markdown("**The chosen cell, worked out:**")
        st.latex(work.latex)
        if r"\cdots" in work.latex:
            with st.expander("Every term of this sum"):
                st.code(work.text, language=None, wrap_lines=True)
    st.caption("Numbers are rounded for display only; every computation uses the full float64 values.")


def _results_hidden(step: Step) -> bool:
    """In "students compute first" mode a step's result stays hidden until revealed (the inputs are given)."""
    revealed = st.session_state.setdefault("we_revealed", set())
    return bool(st.session_state.get(state.WE_HIDE_RESULTS)) and step.id != "inputs" and step.id not in revealed


def _reveal(step_id: str) -> None:
    st.session_state.setdefault("we_revealed", set()).add(step_id)


def _shown_columns(table: Table, first: int) -> int:
    cols = table.matrix.shape[1]
    return len(shown_positions(cols, first=first)) if table.cols == "dim" else cols


def _pick_cell(worked: Worked, step: Step) -> CellWork | None:
    if step.id == "inputs":
        st.caption("Q, K and V are the starting numbers. Press Next to compute with them.")
        return None
    rows, cols = cell_shape(worked.steps, step.id)
    col_names = [f"d{c}" for c in range(cols)] if step.id == "output" else list(worked.axes.key)
    clamp_index("we_cell_row", rows, 1)
    clamp_index("we_cell_col", cols, 1)
    a, b = st.columns(2)
    row = a.selectbox("Work out the cell in row (query token)", range(rows),
                      format_func=lambda r: worked.axes.query[r], key="we_cell_row")
    col_label = "column (value dimension)" if step.id == "output" else "column (key token)"
    col = b.selectbox(f"… and {col_label}", range(cols), format_func=lambda c: col_names[c], key="we_cell_col")
    return cell_work(worked.steps, step.id, int(row), int(col), row_offset=worked.row_offset)


def sync_url(example_id: str, step_id: str) -> None:
    """Example, step and (when on) presentation mode into the URL; remembered so a Back to it can be told apart."""
    params = {"example": example_id, "step": step_id} | ({"present": "1"} if state.presentation() else {})
    st.session_state[_URL_WRITTEN] = params
    state.sync_url(params)
