"""What each head does (statistics of its attention) and how much the prediction needs it (ablation).

Heads are switched off through ``analyze(head_mask=...)`` (forward pre-hooks in ``attnviz.heads``,
since transformers 5 dropped the ``head_mask`` argument), so ablation runs exactly the model the
other pages show.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields, replace
from typing import Mapping, Sequence

import numpy as np

from attnviz.analysis import _resolve, analyze
from attnviz.errors import AttnvizError
from attnviz.loading import LoadedModel
from attnviz.types import Analysis, Prediction, Token


@dataclass(frozen=True)
class HeadStats:
    """One float64[layers, heads] per statistic; every statistic is a mean over the query rows.

    entropy: bits per row (0 = all on one key, log2(T) = uniform). special_share / punctuation_share:
    attention on special / punctuation keys. mean_distance: expected |query − key| in tokens.
    previous_token / next_token: weight on the key just before / after the query (over the rows that
    have one). importance: predicted-class probability lost when that head alone is switched off
    (None until computed).
    """

    entropy: np.ndarray
    special_share: np.ndarray
    punctuation_share: np.ndarray
    mean_distance: np.ndarray
    previous_token: np.ndarray
    next_token: np.ndarray
    importance: np.ndarray | None = None

    def rows(self) -> list[dict[str, float | int]]:
        """One dict per head (layer, head, then each statistic), ready for a table."""
        stats = [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None]
        n_layers, n_heads = self.entropy.shape
        return [
            {"layer": layer, "head": head} | {name: float(values[layer, head]) for name, values in stats}
            for layer in range(n_layers)
            for head in range(n_heads)
        ]


def is_punctuation(token: Token) -> bool:
    """An ordinary token made only of Unicode punctuation (after any ## continuation mark)."""
    text = token.text[2:] if token.is_subword else token.text
    return not token.special and bool(text) and all(unicodedata.category(ch).startswith("P") for ch in text)


def attention_statistics(attentions: np.ndarray, tokens: Sequence[Token]) -> HeadStats:
    """Statistics of attentions float[layers, heads, query, key] (importance left as None)."""
    att = np.asarray(attentions, dtype=np.float64)
    if att.ndim != 4 or att.shape[2] != att.shape[3] or att.shape[3] != len(tokens):
        raise ValueError(f"attentions {att.shape} do not match {len(tokens)} tokens")
    n = att.shape[-1]
    special = np.array([t.special for t in tokens], dtype=np.float64)  # [key]
    punct = np.array([is_punctuation(t) for t in tokens], dtype=np.float64)  # [key]
    positions = np.arange(n)
    distance = np.abs(positions[:, None] - positions[None, :])  # [query, key]
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(att > 0, att * np.log2(np.where(att > 0, att, 1.0)), 0.0)
    empty = np.zeros(att.shape[:2])
    # Offset -1 is the key just before each query (rows 1..T-1), +1 the key just after (rows 0..T-2).
    previous = np.diagonal(att, offset=-1, axis1=2, axis2=3).mean(axis=-1) if n > 1 else empty
    following = np.diagonal(att, offset=1, axis1=2, axis2=3).mean(axis=-1) if n > 1 else empty
    return HeadStats(
        entropy=-plogp.sum(axis=-1).mean(axis=-1),
        special_share=(att @ special).mean(axis=-1),
        punctuation_share=(att @ punct).mean(axis=-1),
        mean_distance=(att * distance).sum(axis=-1).mean(axis=-1),
        previous_token=previous,
        next_token=following,
    )


def head_statistics(analysis: Analysis, importance: np.ndarray | None = None) -> HeadStats:
    """Statistics of every head of ``analysis``, with ``importance`` float[layers, heads] attached if given."""
    stats = attention_statistics(analysis.attentions, analysis.tokens)
    if importance is None:
        return stats
    values = np.asarray(importance, dtype=np.float64)
    if values.shape != stats.entropy.shape:
        raise ValueError(f"importance is {values.shape}, expected {stats.entropy.shape}")
    return replace(stats, importance=values)


def ablate(
    text: str,
    head_mask: np.ndarray,
    model: LoadedModel | str | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
) -> Prediction:
    """The prediction for ``text`` with heads switched off: ``head_mask`` float[layers, heads], 0 = off."""
    prediction = analyze(text, _resolve(model), labels=labels, head_mask=np.asarray(head_mask)).prediction
    if prediction is None:
        raise AttnvizError("This model makes no prediction (it is a language model), so there is nothing to ablate.")
    return prediction


def head_importance(
    text: str,
    model: LoadedModel | str | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
) -> np.ndarray:
    """float64[layers, heads]: predicted-class probability with every head on minus with only that head off.

    Positive: the head supports the prediction; negative: the model is surer without it.
    One forward pass per head (72 for the built-in model). For a causal language model: the probability of its
    most probable next token, one batched pass per layer (``attnviz.next_token_explain``).
    """
    loaded = _resolve(model)
    if loaded.kind == "causal":
        from attnviz.next_token_explain import head_importance as next_token_importance

        return next_token_importance(text, loaded)
    full = ablate(text, np.ones((loaded.n_layers, loaded.n_heads)), loaded, labels)
    predicted = int(np.argmax(full.probs))
    importance = np.zeros((loaded.n_layers, loaded.n_heads))
    for layer in range(loaded.n_layers):
        for head in range(loaded.n_heads):
            mask = np.ones((loaded.n_layers, loaded.n_heads))
            mask[layer, head] = 0.0
            masked = ablate(text, mask, loaded, labels)
            importance[layer, head] = float(full.probs[predicted]) - float(masked.probs[predicted])
    return importance
