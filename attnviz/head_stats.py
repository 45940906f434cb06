"""What each head does (statistics of its attention) and how much the prediction needs it (ablation).

Heads are switched off through ``analyze(head_mask=...)`` (forward pre-hooks in ``attnviz.heads``,
since transformers 5 dropped the ``head_mask`` argument), so ablation runs exactly the model the
other pages show.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields, replace
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from attnviz.analysis import _resolve, analyze
from attnviz.attribution import class_scores, label_setup
from attnviz.compact import LayerStore
from attnviz.errors import AttnvizError
from attnviz.heads import row_masked_heads
from attnviz.loading import LoadedModel
from attnviz.tokens import clean_text, encode
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
    """Statistics of attentions float[layers, heads, query, key] (importance left as None).

    One layer at a time, so the float64 working copy is one layer's, not the whole tensor's (2 GB at 1,024 tokens).
    """
    import torch

    att = np.asarray(attentions)
    if att.ndim != 4 or att.shape[2] != att.shape[3] or att.shape[3] != len(tokens):
        raise ValueError(f"attentions {att.shape} do not match {len(tokens)} tokens")
    keys = key_features(tokens)
    per_layer = [layer_statistics(torch.from_numpy(np.array(a, dtype=np.float64)), keys) for a in att]
    return HeadStats(**{name: np.stack([layer[name] for layer in per_layer]) for name in STAT_NAMES})


STAT_NAMES = ("entropy", "special_share", "punctuation_share", "mean_distance", "previous_token", "next_token")


def key_features(tokens: Sequence[Token]) -> Any:
    """torch float64[query·key, 5]: the weights that turn one head's flattened attention into the means below.

    Columns: special key, punctuation key, |query − key|, key = query − 1, key = query + 1, each divided by the
    number of rows it is a mean over, so ``flat_attention @ weights`` gives each statistic but entropy at once
    (one matrix product per layer instead of five passes over T² weights).
    """
    import torch

    n = len(tokens)
    special = torch.tensor([float(t.special) for t in tokens], dtype=torch.float64)
    punct = torch.tensor([float(is_punctuation(t)) for t in tokens], dtype=torch.float64)
    positions = torch.arange(n, dtype=torch.float64)
    rows = max(n - 1, 1)
    columns = [
        special.expand(n, n) / n,
        punct.expand(n, n) / n,
        (positions[:, None] - positions[None, :]).abs() / n,
        torch.diag(torch.ones(max(n - 1, 0), dtype=torch.float64), -1) / rows,  # 1 at [q, q-1]
        torch.diag(torch.ones(max(n - 1, 0), dtype=torch.float64), 1) / rows,  # 1 at [q, q+1]
    ]
    return torch.stack([c.reshape(-1) for c in columns], dim=1)


def layer_statistics(att: Any, weights: Any) -> dict[str, np.ndarray]:
    """Each statistic float64[heads] of one layer's attention, torch float[heads, query, key], in its dtype."""
    import torch

    n_heads, n = att.shape[0], att.shape[-1]
    means = att.reshape(n_heads, n * n) @ weights.to(att.dtype)  # [H, 5]
    entropy = torch.special.entr(att).sum(-1).mean(-1) / np.log(2.0)  # entr(p) = -p ln p, 0 at p = 0
    values = dict(zip(STAT_NAMES[1:], means.T)) | {"entropy": entropy}
    return {name: values[name].double().numpy() for name in STAT_NAMES}


def head_statistics(analysis: Analysis, importance: np.ndarray | None = None) -> HeadStats:
    """Statistics of every head of ``analysis``, with ``importance`` float[layers, heads] attached if given."""
    att = analysis.attentions
    if isinstance(att, LayerStore):  # a long text: reduced layer by layer during its forward pass
        stats = HeadStats(**att.summary.head_stats)
    else:
        stats = attention_statistics(att, analysis.tokens)
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
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """float64[layers, heads]: probability of the prediction with every head on minus with only that head off.

    The prediction is the predicted class (classifiers, zero-shot encoders) or the predicted next token
    (causal language models). Positive: the head supports it; negative: the model is surer without it.
    """
    import torch

    loaded = _resolve(model)
    enc = encode(clean_text(text).text, loaded.tokenizer, loaded.max_tokens)
    if loaded.kind == "causal":

        def probabilities(out, mask):  # the next token after the last position
            return torch.softmax(out.logits[:, -1].float(), dim=-1)
    else:
        classes = label_setup(loaded, labels)

        def probabilities(out, mask):
            return torch.softmax(class_scores(out, mask, classes).float(), dim=-1)

    return batched_importance(loaded, enc.input_ids, probabilities, progress=progress)


# Chunks of at most this many attention cells (rows × heads × T²) per layer: 4M float32 = 16 MB.
_CELLS_PER_CHUNK = 2**22


# (model output for a batch, its attention mask [batch, tokens]) -> torch float[batch, targets]: the numbers a
# head is judged by (class or next-token probabilities); importance reads one target's column.
Scorer = Callable[[Any, Any], Any]


def single_head_masks(n_layers: int, n_heads: int) -> np.ndarray:
    """float32[1 + layers·heads, layers, heads]: all heads on, then each head alone off (layer-major)."""
    masks = np.ones((1 + n_layers * n_heads, n_layers * n_heads), dtype=np.float32)
    masks[1 + np.arange(n_layers * n_heads), np.arange(n_layers * n_heads)] = 0.0
    return masks.reshape(-1, n_layers, n_heads)


def batched_importance(
    loaded: LoadedModel,
    input_ids: Sequence[int],
    score: Scorer,
    target: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """float64[layers, heads]: ``score`` with every head on minus ``score`` with only that head off.

    The text is repeated down a batch, each row with its own head mask, so every head costs one batch row
    instead of one forward pass; only the output the scorer reads is kept (no attentions). ``target``
    None means the argmax of the full model's scores. The gate is taken per chunk, so other requests run
    in between; ``progress(done, total)`` is called after each chunk.
    """
    import torch

    masks = single_head_masks(loaded.n_layers, loaded.n_heads)
    n = len(input_ids)
    rows = max(1, min(len(masks), _CELLS_PER_CHUNK // (loaded.n_heads * n * n)))
    ids = torch.tensor([list(input_ids)], dtype=torch.long, device=loaded.device)
    scores: list[np.ndarray] = []
    for start in range(0, len(masks), rows):
        chunk = masks[start : start + rows]
        with loaded.gate.hold(), torch.inference_mode(), row_masked_heads(loaded.model, chunk):
            mask = torch.ones_like(ids).expand(len(chunk), -1)
            out = loaded.model(input_ids=ids.expand(len(chunk), -1), attention_mask=mask, return_dict=True)
            values = score(out, mask)
            if target is None:  # row 0 of the first chunk is the full model
                target = int(values[0].argmax())
            scores.append(values[:, target].double().cpu().numpy())
        if progress is not None:
            progress(start + len(chunk), len(masks))
    kept = np.concatenate(scores)
    return (kept[0] - kept[1:]).reshape(loaded.n_layers, loaded.n_heads)
