"""A causal language model's output: the next token, as a ``Prediction`` over the top-k of the whole vocabulary."""

from __future__ import annotations

from typing import Any

import numpy as np

from attnviz.classification import softmax
from attnviz.types import Prediction

METHOD = "next-token"
DEFAULT_TOP_K = 10


def token_text(tokenizer: Any, token_id: int) -> str:
    """The text a token id decodes to on its own (``" Mary"``, spaces kept), never its byte-level piece."""
    return tokenizer.decode([int(token_id)], skip_special_tokens=False, clean_up_tokenization_spaces=False)


def from_logits(logits: np.ndarray, tokenizer: Any, k: int = DEFAULT_TOP_K) -> Prediction:
    """Top-``k`` next tokens of logits float[vocab], most probable first.

    ``probs`` come from the softmax over the whole vocabulary, not renormalised over the k, so they sum to at most
    1; ``1 - probs.sum()`` is everything else. ``token_ids`` names the vocabulary entry of each label, since two
    ids can decode to the same text.
    """
    probs = softmax(np.asarray(logits, dtype=np.float64).reshape(-1))
    k = max(1, min(int(k), probs.size))
    top = np.argpartition(-probs, k - 1)[:k]
    top = top[np.argsort(-probs[top], kind="stable")]
    labels = tuple(token_text(tokenizer, int(i)) for i in top)
    return Prediction(labels, probs[top].astype(np.float32), METHOD, tuple(int(i) for i in top))


def rest_probability(prediction: Prediction) -> float:
    """Probability of every token not among ``prediction.labels`` (0 for classifiers)."""
    return max(0.0, 1.0 - float(np.sum(prediction.probs, dtype=np.float64)))
