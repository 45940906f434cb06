"""Gradient attributions: how much each input token moves the model's output for one class.

Attributions are taken in embedding space (the word embeddings the model adds positions to) with
Captum. The baseline puts the [PAD] embedding at every ordinary token and keeps special tokens
([CLS], [SEP]) as they are, so special tokens get exactly zero integrated-gradients attribution and the
scores explain the words. What is explained (``f``): the logit of the target class for classifiers; for
encoders the zero-shot probability of the target label, differentiable through mean pooling and cosine.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from attnviz import classification
from attnviz.analysis import _resolve, label_embeddings
from attnviz.errors import AttnvizError, InputError
from attnviz.first_token import first_token_only
from attnviz.loading import LoadedModel
from attnviz.tokens import clean_text, encode
from attnviz.types import Token

METHODS = {"integrated_gradients": "Integrated gradients", "gradient_x_input": "Gradient × input"}
DEFAULT_STEPS = 50
# Integration steps run in chunks of at most this many query×key cells, so 512 tokens fit in memory.
_CELLS_PER_CHUNK = 2**20


@dataclass(frozen=True)
class Attribution:
    """Per-token attribution ``scores`` float64[tokens] of ``f`` (described in ``output``) for ``target``.

    Integrated gradients are complete: ``scores.sum()`` equals ``f_input - f_baseline`` up to
    ``convergence_delta`` (None for gradient × input, which promises no such sum).
    """

    text: str
    tokens: tuple[Token, ...]
    scores: np.ndarray
    target: str
    method: str
    output: str
    f_input: float
    f_baseline: float
    convergence_delta: float | None
    n_steps: int
    baseline: str


@dataclass(frozen=True)
class Labels:
    """Class names and, for zero-shot encoders, their unit-length description centres float[n_labels, D]."""

    names: tuple[str, ...]
    centres: np.ndarray | None


def label_setup(loaded: LoadedModel, labels: Mapping[str, Sequence[str]] | None = None) -> Labels:
    """The classes ``loaded`` can score; raises AttnvizError for causal language models."""
    if loaded.kind == "causal":
        raise AttnvizError(
            f"'{loaded.name}' is a causal language model: it has no classes, so there is no prediction to "
            "explain. Choose a classifier or an encoder (such as the built-in model)."
        )
    if loaded.kind == "classifier":
        return Labels(tuple(loaded.labels), None)
    label_map = dict(labels) if labels else classification.DEFAULT_LABELS
    # Computed before any gate is taken: it runs the model itself, unmasked.
    return Labels(tuple(label_map), classification.label_centres(label_embeddings(loaded, label_map)))


def class_scores(output: Any, mask: Any, labels: Labels):
    """torch float[batch, n_labels] whose softmax is the prediction: logits, or the zero-shot head's scores."""
    if labels.centres is None:
        return output.logits
    return classification.zero_shot_logits(output.last_hidden_state, mask, labels.centres)


def target_index(target: str | int | None, names: Sequence[str], predicted: int) -> int:
    """Index of ``target`` (a label name or index; None means the predicted class)."""
    if target is None:
        return predicted
    if isinstance(target, (int, np.integer)) and 0 <= int(target) < len(names):
        return int(target)
    if isinstance(target, str) and target in names:
        return list(names).index(target)
    raise InputError(f"Unknown class {target!r}: this model's classes are {', '.join(names)}.")


