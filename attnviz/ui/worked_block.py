"""Worked example, the whole attention block: one section per stage, each computed by attnviz.teaching.block."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.teaching import block_examples as bp
from attnviz.attention_math import ShapeError, format_number
from attnviz.teaching.block import (MultiHeadSteps, kv_cache_step, multi_head_steps, rope, rope_scores_by_distance,
                                sinusoidal_positions, source_code)
from attnviz.teaching.block_real_model import MATCH_TOLERANCE, recompute_block
from attnviz.teaching.block_figures import distance_figure, heads_figure, rope_rotation_figure
from attnviz.ui.cache import get_model
from attnviz.ui.run import safely
from attnviz.ui.sidebar import ModelChoice
from attnviz.ui.state import presentation
from attnviz.ui.text import md_escape
from attnviz.ui.worked_checks import Answer, answer_form
from attnviz.ui.worked_tables import (COMPACT_KEEP, ELLIPSIS, PRESENTATION_KEEP, Axes, indexed, one_line,
                                      shown_positions)

ONE_HEAD = "one_head"
STAGES = (ONE_HEAD, *bp.STAGE_IDS)
STAGE_TITLES = {ONE_HEAD: "One head: softmax(QKᵀ/√d_k)V", **bp.STAGE_TITLES}
MH_STEPS = {"project": "1. Q, K, V = X·W", "split": "2. split into heads", "heads": "3. each head attends",
            "concat": "4. concatenate", "output": "5. · W_O"}


def stage_picker() -> str:
    """The stage of the attention block to show; the single-head step-through stays the default."""
    if st.session_state.get("we_stage") not in STAGES:
        wanted = st.query_params.get("stage")
        st.session_state["we_stage"] = wanted if wanted in STAGES else ONE_HEAD
    return str(st.selectbox("Stage", STAGES, format_func=STAGE_TITLES.get, key="we_stage"))


def show_stage(stage: str, choice: ModelChoice) -> None:
    # Presentation mode (larger type) is the sidebar's toggle, shared by every page.
    {"multihead": _multihead, "rope": _rope, "gqa": _gqa, "kv_cache": _kv_cache, "cross": _cross,
     "model": lambda: _model(choice)}[stage]()
    with st.expander("The code that computed every number on this stage"):
        st.code(source_code(), language="python")
    if st.query_params.get("stage") != stage:
        st.query_params["stage"] = stage


def _table(name: str, m: np.ndarray, rows, cols, place=st) -> None:
    """One matrix as a static table; a real model's long rows show their first entries and "…" (fewer in
    presentation mode's larger type), with every value in a grid behind an expander."""
    shown = shown_positions(np.shape(m)[1], first=PRESENTATION_KEEP if presentation() else COMPACT_KEEP)
    m, rows, cols = np.asarray(m), list(rows), list(cols)
    place.markdown(f"**{md_escape(name)}** · {m.shape[0]}×{m.shape[1]}")
    cells = [[ELLIPSIS if c is None else format_number(row[c]) for c in shown] for row in m]
    names = [ELLIPSIS if c is None else cols[c] for c in shown]
    place.table(one_line(pd.DataFrame(cells, index=rows, columns=names).style), width="content")
    if None in shown:
        with place.expander(f"All values of {name}"):
            st.dataframe(pd.DataFrame(m, index=rows, columns=cols).style.format("{:.4f}"), height=260)


def _tables(items) -> None:
    """Side by side in a row that wraps (a table that does not fit beside the others moves below them, as on the
    one-head steps); one under another in presentation mode, so nothing is squeezed."""
    row = None if presentation() else st.container(horizontal=True, gap="medium")
    for name, m, rows, cols in items:
        _table(name, m, rows, cols, st.container() if row is None else row.container(width="content"))


def _dims(n: int, prefix: str = "d") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def _edited_x(example: bp.BlockExample, key: str) -> np.ndarray:
    with st.expander("Edit X (one row per token) — the weights are shown in step 1"):
        frame = pd.DataFrame(example.x, index=list(indexed(example.tokens)), columns=_dims(example.x.shape[1]))
        return st.data_editor(frame, key=key, num_rows="fixed").to_numpy(dtype=np.float64)


def _compute(example: bp.BlockExample, x: np.ndarray, **kw) -> MultiHeadSteps | None:
    try:
        return multi_head_steps(x, example.w_q, example.w_k, example.w_v, example.w_o, example.n_heads,
                                example.n_kv_heads, x_kv=example.x_kv, **kw)
    except ShapeError as exc:
        st.error(str(exc))
        return None


