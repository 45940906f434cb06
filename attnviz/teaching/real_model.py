"""One forward pass that also records every head's q, k, v, so the worked example can redo a real head by hand.

Forward hooks on each layer's query/key/value projections capture their outputs [1, tokens, heads × d_k];
split per head they are exactly the q, k, v the model's attention multiplies. Recomputing softmax(q·kᵀ/√d_k)
from them must give the model's own attention weights (checked, and the difference is reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from attnviz.teaching.sdpa import AttentionSteps, sdpa_steps
from attnviz.errors import AttnvizError, InputError
from attnviz.extraction import stack_attentions
from attnviz.loading import LoadedModel
from attnviz.tokens import clean_text, encode
from attnviz.types import Token
from attnviz.heads import attr_path

# Each step shows a table per token; more than this many keys is too much for a classroom screen.
MAX_TOKENS = 48
MATCH_TOLERANCE = 1e-5
# (path to the list of layers, path inside a layer to the attention module, names of its q/k/v projections)
_LAYOUTS = (
    ("encoder.layer", "attention.self", ("query", "key", "value")),  # BERT, RoBERTa, ELECTRA, MiniLM, ...
    ("transformer.layer", "attention", ("q_lin", "k_lin", "v_lin")),  # DistilBERT
)


class UnsupportedModelError(AttnvizError):
    """The model computes attention in a way q, k, v hooks cannot reproduce (fused projections, rotary, ...)."""


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

    @property
    def n_layers(self) -> int:
        return int(self.q.shape[0])

    @property
    def n_heads(self) -> int:
        return int(self.q.shape[1])

    @property
    def d_k(self) -> int:
        return int(self.q.shape[3])

    @property
    def truncated(self) -> bool:
        return self.total_tokens > len(self.tokens) or self.chars_dropped > 0


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
    base = getattr(model, "base_model", model)
    for layers_path, attention_path, names in _LAYOUTS:
        layers = attr_path(base, layers_path)
        if layers is None or not hasattr(layers, "__len__"):
            continue
        found = []
        for layer in layers:
            attention = attr_path(layer, attention_path)
            modules = tuple(attr_path(attention, n) for n in names) if attention is not None else (None,)
            if any(m is None for m in modules):
                break
            found.append(modules)
        if found and len(found) == len(layers):
            return found
    raise UnsupportedModelError(
        f"The worked example can read q, k and v only from BERT-style encoders (BERT, RoBERTa, ELECTRA, MiniLM, "
        f"DistilBERT). {architecture} computes its attention differently (for example with fused projections or "
        "rotary positions), so its weights cannot be redone from q and k alone here. Pick the built-in model in "
        "the sidebar."
    )


def model_qkv(loaded: LoadedModel, text: str, max_tokens: int = MAX_TOKENS) -> ModelQKV:
    """Run ``loaded`` on ``text`` (its first ``max_tokens`` tokens) recording every head's q, k, v."""
    import torch

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

    ids = torch.tensor([list(enc.input_ids)], dtype=torch.long, device=loaded.device)
    # Hooks go on inside the gate: the model is shared, and another session's pass must not fill them.
    with loaded.gate.hold():
        handles = [m.register_forward_hook(record(i, w)) for i, mods in enumerate(layers) for w, m in enumerate(mods)]
        try:
            with torch.inference_mode():
                out = loaded.model(input_ids=ids, attention_mask=torch.ones_like(ids), output_attentions=True,
                                   return_dict=True)
        finally:
            for handle in handles:
                handle.remove()
    per_layer = [a.detach().float().cpu().numpy() for a in (out.attentions or ())]
    attentions = stack_attentions(per_layer, loaded.n_layers)
    q, k, v = (np.stack([captured[(i, w)] for i in range(len(layers))]).astype(np.float32) for w in range(3))
    if q.shape[:3] != attentions.shape[:3]:
        raise UnsupportedModelError(
            f"The model's q vectors have shape {q.shape[:3]} but its attention has {attentions.shape[:3]}; "
            "this architecture splits its heads in a way the worked example does not know."
        )
    return ModelQKV(loaded.name, cleaned.text, enc.tokens, q, k, v, attentions, enc.total_tokens, cleaned.chars_dropped)


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

