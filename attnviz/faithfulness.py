"""Faithfulness of token scores by deletion (ERASER, DeYoung et al. 2020): comprehensiveness and sufficiency.

For each bin k (a percentage), m = ceil(k·N/100) (at least 1) of the N non-special tokens with the highest
scores (ties: earlier position first) are deleted from the token ids, or kept alone. Special tokens always stay
and nothing is re-tokenised. With p the target class's probability:

    comprehensiveness = mean over bins of p(x) − p(x without the top-m)     (higher = more faithful)
    sufficiency       = mean over bins of p(x) − p(only the top-m)          (lower = more faithful)

Every sequence of one length runs in one batched forward (no padding, so zero-shot mean pooling is exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from attnviz.analysis import _resolve
from attnviz.attribution import Labels, class_scores, label_setup, target_index
from attnviz.errors import InputError
from attnviz.first_token import first_token_only
from attnviz.loading import LoadedModel
from attnviz.tokens import clean_text, encode
from attnviz.types import Token

DEFAULT_BINS = (1, 5, 10, 20, 50)
# Sequences per forward are capped by batch × tokens² (the attention matrices), as in attribution.
_CELLS_PER_CHUNK = 2**20


@dataclass(frozen=True)
class Faithfulness:
    """Deletion scores of one ranking; per-bin arrays are float64[bins].

    ``removed[b]`` is m for bin ``bins[b]``; ``p_without``/``p_only`` the target probability with the top-m
    deleted / with only the top-m (and the special tokens) kept.
    """

    text: str
    tokens: tuple[Token, ...]
    target: str
    bins: tuple[int, ...]
    removed: tuple[int, ...]
    p_full: float
    p_without: np.ndarray
    p_only: np.ndarray
    comprehensiveness_per_bin: np.ndarray
    sufficiency_per_bin: np.ndarray
    comprehensiveness: float
    sufficiency: float


def _result(text, tokens, target, bins, removed, p_full, p_without, p_only) -> Faithfulness:
    comp, suff = p_full - np.asarray(p_without, np.float64), p_full - np.asarray(p_only, np.float64)
    return Faithfulness(
        text, tuple(tokens), target, tuple(bins), tuple(removed), float(p_full), np.asarray(p_without, np.float64),
        np.asarray(p_only, np.float64), comp, suff, float(comp.mean()), float(suff.mean()),
    )


def bin_sizes(n_words: int, bins: Sequence[int]) -> tuple[int, ...]:
    """m = ceil(k·N/100), at least 1, for each bin k (a percentage in 1..100)."""
    if n_words < 1:
        raise InputError("The text has no ordinary tokens (only special ones), so nothing can be deleted.")
    if not bins or any(not isinstance(k, (int, np.integer)) or not 0 < int(k) <= 100 for k in bins):
        raise InputError(f"bins must be whole percentages in 1..100; got {tuple(bins)!r}.")
    return tuple(max(1, math.ceil(int(k) * n_words / 100)) for k in bins)


def ranking(scores: np.ndarray, special: np.ndarray) -> np.ndarray:
    """Positions of the non-special tokens, highest score first; ties go to the earlier position."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != special.shape:
        raise InputError(f"Got {scores.size} scores for {special.size} tokens; give one score per token.")
    words = np.flatnonzero(~special)
    if not np.isfinite(scores[words]).all():
        raise InputError("Token scores must be finite numbers (no NaN or infinity).")
    # lexsort sorts by its last key first: descending score, then ascending position.
    return words[np.lexsort((words, -scores[words]))]


def deletions(ids: Sequence[int], special: np.ndarray, order: np.ndarray, sizes: Sequence[int]):
    """(ids without the top-m, ids with only the top-m and the special tokens) for each m, in text order."""
    ids = np.asarray(ids)
    without, only = [], []
    for m in sizes:
        top = np.zeros(len(ids), dtype=bool)
        top[order[:m]] = True
        without.append(tuple(int(i) for i in ids[~top]))
        only.append(tuple(int(i) for i in ids[top | special]))
    return without, only