def _multihead() -> None:
    ex = bp.multihead_example()
    st.info(ex.note)
    causal = st.toggle("Causal mask", key="we_mh_causal")
    s = _compute(ex, _edited_x(ex, "we_mh_x"), causal=causal)
    if s is None:
        return
    names = indexed(ex.tokens)
    show_heads(s, names, names, "we_mh_step", "we_mh_fig", ex)
    axes = Axes(names, names)
    answer_form("we_mh", [Answer("concat", "concat = [head_0 | head_1]", s.concat, "query", "dim", axes),
                          Answer("output", "output = concat · W_O", s.output, "query", "dim", axes)])


def show_heads(s: MultiHeadSteps, q_names, k_names, step_key: str, fig_key: str, ex: bp.BlockExample | None = None
               ) -> None:
    """The five steps of multi-head attention for ``s``, one at a time; a toy ``ex`` also shows its weights."""
    step = st.radio("Step", list(MH_STEPS), format_func=MH_STEPS.get, key=step_key, horizontal=True)
    d_k, d_v = s.q.shape[2], s.v.shape[2]
    if step == "project":
        st.latex(r"Q = XW_Q,\quad K = XW_K,\quad V = XW_V")
        _tables([("X", s.x, q_names, _dims(s.x.shape[1])), ("Q = X·W_Q", s.q_proj, q_names, _dims(s.q_proj.shape[1])),
                 ("K = X·W_K", s.k_proj, k_names, _dims(s.k_proj.shape[1])),
                 ("V = X·W_V", s.v_proj, k_names, _dims(s.v_proj.shape[1]))])
        if ex is not None:  # a toy's weights, so every projection can be multiplied out by hand
            rows = _dims(s.x.shape[1])
            _tables([(f"W_{n}", w, rows, _dims(w.shape[1])) for n, w in (("Q", ex.w_q), ("K", ex.w_k), ("V", ex.w_v))])
    elif step == "split":
        st.latex(rf"d_k = d_{{model}} / h = {s.q_proj.shape[1]} / {s.n_heads} = {d_k}:\ "
                 rf"\text{{head }} h \text{{ takes columns }} h\,d_k \ldots (h+1)\,d_k - 1")
        shown = min(s.n_heads, 2)
        if shown < s.n_heads:
            st.caption(f"Heads 0 and 1 of {s.n_heads} shown; the others are split the same way.")
        _tables([(f"Q of head {h}", s.q[h], q_names, _dims(d_k)) for h in range(shown)]
                + [(f"K of K/V head {g}", s.k[g], k_names, _dims(d_k)) for g in sorted(set(s.kv_head[:shown]))])
    elif step == "heads":
        st.latex(r"\text{head}_h = \text{softmax}\!\left(\frac{Q_h K_h^{\top}}{\sqrt{d_k}}\right) V_h")
        st.plotly_chart(heads_figure(s.weights, q_names, k_names, [f"head {h} weights" for h in range(s.n_heads)]),
                        key=fig_key)
        _tables([(f"head {h} output", s.heads[h].output, q_names, _dims(d_v)) for h in range(s.n_heads)])
    elif step == "concat":
        st.latex(r"\text{concat} = [\text{head}_0 \,|\, \text{head}_1 \,|\, \cdots]")
        cols = [f"h{h}·d{c}" for h in range(s.n_heads) for c in range(d_v)]
        _tables([("concat", s.concat, q_names, cols)])
    else:
        st.latex(r"\text{output} = \text{concat}\cdot W_O")
        _tables([("concat", s.concat, q_names, _dims(s.concat.shape[1]))]
                + ([("W_O", ex.w_o, _dims(ex.w_o.shape[0]), _dims(ex.w_o.shape[1]))] if ex is not None else [])
                + [("output", s.output, q_names, _dims(s.output.shape[1]))])


