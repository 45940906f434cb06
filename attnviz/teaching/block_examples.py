"""Toy numbers for the attention-block stages (small enough to check by hand) and the translation example."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STAGE_TITLES = {
    "multihead": "Multi-head: split → heads → concat → W_O",
    "rope": "Positions: sinusoidal and RoPE",
    "gqa": "Grouped-query attention (shared K/V heads)",
    "kv_cache": "Causal mask and the KV cache",
    "cross": "Cross-attention: translation (toy numbers)",
    "model": "Real model: a whole layer's attention block",
}
STAGE_IDS = tuple(STAGE_TITLES)  # in the order the page offers them
# The source articles' slip, quoted so the page can diagnose it next to the numbers that refute it.
ARTICLE_CLAIM = "the weighted sum O contains the predicted probability of each target word"


@dataclass(frozen=True)
class BlockExample:
    """X float[tokens, d_model] (and X_kv for cross-attention), weights laid out for x @ w, head counts, a note."""

    id: str
    tokens: tuple[str, ...]
    x: np.ndarray
    w_q: np.ndarray
    w_k: np.ndarray
    w_v: np.ndarray
    w_o: np.ndarray
    n_heads: int
    n_kv_heads: int
    note: str
    key_tokens: tuple[str, ...] = ()  # cross-attention: the encoder's tokens
    x_kv: np.ndarray | None = None


_X = np.array([[1, 0, 1, 0], [0, 2, 0, 1], [1, 1, 0, 2]], dtype=np.float64)  # 3 tokens, d_model 4
_W_Q = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 1, 1]], dtype=np.float64)
_W_K = np.array([[1, 1, 0, 0], [0, 1, 0, 1], [0, 0, 1, 0], [1, 0, 0, 1]], dtype=np.float64)
_W_V = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]], dtype=np.float64)
_W_O = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1]], dtype=np.float64)

SOURCE = ("我", "昨天", "去", "公园", "跑步")
TARGET = ("Yesterday", "I", "went", "to", "the", "park", "to", "run")
# Which source word each target word is built to look at; the toy numbers make that the largest weight.
ALIGNMENT = (1, 0, 2, 2, 3, 3, 4, 4)


def multihead_example() -> BlockExample:
    return BlockExample("multihead", ("I", "like", "tea"), _X, _W_Q, _W_K, _W_V, _W_O, 2, 2,
                        "Toy numbers: 3 tokens, d_model = 4, 2 heads of d_k = 2. Small whole numbers so every "
                        "step can be checked by hand.")


def gqa_example() -> BlockExample:
    x = np.array([[1, 0, 1, 0], [0, 2, 0, 1], [1, 1, 0, 2], [2, 0, 1, 1]], dtype=np.float64)
    w_q = np.array([[1, 0, 0, 1, 1, 0, 0, 1], [0, 1, 1, 0, 0, 0, 1, 1], [1, 0, 0, 0, 1, 1, 0, 0],
                    [0, 0, 1, 1, 0, 1, 1, 0]], dtype=np.float64)  # 4 query heads of d_k 2
    return BlockExample("gqa", ("I", "like", "green", "tea"), x, w_q, _W_K, _W_V,
                        np.vstack([np.eye(4), np.eye(4)]) / 2, 4, 2,
                        "Toy numbers: 4 query heads share 2 K/V heads (n_heads / n_kv_heads = 2 query heads per "
                        "K/V head), as Llama-family models do to shrink the KV cache.")


def translation_example() -> BlockExample:
    """Encoder states for 我昨天去公园跑步 and decoder states for its translation, made up so each target word
    points at its source word: target row = the aligned source row. Identity weights keep it readable."""
    source = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 2], [1, 0, 1, 1]], dtype=np.float64)
    target = source[list(ALIGNMENT)]  # each target row equals its aligned source row
    eye = np.eye(4)
    return BlockExample("cross", TARGET, target, eye, eye, eye, eye, 1, 1,
                        "Toy numbers, not a trained model: the decoder rows were written so that each target word "
                        "matches its source word. Queries come from the decoder (target), keys and values from "
                        "the encoder (source).", SOURCE, source)
