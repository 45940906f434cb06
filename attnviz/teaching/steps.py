"""What each stage of the worked example says: title, explanation and LaTeX, built from the arrays of one pass.

The numbers come from ``sdpa.AttentionSteps``; this module only words them, so prose and math change apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from attnviz.teaching.sdpa import AttentionSteps, format_number


@dataclass(frozen=True)
class Table:
    """A matrix to show with a step. ``rows``/``cols`` say what an index stands for: "query", "key" or "dim"."""

    name: str
    matrix: np.ndarray
    rows: str
    cols: str
    row_sums: bool = False  # show each row's sum next to the table


@dataclass(frozen=True)
class Step:
    """One stage of the computation: ``matrix`` is what it produces, ``tables`` what to show (inputs, then result)."""

    id: str
    title: str
    explanation: str
    formula: str  # LaTeX
    matrix: np.ndarray
    tables: tuple[Table, ...]


def build_steps(s: AttentionSteps) -> tuple[Step, ...]:
    """The stages in the order of the math; "masked" only when there is a mask."""
    built = (_inputs(s), _scores(s), _scaled(s), _masked(s), _softmax(s), _output(s))
    return tuple(step for step in built if step is not None)


def _inputs(s: AttentionSteps) -> Step:
    nq, nk, dv = s.q.shape[0], s.k.shape[0], s.v.shape[1]
    return Step(
        "inputs", "Q, K and V",
        f"Each token has a query (what it is looking for), a key (what it can be found by) and a value (what it "
        f"passes on). Q has one row per query token ({nq}), K and V one row per key token ({nk}). Queries and "
        f"keys have the same length d_k = {s.d_k}, so each query can be compared with each key; values have "
        f"d_v = {dv} numbers.",
        rf"Q \in \mathbb{{R}}^{{{nq}\times {s.d_k}}},\quad K \in \mathbb{{R}}^{{{nk}\times {s.d_k}}},"
        rf"\quad V \in \mathbb{{R}}^{{{nk}\times {dv}}}",
        s.q,
        (Table("Q", s.q, "query", "dim"), Table("K", s.k, "key", "dim"), Table("V", s.v, "key", "dim")),
    )


def _scores(s: AttentionSteps) -> Step:
    nq, nk = s.scores.shape
    return Step(
        "scores", "Scores: Q times K transposed",
        f"Row i, column j is the dot product of query i with key j: multiply them number by number and add up. "
        f"A large score means query i matches key j well. ({nq}×{s.d_k}) times ({s.d_k}×{nk}) gives {nq}×{nk}: "
        "one score per query and key.",
        r"\text{scores} = QK^{\top},\qquad \text{scores}_{ij} = \sum_{c} Q_{ic}\,K_{jc}",
        s.scores,
        (Table("Q", s.q, "query", "dim"), Table("Kᵀ", s.k.T, "dim", "key"), Table("scores", s.scores, "query", "key")),
    )


def _scaled(s: AttentionSteps) -> Step:
    tables = (Table("scores", s.scores, "query", "key"), Table(s.scaled_name, s.scaled, "query", "key"))
    if not s.scale:
        return Step(
            "scaled", "Scaling switched off",
            "The division by √d_k is switched off, so the scores go into the softmax unchanged. Switch it back on "
            "to compare the weights.",
            r"\text{unscaled} = \text{scores}\quad(\text{no division by }\sqrt{d_k})",
            s.scaled, tables,
        )
    root = format_number(math.sqrt(s.d_k))
    return Step(
        "scaled", "Scaled: divide by √d_k",
        f"Divide every score by √d_k = √{s.d_k} = {root}. A dot product adds up d_k products, so it grows with "
        "d_k; without this division long vectors give such large scores that the softmax puts almost all the "
        "weight on one key (see the example “Why divide by √d_k?”).",
        rf"\text{{scaled}} = \frac{{\text{{scores}}}}{{\sqrt{{d_k}}}} = \frac{{\text{{scores}}}}{{\sqrt{{{s.d_k}}}}}"
        rf" = \frac{{\text{{scores}}}}{{{root}}}",
        s.scaled, tables,
    )


def _masked(s: AttentionSteps) -> Step | None:
    if s.mask is None:
        return None
    rule = r"j \le i" if s.causal else r"\text{query } i \text{ may see key } j"
    why = (
        "The causal mask hides later tokens: query i may only look at keys 0 to i. " if s.causal
        else "The mask hides some keys from some queries. "
    )
    return Step(
        "masked", "Mask: hide keys with −∞",
        why + "Hidden cells become −∞, and e^(−∞) = 0, so after the softmax they get weight exactly 0.",
        rf"\text{{masked}}_{{ij}} = \begin{{cases}} \text{{{s.scaled_name}}}_{{ij}} & \text{{if }} {rule} \\ -\infty & "
        r"\text{otherwise} \end{cases}",
        s.masked,
        (Table(s.scaled_name, s.scaled, "query", "key"), Table("masked", s.masked, "query", "key")),
    )


def _softmax(s: AttentionSteps) -> Step:
    source = "masked" if s.mask is not None else s.scaled_name
    return Step(
        "softmax", "Softmax, row by row",
        "Each row becomes positive weights that add up to 1: take e^x of every entry and divide by the row's "
        "sum. We first subtract the row's largest value m: softmax ignores adding the same number to a whole "
        "row, so the weights do not change, and e^x cannot overflow. Every row of the weights sums to 1.",
        rf"\text{{weights}}_{{ij}} = \frac{{e^{{x_{{ij}}}}}}{{\sum_{{j'}} e^{{x_{{ij'}}}}}}"
        rf" = \frac{{e^{{x_{{ij}} - m_i}}}}{{\sum_{{j'}} e^{{x_{{ij'}} - m_i}}}},"
        rf"\quad x = \text{{{source}}},\ m_i = \max_{{j'}} x_{{ij'}}",
        s.weights,
        (
            Table(source, s.masked, "query", "key"),
            Table("e^(x − m)", s.exps, "query", "key", row_sums=True),
            Table("weights", s.weights, "query", "key", row_sums=True),
        ),
    )


def _output(s: AttentionSteps) -> Step:
    return Step(
        "output", "Output: weights times V",
        "Each output row is a weighted average of the value rows: row i mixes the values of all keys with row i "
        "of the weights. Because the weights are positive and add up to 1, every output number lies between the "
        "smallest and the largest number in its column of V.",
        r"\text{output} = \text{weights}\cdot V,\qquad \text{output}_{ic} = \sum_{j} \text{weights}_{ij}\,V_{jc}",
        s.output,
        (Table("weights", s.weights, "query", "key"), Table("V", s.v, "key", "dim"),
         Table("output", s.output, "query", "dim")),
    )
