"""Scaled dot-product attention in NumPy float64, keeping every intermediate so a page can show its work.

    scores  = Q Kᵀ                      [queries, keys]
    scaled  = scores / √d_k             [queries, keys]
    masked  = scaled, −∞ where hidden   [queries, keys]
    weights = softmax(masked) by row    [queries, keys], rows sum to 1
    output  = weights V                 [queries, d_v]
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np

from attnviz.errors import AttnvizError

STEP_IDS = ("inputs", "scores", "scaled", "masked", "softmax", "output")


class ShapeError(AttnvizError, ValueError):
    """Q, K, V or a mask have shapes that cannot be combined; the message names both shapes."""


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


@dataclass(frozen=True)
class AttentionSteps:
    """Every intermediate of softmax(QKᵀ/√d_k)V in float64; ``mask`` is True where a query may see a key."""

    q: np.ndarray  # [queries, d_k]
    k: np.ndarray  # [keys, d_k]
    v: np.ndarray  # [keys, d_v]
    scores: np.ndarray  # [queries, keys]
    scaled: np.ndarray  # [queries, keys]
    masked: np.ndarray  # [queries, keys], −∞ where hidden
    row_max: np.ndarray  # [queries], subtracted before exp
    exps: np.ndarray  # [queries, keys], exp(masked − row_max)
    exp_sums: np.ndarray  # [queries]
    weights: np.ndarray  # [queries, keys], rows sum to 1
    output: np.ndarray  # [queries, d_v]
    scale: bool
    mask: np.ndarray | None  # bool[queries, keys]
    causal: bool

    @property
    def d_k(self) -> int:
        return int(self.q.shape[1])

    @property
    def weight_sums(self) -> np.ndarray:
        """float64[queries]: each row of the weights adds up to this (1 up to rounding)."""
        return self.weights.sum(axis=1)

    def steps(self) -> tuple[Step, ...]:
        """The stages in the order of the math; "masked" only when there is a mask."""
        built = (_inputs(self), _scores(self), _scaled(self), _masked(self), _softmax(self), _output(self))
        return tuple(s for s in built if s is not None)

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps() if s.id == step_id)


def causal_mask(n_queries: int, n_keys: int | None = None, first_query: int = 0) -> np.ndarray:
    """bool[queries, keys]: query i (at position ``first_query + i``) sees keys 0 .. its own position."""
    n_keys = n_queries if n_keys is None else n_keys
    positions = np.arange(n_queries)[:, None] + first_query
    return np.arange(n_keys)[None, :] <= positions


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis in float64; −∞ entries get weight 0."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sdpa_steps(q, k, v, mask: np.ndarray | None = None, scale: bool = True) -> AttentionSteps:
    """softmax(QKᵀ/√d_k, hidden keys at −∞)V with every intermediate kept. ``mask``: bool[queries, keys], True = visible."""
    q = _matrix("Q", q)  # [Tq, d_k]
    k = _matrix("K", k)  # [Tk, d_k]
    v = _matrix("V", v)  # [Tk, d_v]
    if q.shape[1] != k.shape[1]:
        raise ShapeError(f"Q is {dims(q)} but K is {dims(k)}: Q and K need the same number of columns (d_k).")
    if k.shape[0] != v.shape[0]:
        raise ShapeError(f"K is {dims(k)} but V is {dims(v)}: K and V need the same number of rows (one per key).")
    scores = q @ k.T  # [Tq, Tk]
    scaled = scores / math.sqrt(q.shape[1]) if scale else scores.copy()  # [Tq, Tk]
    visible = _mask(mask, scores.shape)
    masked = scaled.copy() if visible is None else np.where(visible, scaled, -np.inf)  # [Tq, Tk]
    row_max = masked.max(axis=1)  # [Tq]
    exps = np.exp(masked - row_max[:, None])  # [Tq, Tk], e^(−∞) = 0
    exp_sums = exps.sum(axis=1)  # [Tq]
    weights = exps / exp_sums[:, None]  # [Tq, Tk]
    output = weights @ v  # [Tq, d_v]
    causal = visible is not None and bool(np.array_equal(visible, causal_mask(*scores.shape)))
    arrays = (q, k, v, scores, scaled, masked, row_max, exps, exp_sums, weights, output)
    for a in arrays:
        a.flags.writeable = False
    return AttentionSteps(*arrays, scale=scale, mask=visible, causal=causal)


def source_code() -> str:
    """The exact code that computes every number on the worked-example page."""
    return inspect.getsource(sdpa_steps)


def format_number(x: float, decimals: int = 3, whole: bool = True) -> str:
    """Display form of one number: exact whole numbers bare (unless ``whole`` is False), −∞ as a symbol,
    tiny or huge ones in e-notation, the rest with ``decimals`` places."""
    x = float(x)
    if math.isinf(x):
        return "−∞" if x < 0 else "∞"
    if math.isnan(x):
        return "?"
    if whole and x == round(x) and abs(x) < 1e6:
        return str(int(x))
    # 0.00003 would print as 0.000 and 1e41 as 42 digits; both hide what the number is.
    if 0 < abs(x) < 0.5 * 10.0**-decimals or abs(x) >= 1e6:
        return f"{x:.2e}"
    return f"{x:.{decimals}f}"


def _matrix(name: str, x) -> np.ndarray:
    try:
        a = np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name} must be a table of numbers with the same count in every row.") from exc
    if a.ndim != 2 or 0 in a.shape:
        raise ShapeError(
            f"{name} must be a matrix (one row per token, one column per dimension); got shape {a.shape}."
        )
    bad = np.argwhere(~np.isfinite(a))
    if len(bad):
        i, j = (int(n) for n in bad[0])
        raise ShapeError(f"{name}[{i},{j}] is empty or not a finite number; every cell needs a number.")
    return a


def _mask(mask, shape: tuple[int, int]) -> np.ndarray | None:
    if mask is None:
        return None
    m = np.array(mask, dtype=bool)
    if m.shape != shape:
        raise ShapeError(f"The mask is {dims(m)} but the scores are {shape[0]}×{shape[1]}: they must match.")
    empty = np.flatnonzero(~m.any(axis=1))
    if len(empty):
        raise ShapeError(f"The mask hides every key from query {int(empty[0])}; each query must see at least one key.")
    m.flags.writeable = False
    return m


def dims(a: np.ndarray) -> str:
    """A matrix's shape as a reader writes it: "2×3"."""
    return "×".join(str(n) for n in np.shape(a))


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
    tables = (Table("scores", s.scores, "query", "key"), Table("scaled", s.scaled, "query", "key"))
    if not s.scale:
        return Step(
            "scaled", "Scaling switched off",
            "The division by √d_k is switched off, so the scores go into the softmax unchanged. Switch it back on "
            "to compare the weights.",
            r"\text{scaled} = \text{scores}\quad(\text{no division by }\sqrt{d_k})",
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
        rf"\text{{masked}}_{{ij}} = \begin{{cases}} \text{{scaled}}_{{ij}} & \text{{if }} {rule} \\ -\infty & "
        r"\text{otherwise} \end{cases}",
        s.masked,
        (Table("scaled", s.scaled, "query", "key"), Table("masked", s.masked, "query", "key")),
    )


def _softmax(s: AttentionSteps) -> Step:
    source = "masked" if s.mask is not None else "scaled"
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



_BLOCK_NAMES = ("MultiHeadSteps", "KVCacheStep", "multi_head_steps", "kv_cache_step", "rope", "sinusoidal_positions")


def __getattr__(name: str):
    """The whole attention block lives in block_math (which imports this module); re-exported lazily for one path."""
    if name in _BLOCK_NAMES:
        from attnviz import block_math

        return getattr(block_math, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
