"""``analyze``: text in, tokens + attentions + prediction out."""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from attnviz import classification, compact, next_token
from attnviz.extraction import ForwardResult, forward, forward_batch
from attnviz.loading import LoadedModel, load_model
from attnviz.tokens import anything_dropped, clean_text, dropped_words, encode, encode_many
from attnviz.types import Analysis, Prediction

_MAX_LABEL_SETS = 32


def analyze(
    text: str,
    model: LoadedModel | str | None = None,
    max_tokens: int | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
    head_mask: np.ndarray | None = None,
    compact_bytes: int | None = None,
    keep_layers: Sequence[int] = (0,),
) -> Analysis:
    """Analyse ``text`` with ``model`` (a loaded model, a name or folder, or None for the built-in one).

    ``labels`` maps label names to descriptions for zero-shot classification with bare encoders.
    ``head_mask`` is float[layers, heads], 0 switches a head off.
    ``compact_bytes``: a causal model's attention larger than this many bytes is kept as an
    ``attnviz.compact.LayerStore`` (statistics of every head, the full weights of ``keep_layers`` only, other
    layers recomputed when asked for) instead of the full float32 array; None always keeps the full array.
    """
    return analyze_many([text], model, max_tokens, labels, head_mask, compact_bytes, keep_layers)[0]


def analyze_many(
    texts: Sequence[str],
    model: LoadedModel | str | None = None,
    max_tokens: int | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
    head_mask: np.ndarray | None = None,
    compact_bytes: int | None = None,
    keep_layers: Sequence[int] = (0,),
) -> tuple[Analysis, ...]:
    """Analyse several texts in one padded forward pass; each Analysis is as ``analyze`` would give it.

    Texts kept compact (see ``analyze``) run one by one instead, each in its own reducing pass.
    """
    loaded = _resolve(model)
    limit = loaded.max_tokens if max_tokens is None else max(2, min(int(max_tokens), loaded.max_tokens))
    cleaned = [clean_text(text) for text in texts]
    encodings = encode_many([c.text for c in cleaned], loaded.tokenizer, limit)
    cells = loaded.n_layers * loaded.n_heads * 4
    compact_rows = {
        i for i, enc in enumerate(encodings)
        if compact_bytes is not None and head_mask is None and loaded.kind == "causal" and compact.supports(loaded)
        and cells * len(enc.input_ids) ** 2 > compact_bytes
    }
    full_rows = [i for i in range(len(encodings)) if i not in compact_rows]
    results: dict[int, ForwardResult] = {}
    if full_rows:
        batch = forward_batch(loaded, [encodings[i].input_ids for i in full_rows], head_mask)
        results.update(zip(full_rows, batch))
    for i in sorted(compact_rows):
        store, logits = compact.forward_compact(loaded, encodings[i].input_ids, encodings[i].tokens, keep_layers)
        results[i] = ForwardResult(store, logits, None, loaded.device)  # type: ignore[arg-type]
    return tuple(_analysis(loaded, c, enc, results[i], labels) for i, (c, enc) in enumerate(zip(cleaned, encodings)))


def _analysis(loaded: LoadedModel, cleaned, enc, result, labels) -> Analysis:
    prediction = predict(loaded, result.logits, result.hidden, labels)
    # Read-only: the app shares one Analysis between sessions without copying it (a LayerStore's layers already are).
    if isinstance(result.attentions, np.ndarray):
        result.attentions.flags.writeable = False
    return Analysis(
        model_name=loaded.name,
        text=cleaned.text,
        tokens=enc.tokens,
        attentions=result.attentions,
        prediction=prediction,
        truncated=anything_dropped(cleaned, enc),
        total_tokens=enc.total_tokens,
        causal=loaded.kind == "causal",
        chars_dropped=cleaned.chars_dropped,
        notices=result.notices,
        input_ids=tuple(enc.input_ids),
    )


def predict(
    loaded: LoadedModel, logits: np.ndarray | None, hidden: np.ndarray | None,
    labels: Mapping[str, Sequence[str]] | None = None,
) -> Prediction | None:
    """One text's prediction from its forward pass: logits float[n_labels | vocab], or hidden float[T, D] (zero-shot)."""
    if logits is not None and loaded.kind == "causal":
        return next_token.from_logits(logits, loaded.tokenizer)
    if logits is not None:
        return classification.from_logits(logits, loaded.labels)
    if hidden is not None:
        label_map = dict(labels) if labels else classification.DEFAULT_LABELS
        if label_map:
            return classification.zero_shot(hidden, label_embeddings(loaded, label_map))
    return None


def embed(loaded: LoadedModel, text: str) -> np.ndarray:
    """L2-normalised mean-pooled embedding float[D] of ``text`` (encoders only)."""
    enc = encode(clean_text(text).text, loaded.tokenizer, loaded.max_tokens)
    hidden = forward(loaded, enc.input_ids).hidden
    if hidden is None:
        raise ValueError("Embeddings need an encoder model.")
    return classification.mean_pool(hidden)


def label_embeddings(loaded: LoadedModel, labels: Mapping[str, Sequence[str]]) -> dict[str, np.ndarray]:
    """Each label's mean description embedding float[D] (kept on ``loaded``: the last 32 label sets)."""
    key = tuple((name, tuple(descs)) for name, descs in labels.items())
    cache = loaded.label_embeddings
    if key not in cache:
        if len(cache) >= _MAX_LABEL_SETS:
            cache.pop(next(iter(cache)))
        cache[key] = {
            name: np.mean([embed(loaded, d) for d in (descs or (name,))], axis=0) for name, descs in labels.items()
        }
    return cache[key]


def _resolve(model: LoadedModel | str | None) -> LoadedModel:
    if isinstance(model, LoadedModel):
        return model
    return _cached_model(model)


@lru_cache(maxsize=2)
def _cached_model(name: str | None) -> LoadedModel:
    # Notebook convenience: analyze(text) twice must not load the weights twice.
    return load_model(name)


def truncation_message(analysis: Analysis) -> str | None:
    """What was dropped, in words, or None when the whole text was analysed."""
    if not analysis.truncated:
        return None
    return dropped_words("The text", analysis.n_tokens, analysis.total_tokens, len(analysis.text),
                         analysis.chars_dropped)
