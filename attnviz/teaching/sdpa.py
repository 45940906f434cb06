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
from typing import TYPE_CHECKING

import numpy as np

from attnviz.errors import AttnvizError

if TYPE_CHECKING:
    from attnviz.teaching.steps import Step

STEP_IDS = ("inputs", "scores", "scaled", "masked", "softmax", "output")


class ShapeError(AttnvizError, ValueError):
    """Q, K, V or a mask have shapes that cannot be combined; the message names both shapes."""


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
    def scaled_name(self) -> str:
        """The name of the stage after scaling in tables and formulas: "unscaled" when scaling is switched off."""
        return "scaled" if self.scale else "unscaled"

    def steps(self) -> tuple[Step, ...]:
        """The stages in the order of the math; "masked" only when there is a mask."""
        # Imported here: the prose lives apart from the arrays and imports this module for its types.
        from attnviz.teaching.steps import build_steps

        return build_steps(self)

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
    """"2×3" for a 2-row, 3-column array: how every message names a shape."""
    return "×".join(str(n) for n in np.shape(a))