def _rope() -> None:
    st.markdown("**Sinusoidal positions** (the original Transformer) are *added* to X before the projections:")
    st.latex(r"PE_{p,2i} = \sin\!\left(p / 10000^{2i/d}\right)")
    st.latex(r"PE_{p,2i+1} = \cos\!\left(p / 10000^{2i/d}\right)")
    ex = bp.multihead_example()
    pe = sinusoidal_positions(len(ex.tokens), ex.x.shape[1])
    names = indexed(ex.tokens)
    _tables([("X", ex.x, names, _dims(4)), ("PE", pe, names, _dims(4)), ("X + PE", ex.x + pe, names, _dims(4))])
    st.markdown("**RoPE** (Llama, SmolLM2) instead *rotates* q and k: dimension i is paired with i + d/2 (transformers' "
                "`rotate_half`), and at position p pair i turns by p·θ_i.")
    st.latex(r"\text{rope}(x, p) = x\cos(p\theta) + \text{rotate\_half}(x)\sin(p\theta)")
    st.latex(r"\theta_i = \text{base}^{-2i/d}")
    a, b = st.columns(2)
    base = float(a.select_slider("base", [10.0, 100.0, 10000.0], value=10.0, key="we_rope_base"))
    n = int(b.slider("positions", 2, 8, 6, key="we_rope_positions"))
    q, k = np.array([1.0, 0.0, 0.5, 1.0]), np.array([0.5, 1.0, 1.0, 0.0])
    st.caption(f"Toy vectors: q = {q.tolist()}, k = {k.tolist()} (d = 4, two pairs).")
    st.plotly_chart(rope_rotation_figure(q, n, base), key="we_rope_fig")
    scores = rope_scores_by_distance(q, k, n, base)
    st.plotly_chart(distance_figure(scores), key="we_rope_dist")
    spread = max(float(np.ptp(np.diagonal(scores, o))) for o in range(-n + 1, n))
    st.success(f"Every diagonal is constant (largest spread along a diagonal: {spread:.1e}): after RoPE, q·k depends "
               "only on the distance i − j, not on where the two tokens are.")
    positions = tuple(f"position {p}" for p in range(n))
    rotated = rope(np.repeat(q[None], n, axis=0), np.arange(n), base)  # [positions, d]: q placed at each position
    answer_form("we_rope", [
        Answer("rotated_q", "rope(q, p), one row per position p", rotated, "query", "dim", Axes(positions, positions)),
        Answer("scores", "scores rope(q, i) · rope(k, j) (row i, column j)", scores, "query", "key",
               Axes(positions, positions))])


def _gqa() -> None:
    ex = bp.gqa_example()
    st.info(ex.note)
    s = _compute(ex, ex.x, causal=True, rope_base=10000.0)
    if s is None:
        return
    share = pd.DataFrame({"query head": range(s.n_heads), "reads K/V head": s.kv_head})
    st.table(share)
    st.latex(rf"\text{{K/V head of query head }} h = \lfloor h / (n_{{heads}} / n_{{kv}}) \rfloor"
             rf" = \lfloor h / {s.n_heads // s.n_kv_heads} \rfloor")
    names = indexed(ex.tokens)
    st.plotly_chart(heads_figure(s.weights, names, names, [f"q head {h} · K/V {g}" for h, g in enumerate(s.kv_head)]),
                    key="we_gqa_fig")
    st.caption("q and k after RoPE (base 10000), the numbers each head multiplies: weights = softmax(q·kᵀ/√d_k) "
               "under the causal mask.")
    st.caption(f"q of query heads 1 and 2 of {s.n_heads} shown (two heads that share a K/V head, or not); "
               "every k is shown.")
    _tables([(f"q of query head {h}", s.q[h], names, _dims(s.q.shape[2])) for h in (1, 2)]
            + [(f"k of K/V head {g}", s.k[g], names, _dims(s.k.shape[2])) for g in range(s.n_kv_heads)])
    axes = Axes(names, names)
    answer_form("we_gqa", [
        Answer("weights_head_1", f"weights of query head 1 (reads K/V head {s.kv_head[1]})", s.weights[1], "query",
               "key", axes),
        Answer("weights_head_2", f"weights of query head 2 (reads K/V head {s.kv_head[2]})", s.weights[2], "query",
               "key", axes)])


