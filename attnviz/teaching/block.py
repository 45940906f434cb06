"""The whole attention block in NumPy float64: projections, heads, positions, GQA, causal mask, KV cache, cross-attention.

    Q = X W_Q + b_Q      [queries, n_heads · d_k]      weights are laid out as in x @ w: [d_in, d_out]
    K = X' W_K + b_K     [keys, n_kv_heads · d_k]      X' = X, or the encoder's states for cross-attention
    V = X' W_V + b_V     [keys, n_kv_heads · d_v]
    split into heads, rotate q and k by position (RoPE, optional), query head h uses K/V head h // group
    head_h = softmax(Q_h K_gᵀ / √d_k, causal mask) V_g       one sdpa_steps result per query head
    concat = [head_0 | head_1 | ...]   [queries, n_heads · d_v]
    output = concat W_O + b_O          [queries, d_out]
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

from attnviz.teaching.sdpa import AttentionSteps, ShapeError, causal_mask, sdpa_steps
from attnviz.teaching.sdpa import _matrix  # one validator for every matrix a student types


@dataclass(frozen=True)
class MultiHeadSteps:
    """Every intermediate of one multi-head attention block, float64 and read-only."""

    x: np.ndarray  # [queries, d_model]
    x_kv: np.ndarray  # [keys, d_model_kv]: x itself for self-attention
    q_proj: np.ndarray  # [queries, n_heads · d_k] = x W_Q + b_Q
    k_proj: np.ndarray  # [keys, n_kv_heads · d_k]
    v_proj: np.ndarray  # [keys, n_kv_heads · d_v]
    q_unrotated: np.ndarray  # [n_heads, queries, d_k]: q_proj split into heads, before RoPE
    k_unrotated: np.ndarray  # [n_kv_heads, keys, d_k]
    q: np.ndarray  # [n_heads, queries, d_k]: what the heads multiply (rotated when rope_base is set)
    k: np.ndarray  # [n_kv_heads, keys, d_k]
    v: np.ndarray  # [n_kv_heads, keys, d_v]
    kv_head: np.ndarray  # int[n_heads]: the K/V head each query head reads
    heads: tuple[AttentionSteps, ...]  # one per query head
    concat: np.ndarray  # [queries, n_heads · d_v]
    output: np.ndarray  # [queries, d_out]
    causal: bool
    rope_base: float | None
    query_positions: np.ndarray  # int[queries]
    key_positions: np.ndarray  # int[keys]

    @property
    def n_heads(self) -> int:
        return len(self.heads)

    @property
    def n_kv_heads(self) -> int:
        return int(self.k.shape[0])

    @property
    def weights(self) -> np.ndarray:
        """float64[n_heads, queries, keys]: every head's attention weights."""
        return np.stack([h.weights for h in self.heads])


@dataclass(frozen=True)
class KVCacheStep:
    """Generating one more token: its row from one new q and the cached K, V next to the full causal computation."""

    full: MultiHeadSteps  # all tokens at once, causal
    new: MultiHeadSteps  # one query (the last token) against the cache plus its own k, v
    max_abs_diff: float  # max |new weights and output − last row of full|


def multi_head_steps(x, w_q, w_k, w_v, w_o, n_heads: int, n_kv_heads: int | None = None, b_q=None, b_k=None,
                     b_v=None, b_o=None, causal: bool = False, rope_base: float | None = None, *, x_kv=None,
                     first_position: int = 0) -> MultiHeadSteps:
    """Multi-head attention of ``x`` [queries, d_model] over ``x_kv`` (default ``x``), every stage kept.

    ``first_position`` is the position of the first query (keys start at 0): a KV-cache step passes the new
    token's position so its causal mask and its RoPE angle are the ones it has in the full sequence.
    """
    x = _matrix("X", x)  # [Tq, d_model]
    x_kv = x if x_kv is None else _matrix("X (keys and values)", x_kv)  # [Tk, d_kv_model]
    n_kv_heads = n_heads if n_kv_heads is None else int(n_kv_heads)
    if n_heads < 1 or n_kv_heads < 1 or n_heads % n_kv_heads:
        raise ShapeError(f"{n_heads} query heads cannot share {n_kv_heads} K/V heads: n_heads must be a multiple "
                         "of n_kv_heads.")
    q_proj = _project("Q", x, w_q, b_q, n_heads)  # [Tq, n_heads·d_k]
    k_proj = _project("K", x_kv, w_k, b_k, n_kv_heads)  # [Tk, n_kv·d_k]
    v_proj = _project("V", x_kv, w_v, b_v, n_kv_heads)  # [Tk, n_kv·d_v]
    q_unrotated = split_heads(q_proj, n_heads)  # [n_heads, Tq, d_k]
    k_unrotated = split_heads(k_proj, n_kv_heads)  # [n_kv, Tk, d_k]
    if q_unrotated.shape[2] != k_unrotated.shape[2]:
        raise ShapeError(f"Each query head has d_k = {q_unrotated.shape[2]} but each key head "
                         f"{k_unrotated.shape[2]}: W_Q and W_K need the same columns per head.")
    v = split_heads(v_proj, n_kv_heads)  # [n_kv, Tk, d_v]
    query_positions = np.arange(x.shape[0]) + int(first_position)
    key_positions = np.arange(x_kv.shape[0])
    if rope_base is not None:
        q, k = rope(q_unrotated, query_positions, rope_base), rope(k_unrotated, key_positions, rope_base)
    else:
        q, k = q_unrotated, k_unrotated
    kv_head = np.arange(n_heads) // (n_heads // n_kv_heads)  # repeat_kv: heads g·group … (g+1)·group − 1 share g
    mask = causal_mask(x.shape[0], x_kv.shape[0], int(first_position)) if causal else None
    heads = tuple(sdpa_steps(q[h], k[kv_head[h]], v[kv_head[h]], mask) for h in range(n_heads))
    concat = np.concatenate([h.output for h in heads], axis=1)  # [Tq, n_heads·d_v]
    w_o = _matrix("W_O", w_o)
    if w_o.shape[0] != concat.shape[1]:
        raise ShapeError(f"W_O has {w_o.shape[0]} rows but the concatenated heads have {concat.shape[1]} columns.")
    output = concat @ w_o + _bias("b_O", b_o, w_o.shape[1])  # [Tq, d_out]
    arrays = (x, x_kv, q_proj, k_proj, v_proj, q_unrotated, k_unrotated, q, k, v, kv_head, concat, output,
              query_positions, key_positions)
    for a in arrays:
        a.flags.writeable = False
    return MultiHeadSteps(x, x_kv, q_proj, k_proj, v_proj, q_unrotated, k_unrotated, q, k, v, kv_head, heads,
                          concat, output, bool(causal), rope_base, query_positions, key_positions)


