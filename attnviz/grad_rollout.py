"""Gradient-weighted attention rollout (Chefer, Gur & Wolf 2021): rollout that keeps only what helps the target.

Per layer, each head's attention A is weighted by the gradient of the target probability with respect to it,
negative contributions are dropped and heads averaged: Ā = mean_h (∂p/∂A_h ⊙ A_h)⁺. Relevance starts as the
identity (every token is first its own) and accumulates through the layers, first layer first: R ← R + Ā R.
Row ``i`` of R says how much each input token is relevant to token i's top-layer representation; the token
scores are the first token's row ([CLS], which a classifier reads), or the last token's for a causal LM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from attnviz.analysis import _resolve
from attnviz.attribution import class_scores, label_setup, target_index
from attnviz.errors import InputError
from attnviz.extraction import stack_attentions
from attnviz.first_token import first_token_only
from attnviz.loading import LoadedModel
from attnviz.tokens import clean_text, encode
from attnviz.types import Token


@dataclass(frozen=True)
class GradRollout:
    """Relevance float64[query, key] and the token scores float64[key] (row ``query`` of it) for ``target``."""

    text: str
    tokens: tuple[Token, ...]
    target: str
    query: int
    relevance: np.ndarray
    scores: np.ndarray


def accumulate(mixed: np.ndarray) -> np.ndarray:
    """R float64[query, key] from each layer's Ā float[layers, query, key]: R = I, then R ← R + Ā R per layer."""
    import torch

    # In torch, not NumPy: NumPy's BLAS runs its own thread pool, which on a busy 2-core machine spun for 90 ms
    # of CPU on what torch's single inference thread does in 1 ms (six 128 × 128 products).
    steps = torch.from_numpy(np.array(mixed, dtype=np.float64))  # [L, T, T], a copy torch may own
    relevance = torch.eye(steps.shape[-1], dtype=torch.float64)
    for layer_mix in steps:
        relevance = relevance + layer_mix @ relevance
    return relevance.numpy()


def grad_rollout(
    text: str,
    target: str | int | None = None,
    model: LoadedModel | str | None = None,
    *,
    labels: Mapping[str, Sequence[str]] | None = None,
    max_tokens: int | None = None,
) -> GradRollout:
    """Gradient-weighted rollout of ``text`` for ``target`` (a class; for a causal LM a next-token id).

    ``target`` defaults to the predicted class, or to the most likely next token of a causal LM.
    """
    import torch

    loaded = _resolve(model)
    classes = None if loaded.kind == "causal" else label_setup(loaded, labels)
    cleaned = clean_text(text)
    limit = loaded.max_tokens if max_tokens is None else max(2, min(int(max_tokens), loaded.max_tokens))
    enc = encode(cleaned.text, loaded.tokenizer, limit)
    ids = torch.tensor([list(enc.input_ids)], dtype=torch.long, device=loaded.device)
    with loaded.gate.hold(), torch.enable_grad(), first_token_only(loaded.model):
        mask = torch.ones_like(ids)
        out = loaded.model(input_ids=ids, attention_mask=mask, output_attentions=True, return_dict=True)
        attentions = tuple(out.attentions or ())
        if len(attentions) != loaded.n_layers:
            stack_attentions(attentions, loaded.n_layers)  # raises the error that says why
        if classes is None:
            probs = torch.softmax(out.logits[0, -1].double(), dim=-1)  # next token after the text
            index = _next_token(target, int(probs.argmax()), probs.numel())
            name = loaded.tokenizer.decode([index])
        else:
            probs = torch.softmax(class_scores(out, mask, classes)[0].double(), dim=-1)
            index = target_index(target, classes.names, int(probs.argmax()))
            name = classes.names[index]
        # Only the attention tensors are asked for, so no weight gradients are computed. (The weights stay
        # trainable: with them frozen the first layer's attention would not be in the graph at all.)
        grads = torch.autograd.grad(probs[index], attentions)
        # Ā per layer in torch: only [L, T, T] crosses to NumPy, not the [L, H, T, T] gradients.
        mixed = torch.stack([(g[0].double() * a[0].detach().double()).clamp_min(0).mean(dim=0) for a, g in zip(attentions, grads)])
    relevance = accumulate(mixed.cpu().numpy())
    query = len(enc.tokens) - 1 if loaded.kind == "causal" else 0
    return GradRollout(cleaned.text, enc.tokens, name, query, relevance, relevance[query].copy())


def _next_token(target: str | int | None, predicted: int, vocab: int) -> int:
    if target is None:
        return predicted
    if isinstance(target, (int, np.integer)) and 0 <= int(target) < vocab:
        return int(target)
    raise InputError(f"For a language model the target is a token id in 0..{vocab - 1}; got {target!r}.")