def _kv_cache() -> None:
    ex = bp.gqa_example()
    step = kv_cache_step(ex.x, ex.w_q, ex.w_k, ex.w_v, ex.w_o, ex.n_heads, ex.n_kv_heads, rope_base=10000.0)
    names = indexed(ex.tokens)
    st.markdown(f"Generating token {len(names) - 1} ({md_escape(names[-1])}): its K and V rows join the cache of the "
                f"{len(names) - 1} earlier rows, and one new q (row {len(names) - 1} of X times W_Q, rotated to its "
                "position) is compared with all of them. Nothing earlier is recomputed.")
    st.plotly_chart(heads_figure(step.full.weights, names, names, [f"head {h}, full causal" for h in range(4)]),
                    key="we_kv_full")
    new = step.new.weights[:, 0]
    _tables([("new token's row, from one q and the cache", new, [f"head {h}" for h in range(4)], names),
             ("last row of the full causal computation", step.full.weights[:, -1], [f"head {h}" for h in range(4)],
              names)])
    st.success(f"max |cached row − full last row| (weights and output) = {step.max_abs_diff:.1e}")
    heads = tuple(f"head {h}" for h in range(step.new.n_heads))
    reads = ", ".join(f"head {h} reads K/V head {g}" for h, g in enumerate(step.new.kv_head))
    st.caption(f"What the new row is computed from: one new q per query head and the cached k of every token "
               f"(after RoPE); {reads}.")
    _tables([("new q, one row per query head", step.new.q[:, 0], heads, _dims(step.new.q.shape[2]))]
            + [(f"cached k of K/V head {g}", step.new.k[g], names, _dims(step.new.k.shape[2]))
               for g in range(step.new.n_kv_heads)])
    answer_form("we_kv", [
        Answer("new_weights", "the new token's weights, one row per head", new, "query", "key", Axes(heads, names)),
        Answer("new_output", "the new token's output row (· W_O)", step.new.output, "query", "dim",
               Axes(names[-1:], names))])


def _cross() -> None:
    ex = bp.translation_example()
    st.info(ex.note)
    s = _compute(ex, ex.x)
    if s is None:
        return
    q_names, k_names = indexed(ex.tokens), indexed(ex.key_tokens)
    st.plotly_chart(heads_figure(s.weights, q_names, k_names, ["cross-attention: target queries × source keys"]),
                    key="we_cross_fig")
    _tables([("O = weights · V (one context vector per target word)", s.output, q_names, _dims(4))])
    axes = Axes(q_names, k_names)
    answer_form("we_cross", [Answer("weights", "weights (row = target word, column = source word)", s.weights[0],
                                    "query", "key", axes),
                             Answer("output", "O = weights · V", s.output, "query", "dim", axes)])
    st.warning(f"The tutorial this example comes from (its title was not recorded) says “{bp.ARTICLE_CLAIM}”. "
               "It does not: each row of O is a context vector, a weighted "
               "average of the encoder's value rows (here 4 numbers, not one per word, and rows need not sum to 1). "
               "Probabilities over target words come only after a further projection to the vocabulary and a "
               "softmax over it.")


def _model(choice: ModelChoice) -> None:
    text = st.text_area("Text for the real model", key="we_block_text", height=70,
                        value=st.session_state.get("we_text_memory") or "The cat sat on the mat because it was tired.")
    loaded = safely(lambda: get_model(choice.name), "loading the model")
    if loaded is None or not text.strip():
        return
    layer = int(st.number_input("Layer", 0, max(loaded.n_layers - 1, 0), 0, key="we_block_layer"))
    rec = safely(lambda: recompute_block(loaded, text, layer), "redoing the attention block")
    if rec is None:
        return
    s = rec.steps
    if rec.truncated:
        st.warning(f"Only the first {len(rec.tokens)} tokens are used here.")
    kind = "causal, RoPE" if s.causal else "bidirectional"
    st.info(f"{md_escape(rec.model_name)}, layer {layer}: {s.n_heads} query heads, {s.n_kv_heads} K/V heads, d_k = "
            f"{s.q.shape[2]}, {kind}. The layer's own input (after its norm where it has one) went through "
            "multi_head_steps with the model's weights; the result is compared with the model's output projection, "
            "before the residual is added.")
    line = (f"max |multi_head_steps output − model's attention output| = {rec.max_abs_diff:.2e}; "
            f"relative to the largest output number ({rec.scale:.3g}): {rec.relative_diff:.2e}")
    (st.success if rec.matches else st.error)(f"{line} (bound {MATCH_TOLERANCE:g})")
    if rec.scale > 1:
        st.caption("The model computes in float32 (about 7 significant digits): on outputs larger than 1 its own "
                   "rounding can exceed 1e-5 in absolute units, so the bound is 1e-5 of the largest output number.")
    names = indexed([t.text for t in rec.tokens])
    show_heads(s, names, names, "we_block_step", "we_block_fig")