def kv_cache_step(x, w_q, w_k, w_v, w_o, n_heads: int, n_kv_heads: int | None = None, b_q=None, b_k=None,
                  b_v=None, b_o=None, rope_base: float | None = None) -> KVCacheStep:
    """The last token of ``x`` as the newly generated one: one new q against every cached k, v plus its own."""
    x = _matrix("X", x)
    args = (w_q, w_k, w_v, w_o, n_heads, n_kv_heads, b_q, b_k, b_v, b_o)
    full = multi_head_steps(x, *args, causal=True, rope_base=rope_base)
    # Only the new row of X is projected to a query; K and V of the earlier rows are what a cache holds.
    new = multi_head_steps(x[-1:], *args, causal=True, rope_base=rope_base, x_kv=x, first_position=len(x) - 1)
    diff = max(float(np.abs(new.weights[:, 0] - full.weights[:, -1]).max()),
               float(np.abs(new.output[0] - full.output[-1]).max()))
    return KVCacheStep(full, new, diff)


def split_heads(m: np.ndarray, n_heads: int) -> np.ndarray:
    """[tokens, n_heads · d] → [n_heads, tokens, d]: head h owns columns h·d … (h+1)·d − 1."""
    return m.reshape(m.shape[0], n_heads, -1).transpose(1, 0, 2)


def rope_angles(positions, d: int, base: float = 10000.0) -> np.ndarray:
    """float64[positions, d/2]: position p turns pair i by p · base^(−2i/d) radians (Llama's inv_freq)."""
    inv_freq = 1.0 / base ** (np.arange(0, d, 2, dtype=np.float64) / d)  # [d/2]
    return np.asarray(positions, dtype=np.float64)[:, None] * inv_freq[None, :]


def rotate_half(x: np.ndarray) -> np.ndarray:
    """[..., d] → [..., d]: (x1, x2) → (−x2, x1) with x1 the first half; dimension i pairs with i + d/2."""
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def rope(x, positions, base: float = 10000.0) -> np.ndarray:
    """Rotary positions as transformers' apply_rotary_pos_emb: x·cos + rotate_half(x)·sin. x: [..., tokens, d]."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[-1] % 2:
        raise ShapeError(f"RoPE turns dimensions in pairs, so d_k must be even; it is {x.shape[-1]}.")
    angles = rope_angles(positions, x.shape[-1], base)  # [T, d/2]
    emb = np.concatenate([angles, angles], axis=-1)  # [T, d]: pair i uses the same angle in both halves
    return x * np.cos(emb) + rotate_half(x) * np.sin(emb)


def rope_scores_by_distance(q, k, n_positions: int, base: float = 10000.0) -> np.ndarray:
    """float64[positions, positions]: rope(q at i) · rope(k at j), the same q and k at every position.

    Constant along each diagonal: after RoPE the score depends only on the distance i − j.
    """
    q = np.asarray(q, dtype=np.float64)[None, :].repeat(n_positions, axis=0)
    k = np.asarray(k, dtype=np.float64)[None, :].repeat(n_positions, axis=0)
    positions = np.arange(n_positions)
    return rope(q, positions, base) @ rope(k, positions, base).T


def sinusoidal_positions(n_positions: int, d: int, base: float = 10000.0) -> np.ndarray:
    """float64[positions, d]: PE[p, 2i] = sin(p / base^(2i/d)), PE[p, 2i+1] = cos(p / base^(2i/d))."""
    angles = np.arange(n_positions, dtype=np.float64)[:, None] / base ** (np.arange(0, d, 2) / d)[None, :]
    pe = np.zeros((n_positions, d))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d // 2])
    return pe


def source_code() -> str:
    """The exact code that computes every number of the attention-block stages."""
    parts = (multi_head_steps, split_heads, rope_angles, rotate_half, rope, kv_cache_step, sinusoidal_positions)
    return "\n\n".join(inspect.getsource(f) for f in parts)


def _bias(name: str, b, n: int) -> np.ndarray:
    if b is None:
        return np.zeros(n)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if b.shape != (n,):
        raise ShapeError(f"{name} has {b.size} numbers but its projection has {n} outputs.")
    return b


def _project(name: str, x: np.ndarray, w, b, n_heads: int) -> np.ndarray:
    w = _matrix(f"W_{name}", w)
    if w.shape[0] != x.shape[1]:
        raise ShapeError(f"W_{name} has {w.shape[0]} rows but X has {x.shape[1]} columns: x @ W needs them equal.")
    if w.shape[1] % n_heads:
        raise ShapeError(f"W_{name} has {w.shape[1]} columns, which do not split into {n_heads} equal heads.")
    return x @ w + _bias(f"b_{name}", b, w.shape[1])
