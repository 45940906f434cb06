"""Frozen dataclasses returned by the library: plain values and NumPy arrays, no torch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Token:
    """One token. ``start``/``end`` are character offsets into the analysed text (None for special tokens)."""

    text: str
    start: int | None
    end: int | None
    special: bool

    @property
    def is_subword(self) -> bool:
        """True for a WordPiece continuation such as ``##ing``."""
        return self.text.startswith("##") and len(self.text) > 2


@dataclass(frozen=True)
class Prediction:
    """Class probabilities: ``probs[i]`` belongs to ``labels[i]``; ``method`` says how they were made.

    For a language model (``method == "next-token"``) the labels are the top-k next tokens as text, ``probs`` their
    share of the whole vocabulary (summing to less than 1), and ``token_ids`` their vocabulary ids.
    """

    labels: tuple[str, ...]
    probs: np.ndarray  # float32[n_labels], sums to 1 (classes) or at most 1 (next-token top-k)
    method: str = "classifier"
    token_ids: tuple[int, ...] = ()

    @property
    def top_label(self) -> str:
        return self.labels[int(np.argmax(self.probs))]


@dataclass(frozen=True)
class Analysis:
    """Everything one forward pass yields for a text.

    ``attentions`` is float32[layers, heads, query, key]: row i is how query token i spreads its
    attention over the key tokens, so every row sums to 1. For a long text analysed with ``compact_bytes`` it is
    an ``attnviz.compact.LayerStore`` instead: indexed by layer first (``[l]``, ``[l, h]``) it gives the same
    arrays, and it holds every head's statistics (see that module).
    """

    model_name: str
    text: str
    tokens: tuple[Token, ...]
    attentions: np.ndarray  # or attnviz.compact.LayerStore (long texts, see above)
    prediction: Prediction | None
    truncated: bool
    total_tokens: int
    causal: bool = False
    chars_dropped: int = 0
    notices: tuple[str, ...] = field(default=())
    input_ids: tuple[int, ...] = field(default=())  # the vocabulary id of each token (head types compare them)

    @property
    def n_layers(self) -> int:
        return int(self.attentions.shape[0])

    @property
    def n_heads(self) -> int:
        return int(self.attentions.shape[1])

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)
