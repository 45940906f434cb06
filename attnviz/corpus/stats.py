"""Per-head statistics of a whole batch at once: zero-padded float32[B, L, H, T, T] in, float32[B, L, H] out.

The same definitions as ``attnviz.head_stats.attention_statistics`` (one text, float64), computed over a padded
batch: padded query rows and key columns are zero, so every sum ignores them, and every mean over query rows
divides by the text's own token count, not the batch width.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from attnviz.head_stats import is_punctuation
from attnviz.types import Token

# HeadStats' fields first (same names, same meaning), then what only a corpus needs.
HEAD_STATS = ("entropy", "special_share", "punctuation_share", "mean_distance", "previous_token", "next_token")
STATISTICS = HEAD_STATS + ("first_token", "max_weight")
DESCRIPTIONS = {
    "entropy": "entropy of each query row, bits (0 = all on one key)",
    "special_share": "attention on special tokens ([CLS], [SEP], ...)",
    "punctuation_share": "attention on punctuation",
    "mean_distance": "expected |query − key| distance, tokens",
    "previous_token": "weight on the token just before the query",
    "next_token": "weight on the token just after the query",
    "first_token": "attention on the first token ([CLS] for BERT)",
    "max_weight": "largest single weight (query → key)",
}


def key_masks(tokens: Sequence[Sequence[Token]], width: int) -> tuple[np.ndarray, np.ndarray]:
    """(special, punctuation) float32[B, T]: 1 where that key is a special / punctuation token, 0 elsewhere."""
    special = np.zeros((len(tokens), width), dtype=np.float32)
    punct = np.zeros((len(tokens), width), dtype=np.float32)
    for row, toks in enumerate(tokens):
        special[row, : len(toks)] = [t.special for t in toks]
        punct[row, : len(toks)] = [is_punctuation(t) for t in toks]
    return special, punct


def batch_statistics(
    att: np.ndarray, lengths: np.ndarray, special: np.ndarray, punct: np.ndarray
) -> dict[str, np.ndarray]:
    """Every statistic in ``STATISTICS`` as float32[B, L, H], plus ``max_query``/``max_key`` int16[B, L, H].

    att: float32[B, L, H, T, T], zero outside each text's n × n block; lengths: int[B] tokens per text;
    special, punct: float32[B, T] key masks. Means are over each text's query rows.
    """
    b, n_layers, n_heads, width, _ = att.shape
    n = np.asarray(lengths, dtype=np.float32)[:, None, None]  # [B, 1, 1]
    flat = att.reshape(b, n_layers, n_heads, width * width)  # [B, L, H, T·T]: every sum over (query, key) is a dot
    # Weights on real keys are ≥ 1e-30 or exactly 0; log2 of a clamped zero is finite, times 0 it adds nothing.
    log_att = np.log2(np.maximum(flat, np.float32(1e-38)))  # [B, L, H, T·T]
    plogp = (flat[..., None, :] @ log_att[..., :, None])[..., 0, 0]  # [B, L, H] = Σ_q Σ_k p log2 p
    positions = np.arange(width, dtype=np.float32)
    distance = np.abs(positions[:, None] - positions[None, :]).reshape(-1)  # [T·T] |query − key|
    key_totals = att.sum(axis=-2)  # [B, L, H, T]: attention each key receives, summed over the query rows
    previous = np.diagonal(att, offset=-1, axis1=3, axis2=4).sum(axis=-1)  # rows 1..n-1: key q-1
    following = np.diagonal(att, offset=1, axis1=3, axis2=4).sum(axis=-1)  # rows 0..n-2: key q+1
    pairs = np.maximum(n - 1, 1)  # a one-token text has no previous/next key: its sums are 0 anyway
    where = flat.argmax(axis=-1)  # [B, L, H]
    return {
        "entropy": -plogp / n,
        "special_share": (key_totals @ special[:, None, :, None])[..., 0] / n,
        "punctuation_share": (key_totals @ punct[:, None, :, None])[..., 0] / n,
        "mean_distance": (flat @ distance) / n,
        "previous_token": previous / pairs,
        "next_token": following / pairs,
        "first_token": key_totals[..., 0] / n,
        "max_weight": np.take_along_axis(flat, where[..., None], axis=-1)[..., 0],
        "max_query": (where // width).astype(np.int16),
        "max_key": (where % width).astype(np.int16),
    }
