"""Checks on the Worked example page: the audit of a tutorial's printed numbers, and Check my answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

from attnviz.teaching import examples
from attnviz.teaching.answers import DEFAULT_TOLERANCE, FORMAT_HELP, check_answer, parse_matrix
from attnviz.teaching.sdpa import AttentionSteps, source_code
from attnviz.teaching.steps import Table
from attnviz.ui.worked_tables import Axes, indexed, styled

ANSWERS = (
    ("scores", "Scores QKᵀ", "query", "key"),
    ("weights", "Weights (after the softmax)", "query", "key"),
    ("output", "Output (weights · V)", "query", "dim"),
)


def article_audit() -> None:
    """The tutorial's example as printed, each of its errors explained, before the corrected version runs."""
    claim = examples.article_claim()
    names = indexed(("A", "B"))
    axes = Axes(names, names)
    st.subheader("What the tutorial prints")
    st.caption(examples.ARTICLE_SOURCE)
    given = (Table("Q", claim.q, "query", "dim"), Table("K", claim.k, "key", "dim"), Table("V", claim.v, "key", "dim"))
    claimed = (
        Table("claimed QKᵀ", claim.scores, "query", "key"),
        Table("claimed weights", claim.weights, "query", "key", row_sums=True),
        Table("claimed output", claim.output, "query", "dim"),
    )
    for tables in (given, claimed):
        # In a row that wraps (three fixed columns cut the row sums at 1024 px in presentation mode's larger type).
        row = st.container(horizontal=True, gap="medium")
        for table in tables:
            place = row.container(width="content")
            place.markdown(f"**{table.name}** · {table.matrix.shape[0]}×{table.matrix.shape[1]}")
            place.table(styled(table, axes, decimals=4), width="content")
    findings = examples.audit(claim)
    wrong = sum(not f.ok for f in findings)
    st.subheader(f"What is wrong with it: {wrong} errors")
    for number, finding in enumerate(findings, 1):
        show = st.success if finding.ok else st.error
        show(f"**{number}. {finding.title}.** {finding.detail}")
    st.subheader("A corrected version that runs")


@dataclass(frozen=True)
class Answer:
    """One matrix a student may type: ``expected`` is what the page computed, shown with ``axes`` names."""

    name: str
    label: str
    expected: np.ndarray
    rows: str  # "query", "key" or "dim", as in Table
    cols: str
    axes: Axes


def check_my_answer(steps: AttentionSteps, axes: Axes) -> None:
    """The student types scores, weights and output; each is marked right or wrong, the first wrong cell named."""
    answer_form("we", [Answer(name, label, getattr(steps, name), rows, cols, axes)
                       for name, label, rows, cols in ANSWERS])


def answer_form(prefix: str, answers: Sequence[Answer]) -> None:
    """Check my answer for any stage: one box per matrix, each marked by check_answer, wrong cells in red.

    Widget keys: ``{prefix}_answer_{name}`` per box, ``{prefix}_answer_tolerance``, button ``{prefix}_check``.
    """
    st.subheader("Check my answer")
    st.caption(
        "Work out the example on paper, type what you got and press Check. Leave a box empty to skip it. "
        f"{FORMAT_HELP}"
    )
    with st.form(f"{prefix}_answers", border=True):
        for col, a in zip(st.columns(len(answers)), answers):
            col.text_area(a.label, key=f"{prefix}_answer_{a.name}", height=120,
                          placeholder="one row per line, e.g.\n1.5 -2\n0.25 3")
        tolerance = st.number_input("Tolerance (how far each number may be off)", 0.0, 10.0, DEFAULT_TOLERANCE,
                                    step=0.005, format="%.3f", key=f"{prefix}_answer_tolerance")
        submitted = st.form_submit_button("Check", key=f"{prefix}_check")
    if not submitted:
        return
    typed = {a.name: str(st.session_state.get(f"{prefix}_answer_{a.name}") or "") for a in answers}
    answered = [a for a in answers if typed[a.name].strip()]
    if not answered:
        st.info(f"Type at least one of the {len(answers)} matrices first.")
        return
    for a in answered:
        result = check_answer(a.name, typed[a.name], a.expected, float(tolerance))
        (st.success if result.ok else st.error)(f"**{a.label}:** {result.message}")
        if result.wrong is not None and not result.ok:
            st.caption(f"Your {a.name}, wrong cells in red:")
            table = Table(a.name, parse_matrix(typed[a.name]), a.rows, a.cols)
            st.table(styled(table, a.axes, wrong=result.wrong, compact=False))


def show_source() -> None:
    with st.expander("The code that computed every number on this page"):
        st.code(source_code(), language="python")
