"""One forward pass that also records every head's q, k, v, so the worked example can redo a real head by hand.

Forward hooks on each layer's query/key/value projections capture their outputs [1, tokens, heads × d_k];
split per head they are exactly the q, k, v the model's attention multiplies. Recomputing softmax(q·kᵀ/√d_k)
from them must give the model's own attention weights (checked, and the difference is reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from attnviz.architectures import qkv_projections
from attnviz.errors import InputError, UnsupportedModelError
from attnviz.extraction import forward
from attnviz.teaching.sdpa import AttentionSteps, sdpa_steps
from attnviz.loading import LoadedModel
from attnviz.tokens import anything_dropped, clean_text, encode
from attnviz.types import Token

# Each step shows a table per token; more than this many keys is too much for a classroom screen.
MAX_TOKENS = 48
MATCH_TOLERANCE = 1e-5
__all__ = ["MATCH_TOLERANCE", "MAX_TOKENS", "ModelQKV", "Recomputed", "UnsupportedModelError", "model_qkv",
           "projections", "recompute"]


@dataclass(frozen=True)
class ModelQKV:
    """Every head's query, key and value vectors for one text, and the model's own attention weights."""

    model_name: str
    text: str
    tokens: tuple[Token, ...]
    q: np.ndarray  # float32[layers, heads, tokens, d_k]
    k: np.ndarray  # float32[layers, heads, tokens, d_k]
    v: np.ndarray  # float32[layers, heads, tokens, d_v]
    attentions: np.ndarray  # float32[layers, heads, query, key], as the model returned them
    total_tokens: int
    chars_dropped: int = 0
    truncated: bool = False  # tokens or characters were dropped (attnviz.tokens.anything_dropped)

    @property
    def n_layers(self) -> int:
        return int(self.q.shape[0])

    @property
    def n_heads(self) -> int:
        return int(self.q.shape[1])

    @property
    def d_k(self) -> int:
        return int(self.q.shape[3])


@dataclass(frozen=True)
class Recomputed:
    """The worked example for one query token of one head, next to the model's own attention row."""

    steps: AttentionSteps  # q is 1×d_k (the chosen query), k and v have one row per token
    model_row: np.ndarray  # float32[keys]: attentions[layer, head, query]
    max_abs_diff: float  # max |steps.weights[0] − model_row|

    @property
    def matches(self) -> bool:
        return self.max_abs_diff <= MATCH_TOLERANCE


def projections(model: Any) -> list[tuple[Any, Any, Any]]:
    """(query, key, value) projection modules of every layer, first layer first; raises for other models."""
    config = model.config
    architecture = ", ".join(getattr(config, "architectures", None) or [type(model).__name__])
    if getattr(config, "is_decoder", False):
        raise UnsupportedModelError(
            f"The worked example redoes the attention of encoders such as BERT; {architecture} is a decoder "
            "(causal) model. Pick the built-in model in the sidebar."
        )
    found = qkv_projections(model)
    if found is None:
        raise UnsupportedModelError(
            f"The worked example can read q, k and v only from BERT-style encoders (BERT, RoBERTa, ELECTRA, "
            f"MiniLM, DistilBERT). {architecture} computes its attention differently (for example with fused "
            "projections or rotary positions), so its weights cannot be redone from q and k alone here. Pick the "
            "built-in model in the sidebar."
        )
    return found[1]


def model_qkv(loaded: LoadedModel, text: str, max_tokens: int = MAX_TOKENS) -> ModelQKV:
    """Run ``loaded`` on ``text`` (its first ``max_tokens`` tokens) recording every head's q, k, v.

    The pass is extraction's own (gate, CPU fallback, validated attentions) with forward hooks on the
    projections, so the attention shown next to the recomputation is exactly the app's.
    """
    layers = projections(loaded.model)
    n_heads = loaded.n_heads
    cleaned = clean_text(text)
    enc = encode(cleaned.text, loaded.tokenizer, max(2, min(max_tokens, loaded.max_tokens)))
    captured: dict[tuple[int, int], np.ndarray] = {}

    def record(layer: int, which: int):
        def hook(module, args, output):
            # [1, T, heads × d] → [heads, T, d], the split the attention itself does.
            out = output.detach().float().cpu().numpy()[0]
            captured[(layer, which)] = out.reshape(out.shape[0], n_heads, -1).transpose(1, 0, 2)

        return hook

    hooks = [(m, record(i, w)) for i, mods in enumerate(layers) for w, m in enumerate(mods)]
    attentions = forward(loaded, enc.input_ids, hooks=hooks).attentions
    q, k, v = (np.stack([captured[(i, w)] for i in range(len(layers))]).astype(np.float32) for w in range(3))
    if q.shape[:3] != attentions.shape[:3]:
        raise UnsupportedModelError(
            f"The model's q vectors have shape {q.shape[:3]} but its attention has {attentions.shape[:3]}; "
            "this architecture splits its heads in a way the worked example does not know."
        )
    return ModelQKV(loaded.name, cleaned.text, enc.tokens, q, k, v, attentions, enc.total_tokens,
                    cleaned.chars_dropped, anything_dropped(cleaned, enc))


def recompute(m: ModelQKV, layer: int, head: int, query: int) -> Recomputed:
    """softmax(q·Kᵀ/√d_k)·V for one query token of one head, and how far it is from the model's own row."""
    if not (0 <= layer < m.n_layers and 0 <= head < m.n_heads and 0 <= query < len(m.tokens)):
        raise InputError(
            f"Layer {layer}, head {head}, token {query} does not exist: the model has {m.n_layers} layers of "
            f"{m.n_heads} heads and the text has {len(m.tokens)} tokens."
        )
    steps = sdpa_steps(m.q[layer, head, query : query + 1], m.k[layer, head], m.v[layer, head])
    row = m.attentions[layer, head, query]
    return Recomputed(steps, row, float(np.abs(steps.weights[0] - row).max()))

