"""Head types (TransformerLens's head detector) and attention sinks, for every head of an analysis.

Definitions, as TransformerLens's ``detect_head`` with ``error_measure="mul"``, ``exclude_bos=True`` and
``exclude_current_token=True``: for one head's attention A (query × key), take A with key column 0 and the
diagonal zeroed, then score = Σ(A ⊙ P) / Σ A (0 when Σ A = 0), where P marks the keys a head of that type attends to:

- previous-token: P[i, i−1] = 1;
- duplicate-token: P[i, j] = 1 iff j < i and id[j] = id[i] (an earlier copy of the same token);
- induction: P[i, j] = 1 iff 1 ≤ j < i and id[j−1] = id[i] (the token that followed an earlier copy).

``sink`` is the mean over query rows i ≥ 1 of A[i, 0]: how much a head parks its attention on the first token.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Sequence

import numpy as np

from attnviz.types import Analysis

TYPES = ("previous_token", "duplicate_token", "induction", "sink")


@dataclass(frozen=True)
class HeadTypes:
    """One float64[layers, heads] per head type, each in [0, 1]; see the module docstring for definitions."""

    previous_token: np.ndarray
    duplicate_token: np.ndarray
    induction: np.ndarray
    sink: np.ndarray

    def rows(self) -> list[dict[str, float | int]]:
        """One dict per head: layer, head and each score, ready for a table."""
        n_layers, n_heads = self.sink.shape
        return [
            {"layer": layer, "head": head} | {f.name: float(getattr(self, f.name)[layer, head]) for f in fields(self)}
            for layer in range(n_layers)
            for head in range(n_heads)
        ]


def patterns(ids: Sequence[Any]) -> dict[str, np.ndarray]:
    """The detector patterns P float64[query, key] for token ids ``ids`` (any comparable values)."""
    n = len(ids)
    key = np.asarray([hash(i) for i in ids]) if n else np.zeros(0, dtype=np.int64)
    same = key[:, None] == key[None, :]  # [query, key]: id[i] == id[j]
    earlier = np.tril(np.ones((n, n), dtype=bool), k=-1)  # j < i
    previous = np.eye(n, k=-1, dtype=bool)
    induction = np.zeros((n, n), dtype=bool)
    # Column j holds id[j-1] == id[i]: the token right after an earlier occurrence of the query's token.
    induction[:, 1:] = same[:, :-1] & earlier[:, 1:]
    return {
        "previous_token": previous.astype(np.float64),
        "duplicate_token": (same & earlier).astype(np.float64),
        "induction": induction.astype(np.float64),
    }


def detector_scores(attentions: np.ndarray, ids: Sequence[Any]) -> HeadTypes:
    """Head types of attentions float[layers, heads, query, key] for tokens with ids ``ids``.

    Works layer by layer without copying the attention (1.1 GB at 1,024 tokens for a 30-layer model).
    """
    att = np.asarray(attentions)
    if att.ndim != 4 or att.shape[2] != att.shape[3] or att.shape[3] != len(ids):
        raise ValueError(f"attentions {att.shape} do not match {len(ids)} token ids")
    marks = detector_marks(ids)
    per_layer = [layer_scores(a, marks) for a in att]
    return HeadTypes(**{name: np.stack([layer[name] for layer in per_layer]) for name in TYPES})


def detector_marks(ids: Sequence[Any]) -> np.ndarray:
    """float64[query·key, 4]: "kept" (key 0 and the diagonal zeroed), then each pattern times it, flattened.

    ``flat_attention @ marks`` gives Σ A and each Σ(A ⊙ P) of every head at once (one matrix product per layer).
    """
    n = len(ids)
    kept = np.ones((n, n))
    kept[:, 0] = 0.0
    np.fill_diagonal(kept, 0.0)
    found = patterns(ids)
    return np.stack([kept.ravel()] + [(found[name] * kept).ravel() for name in TYPES[:-1]], axis=1)


def layer_scores(a: np.ndarray, marks: np.ndarray) -> dict[str, np.ndarray]:
    """Each head type float64[heads] of one layer's attention float[heads, query, key], in its dtype."""
    n_heads, n = a.shape[0], a.shape[-1]
    sums = (np.ascontiguousarray(a).reshape(n_heads, n * n) @ marks.astype(a.dtype, copy=False)).astype(np.float64)
    total = sums[:, 0]
    out = {name: np.divide(sums[:, i + 1], total, out=np.zeros(n_heads), where=total > 0)
           for i, name in enumerate(TYPES[:-1])}
    out["sink"] = a[:, 1:, 0].mean(axis=-1, dtype=np.float64) if n > 1 else np.zeros(n_heads)
    return out


def head_types(analysis: Analysis) -> HeadTypes:
    """Head types and sinks of every head of ``analysis`` (token ids compared; token texts if ids are absent)."""
    from attnviz.compact import LayerStore

    if isinstance(analysis.attentions, LayerStore):  # a long text: scored layer by layer during its forward pass
        return HeadTypes(**analysis.attentions.summary.head_types)
    ids = analysis.input_ids if len(analysis.input_ids) == analysis.n_tokens else [t.text for t in analysis.tokens]
    return detector_scores(analysis.attentions, ids)


def induction_probe_text(tokenizer: Any, n_words: int = 24, seed: int = 0) -> str:
    """A random sequence of ``n_words`` whole-word tokens, written twice: the classic induction-head probe.

    Only vocabulary entries that decode to one alphabetic word and encode back to exactly one token are used, so
    the text tokenizes into the same sequence twice over (and the second half repeats the first token for token).
    """
    rng = np.random.default_rng(seed)
    words: list[str] = []
    seen: set[str] = set()
    for token_id in rng.permutation(len(tokenizer))[: 50 * n_words]:
        text = tokenizer.decode([int(token_id)], skip_special_tokens=True)
        word = text.strip()
        if len(word) < 3 or not word.isascii() or not word.isalpha() or word.lower() in seen:
            continue
        if len(tokenizer(" " + word, add_special_tokens=False)["input_ids"]) != 1:
            continue
        seen.add(word.lower())
        words.append(word)
        if len(words) == n_words:
            break
    half = " ".join(words)
    return f"{half} {half}"