def probabilities(loaded: LoadedModel, classes: Labels, sequences: Sequence[tuple[int, ...]]) -> dict:
    """Class probabilities float64[n_labels] of every distinct sequence; one forward per length (and chunk).

    The lengths are shared out between two threads of similar work (``InferenceGate.both``): on CPU each
    request runs one torch thread, so this puts the second core to work.
    """
    import torch

    by_length: dict[int, list[tuple[int, ...]]] = {}
    for seq in dict.fromkeys(sequences):
        by_length.setdefault(len(seq), []).append(seq)
    halves: tuple[list, list] = ([], [])
    work = [0, 0]
    for length, group in sorted(by_length.items(), key=lambda item: -item[0] * len(item[1])):
        lighter = int(work[1] < work[0])
        halves[lighter].append((length, group))
        work[lighter] += length * len(group)

    def run(groups: list) -> dict:
        found = {}
        with torch.inference_mode(), first_token_only(loaded.model):
            for length, group in groups:
                step = max(1, _CELLS_PER_CHUNK // max(1, length * length))
                for start in range(0, len(group), step):
                    chunk = group[start : start + step]
                    ids = torch.tensor(chunk, dtype=torch.long, device=loaded.device)  # [B, T]
                    mask = torch.ones_like(ids)
                    out = loaded.model(input_ids=ids, attention_mask=mask, return_dict=True)
                    probs = torch.softmax(class_scores(out, mask, classes).double(), dim=-1).cpu().numpy()
                    found.update(zip(chunk, probs))
        return found

    # The outer first_token_only adds the hook before either thread runs a forward and removes it after both.
    with loaded.gate.hold(), first_token_only(loaded.model):
        first, second = loaded.gate.both(lambda: run(halves[0]), lambda: run(halves[1]))
    return {**first, **second}


def faithfulness_many(
    text: str,
    scores: Mapping[str, np.ndarray],
    target: str | int | None = None,
    model: LoadedModel | str | None = None,
    bins: Sequence[int] = DEFAULT_BINS,
    *,
    labels: Mapping[str, Sequence[str]] | None = None,
    max_tokens: int | None = None,
) -> dict[str, Faithfulness]:
    """``faithfulness`` of several named score vectors float[tokens], all bins of all of them batched together."""
    loaded = _resolve(model)
    classes = label_setup(loaded, labels)
    cleaned = clean_text(text)
    limit = loaded.max_tokens if max_tokens is None else max(2, min(int(max_tokens), loaded.max_tokens))
    enc = encode(cleaned.text, loaded.tokenizer, limit)
    special = np.array([t.special for t in enc.tokens], dtype=bool)
    sizes = bin_sizes(int((~special).sum()), bins)
    full = tuple(int(i) for i in enc.input_ids)
    plans = {name: deletions(full, special, ranking(s, special), sizes) for name, s in scores.items()}
    sequences = [full] + [seq for without, only in plans.values() for seq in (*without, *only)]
    probs = probabilities(loaded, classes, sequences)
    index = target_index(target, classes.names, int(np.argmax(probs[full])))
    p = {seq: float(v[index]) for seq, v in probs.items()}
    name = classes.names[index]
    return {
        method: _result(
            cleaned.text, enc.tokens, name, tuple(int(k) for k in bins), sizes, p[full],
            [p[s] for s in without], [p[s] for s in only],
        )
        for method, (without, only) in plans.items()
    }


def faithfulness(
    text: str,
    scores: np.ndarray,
    target: str | int | None = None,
    model: LoadedModel | str | None = None,
    bins: Sequence[int] = DEFAULT_BINS,
    *,
    labels: Mapping[str, Sequence[str]] | None = None,
    max_tokens: int | None = None,
) -> Faithfulness:
    """Comprehensiveness and sufficiency of ``scores`` float[tokens] (one per token of ``text``, specials included)."""
    return faithfulness_many(text, {"scores": scores}, target, model, bins, labels=labels, max_tokens=max_tokens)["scores"]


def random_scores(tokens: Sequence[Token], seed: int) -> np.ndarray:
    """A seeded random ranking float64[tokens]: a permutation of 1..N over the non-special tokens, 0 on specials."""
    special = np.array([t.special for t in tokens], dtype=bool)
    scores = np.zeros(len(tokens))
    scores[~special] = np.random.default_rng(seed).permutation(int((~special).sum())) + 1.0
    return scores


def mean_of(results: Sequence[Faithfulness]) -> Faithfulness:
    """The bin-by-bin mean of several rankings of one text (the random baseline)."""
    first = results[0]
    return _result(
        first.text, first.tokens, first.target, first.bins, first.removed, first.p_full,
        np.mean([r.p_without for r in results], axis=0), np.mean([r.p_only for r in results], axis=0),
    )