def attribute(
    text: str,
    method: str = "integrated_gradients",
    target: str | int | None = None,
    model: LoadedModel | str | None = None,
    *,
    labels: Mapping[str, Sequence[str]] | None = None,
    n_steps: int = DEFAULT_STEPS,
    max_tokens: int | None = None,
) -> Attribution:
    """Attribute the model's output for ``target`` (default: the predicted class) to the tokens of ``text``.

    For a causal language model ``target`` is a next token (its text or id) and ``f`` is its logit.

    ``method`` is "integrated_gradients" (``n_steps`` ≥ 50 Gauss–Legendre steps) or "gradient_x_input".
    """
    import torch

    if method not in METHODS:
        raise InputError(f"Unknown attribution method {method!r}; choose one of {', '.join(METHODS)}.")
    if method == "integrated_gradients" and n_steps < DEFAULT_STEPS:
        raise InputError(f"Integrated gradients need at least {DEFAULT_STEPS} steps to be complete; got {n_steps}.")
    loaded = _resolve(model)
    if loaded.kind == "causal":
        from attnviz.next_token_explain import attribute_next_token

        return attribute_next_token(text, loaded, method, target, n_steps, max_tokens)
    classes = label_setup(loaded, labels)
    cleaned = clean_text(text)
    limit = loaded.max_tokens if max_tokens is None else max(2, min(int(max_tokens), loaded.max_tokens))
    enc = encode(cleaned.text, loaded.tokenizer, limit)

    def scores_of(embeds):  # [B, T, D] -> [B, n_labels]
        mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=embeds.device)
        return class_scores(loaded.model(inputs_embeds=embeds, attention_mask=mask, return_dict=True), mask, classes)

    with loaded.gate.hold(), torch.enable_grad(), _weights_frozen(loaded.model), first_token_only(loaded.model):
        ids = torch.tensor([list(enc.input_ids)], dtype=torch.long, device=loaded.device)
        table = loaded.model.get_input_embeddings()
        embeds = table(ids).detach()  # [1, T, D]
        baseline, baseline_text = _baseline(loaded, ids, embeds, enc.tokens, table)
        with torch.no_grad():  # input and baseline in one batch of two: the prediction and both ends of f
            ends = scores_of(torch.cat([embeds, baseline]))  # [2, n_labels]
        index = target_index(target, classes.names, int(ends[0].argmax()))

        def explained(s):  # class scores [B, n_labels] -> [B]: the number being explained
            return s[:, index] if classes.centres is None else torch.softmax(s, dim=-1)[:, index]

        scores, f_input, f_baseline, delta = integrate(
            lambda e: explained(scores_of(e)), embeds, baseline, method, n_steps, ends=explained(ends),
            both=lambda first, second: loaded.gate.both(lambda: _as_caller(loaded, first), second),
        )
    name = classes.names[index]
    output = f"logit of '{name}'" if classes.centres is None else f"zero-shot probability of '{name}'"
    return Attribution(
        text=cleaned.text,
        tokens=enc.tokens,
        scores=scores,
        target=name,
        method=method,
        output=output,
        f_input=f_input,
        f_baseline=f_baseline,
        convergence_delta=delta,
        n_steps=n_steps if method == "integrated_gradients" else 1,
        baseline=baseline_text,
    )


def _as_caller(loaded: LoadedModel, fn: Callable):
    """``fn()`` in a helper thread of ``attribute``: grad mode and the first-token cut are per thread."""
    import torch

    with torch.enable_grad(), first_token_only(loaded.model):
        return fn()


@contextmanager
def _weights_frozen(model: Any) -> Iterator[None]:
    """Gradients flow to the input embeddings only: no weight gradient is computed or stored (held under the gate)."""
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def _baseline(loaded: LoadedModel, ids, embeds, tokens: Sequence[Token], table) -> tuple[Any, str]:
    """[PAD] embeddings at ordinary tokens, special tokens unchanged; a zero vector if there is no [PAD]."""
    import torch

    pad_id = getattr(loaded.tokenizer, "pad_token_id", None)
    special = torch.tensor([t.special for t in tokens], device=embeds.device)[None, :, None]  # [1, T, 1]
    if pad_id is None:
        filler, what = torch.zeros_like(embeds), "zero embedding (the tokenizer has no padding token)"
    else:
        filler, what = table(torch.full_like(ids, int(pad_id))).detach(), "[PAD] embedding"
    return torch.where(special, embeds, filler), f"{what} at every ordinary token; special tokens kept as they are"


