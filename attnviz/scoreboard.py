"""Which explanation is faithful? Every method's token scores for one text, scored by deletion against chance.

Each method ranks the tokens; ``attnviz.faithfulness`` deletes the top ones and measures how far the target
class's probability falls. A random ranking (the mean of ``seeds`` seeded permutations) is the bar to clear.
All methods explain the same class: the target is fixed once (default: the predicted class).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from attnviz.analysis import _resolve, analyze
from attnviz.attribution import attribute, target_index
from attnviz.faithfulness import DEFAULT_BINS, Faithfulness, faithfulness_many, mean_of, random_scores
from attnviz.grad_rollout import grad_rollout
from attnviz.loading import LoadedModel
from attnviz.rollout import raw_attention, rollout
from attnviz.tokens import clean_text, encode
from attnviz.value_norms import token_scores, value_norms

METHODS = {
    "raw_attention": "Raw attention (last layer)",
    "rollout": "Rollout",
    "value_norms": "Value-norm attention (last layer)",
    "grad_rollout": "Gradient-weighted rollout",
    "integrated_gradients": "Integrated gradients",
    "gradient_x_input": "Gradient × input",
}
SEEDS = 5


@dataclass(frozen=True)
class Scoreboard:
    """One ``Faithfulness`` per method (keys of METHODS, in order) and the random baseline's mean."""

    text: str
    target: str
    results: Mapping[str, Faithfulness]
    random: Faithfulness
    seeds: int

    def rows(self) -> list[dict[str, float | str]]:
        """One dict per method, ready for a table: its scores and how far they beat the random ranking."""
        r = self.random
        return [
            {
                "method": METHODS.get(name, name),
                "comprehensiveness": f.comprehensiveness,
                "comprehensiveness_vs_random": f.comprehensiveness - r.comprehensiveness,
                "sufficiency": f.sufficiency,
                "sufficiency_vs_random": f.sufficiency - r.sufficiency,
            }
            for name, f in self.results.items()
        ]


def method_scores(
    method: str,
    text: str,
    target: str,
    model: LoadedModel | str | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
) -> np.ndarray:
    """Token scores float64[tokens] of one method of METHODS for ``text``; the gradient methods explain ``target``."""
    loaded = _resolve(model)
    query = -1 if loaded.kind == "causal" else 0
    if method in ("raw_attention", "rollout"):
        analysis = analyze(text, loaded, labels=labels)
        return raw_attention(analysis, query) if method == "raw_attention" else rollout(analysis)[query]
    if method == "value_norms":
        return token_scores(value_norms(text, loaded), query)
    if method == "grad_rollout":
        return grad_rollout(text, target, loaded, labels=labels).scores
    if method in ("integrated_gradients", "gradient_x_input"):
        return attribute(text, method, target, loaded, labels=labels).scores
    raise ValueError(f"Unknown method {method!r}; choose one of {', '.join(METHODS)}.")


def scoreboard(
    text: str,
    target: str | int | None = None,
    model: LoadedModel | str | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
    seeds: int = SEEDS,
    bins: Sequence[int] = DEFAULT_BINS,
    *,
    scores: Mapping[str, np.ndarray] | None = None,
) -> Scoreboard:
    """Every method of METHODS on ``text`` (or the given ``scores``, name → float[tokens]) and ``seeds`` random
    rankings, scored for ``target`` (default: the predicted class) in one batched set of deletion forwards."""
    loaded = _resolve(model)
    if scores is None:
        prediction = analyze(text, loaded, labels=labels).prediction
        if prediction is None:
            # label_setup (inside faithfulness) names the reason: a causal LM has no classes to delete against.
            scores, target = {}, None
        else:
            target = prediction.top_label if target is None else _name(target, prediction.labels)
            scores = {m: method_scores(m, text, target, loaded, labels) for m in METHODS}
    tokens = encode(clean_text(text).text, loaded.tokenizer, loaded.max_tokens).tokens
    randoms = {f"random {seed}": random_scores(tokens, seed) for seed in range(seeds)}
    found = faithfulness_many(text, {**scores, **randoms}, target, loaded, bins, labels=labels)
    results = {name: found[name] for name in scores}
    baseline = mean_of([found[name] for name in randoms])
    return Scoreboard(baseline.text, baseline.target, results, baseline, seeds)


def _name(target: str | int, labels: Sequence[str]) -> str:
    return labels[target_index(target, labels, 0)]