def rank_correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation of two float[n] (ties share their mean rank); NaN when either is constant."""
    import pandas as pd

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"need two vectors of one length; got {x.shape} and {y.shape}")
    # DataFrame.corr ranks in pandas' own code (Series.corr would need SciPy for Spearman).
    return float(pd.DataFrame({"x": x, "y": y}).corr(method="spearman").iloc[0, 1])


def rank_agreement(scores: Mapping[str, np.ndarray], tokens: Sequence[Token]) -> dict[tuple[str, str], float]:
    """Spearman correlation for every pair of named per-token scores, over the non-special tokens only.

    Special tokens are left out: attention piles onto [CLS]/[SEP] while the baseline keeps them fixed,
    so including them would measure that convention rather than agreement on the words.
    """
    keep = np.array([not t.special for t in tokens])
    names = list(scores)
    return {
        (a, b): rank_correlation(np.asarray(scores[a])[keep], np.asarray(scores[b])[keep])
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    }


def integrate(
    f, embeds, baseline, method: str, n_steps: int, ends=None, both: Callable | None = None
) -> tuple[np.ndarray, float, float, float | None]:
    """Attribute ``f`` ([B, T, D] embeddings -> [B]) to the tokens of ``embeds`` [1, T, D].

    Returns float64[T] token scores (summed over the embedding), f(input), f(baseline) and the convergence
    delta (None for gradient × input). ``ends``: f of input and baseline [2] if the caller has them. ``both``:
    runs two functions at once (``InferenceGate.both``); integrated gradients then share their steps out between
    the two. The caller holds the gate and enables gradients.
    """
    import torch
    from captum.attr import InputXGradient

    if ends is None:
        with torch.no_grad():  # both ends in one batch of two
            ends = f(torch.cat([embeds, baseline]))
    f_input, f_baseline = (float(v) for v in ends)
    delta: float | None = None
    if method == "integrated_gradients":
        attr = integrated_gradients(f, embeds, baseline, n_steps, both or (lambda a, b: (a(), b())))
        # Captum's convergence delta, from the two ends above instead of a forward pass of its own.
        delta = float(attr.double().sum()) - (f_input - f_baseline)
    else:
        attr = InputXGradient(f).attribute(embeds.requires_grad_())
    return attr[0].sum(dim=-1).detach().double().cpu().numpy(), f_input, f_baseline, delta


def integrated_gradients(f, embeds, baseline, n_steps: int, both: Callable):
    """(x − x′) ⊙ Σ_k w_k ∇f(x′ + α_k (x − x′)) [1, T, D]: Captum's ``IntegratedGradients`` with its default
    Gauss–Legendre rule (nodes α_k and weights w_k on [0, 1]), written out so that the steps can be shared
    between two threads (``both``); the tests check it against Captum."""
    import torch

    nodes, weights = np.polynomial.legendre.leggauss(n_steps)
    alphas, step_sizes = 0.5 * (nodes + 1.0), 0.5 * weights  # from [-1, 1] to [0, 1], as Captum does
    diff = embeds - baseline
    chunk = max(1, min(n_steps, _CELLS_PER_CHUNK // (embeds.shape[1] ** 2)))

    def weighted_gradients(steps: np.ndarray):  # Σ_k w_k ∇f at these steps [1, T, D]
        total = torch.zeros_like(embeds)
        for start in range(0, len(steps), chunk):
            part = steps[start : start + chunk]
            alpha = torch.tensor(alphas[part], dtype=embeds.dtype, device=embeds.device)[:, None, None]
            w = torch.tensor(step_sizes[part], dtype=embeds.dtype, device=embeds.device)[:, None, None]
            points = (baseline + alpha * diff).requires_grad_()  # [B, T, D]
            (grads,) = torch.autograd.grad(f(points).sum(), points)
            total = total + (w * grads).sum(dim=0, keepdim=True)
        return total

    steps = np.arange(n_steps)
    first, second = both(lambda: weighted_gradients(steps[0::2]), lambda: weighted_gradients(steps[1::2]))
    return diff * (first + second)
