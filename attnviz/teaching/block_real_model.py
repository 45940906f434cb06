"""A real layer's whole attention block redone by multi_head_steps from the model's own weights.

One forward pass with two hooks: the input of the query projection (the hidden states the block reads, after
Llama's RMSNorm) and the output of the output projection (the block's result before the residual is added).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from attnviz.teaching.block import MultiHeadSteps, multi_head_steps
from attnviz.architectures import Layout, attr_path, layers_of
from attnviz.errors import InputError, UnsupportedModelError
from attnviz.loading import LoadedModel
from attnviz.tokens import anything_dropped, clean_text, encode
from attnviz.types import Token

# The bound on |recomputed − model| per unit of the output's size. The model computes in float32 (about 7
# significant digits): SmolLM2's attention outputs reach ~180 in some layers, where float32 rounding alone is
# ~1e-5 absolute (measured: ≤ 1.5e-6 of the largest output in every layer), so a bound in absolute units would
# fail on rounding the model itself makes. For outputs of size ≤ 1 (MiniLM) the bound is 1e-5 absolute.
MATCH_TOLERANCE = 1e-5
MAX_TOKENS = 48


class UnsupportedBlockError(UnsupportedModelError):
    """The model's attention block is not one whose weights multi_head_steps can take."""


# Rows of the architectures table whose block multi_head_steps redoes; GPT-J rotates interleaved pairs, not
# rotate_half's halves, and GPT-2 fuses q, k, v into one Conv1D.
BLOCK_LAYOUTS = ("BERT", "DistilBERT", "Llama")


@dataclass(frozen=True)
class BlockRecomputed:
    """One layer's attention block for one text: the step-through and the model's own output next to it."""

    model_name: str
    tokens: tuple[Token, ...]
    layer: int
    n_layers: int
    steps: MultiHeadSteps
    model_output: np.ndarray  # float32[tokens, d_model]: the output projection's result in the model
    max_abs_diff: float
    truncated: bool

    @property
    def scale(self) -> float:
        """The largest |number| of the model's output, at least 1: what the tolerance is measured against."""
        return max(1.0, float(np.abs(self.model_output).max()))

    @property
    def relative_diff(self) -> float:
        """max |recomputed − model| / scale."""
        return self.max_abs_diff / self.scale

    @property
    def matches(self) -> bool:
        return self.relative_diff <= MATCH_TOLERANCE


def block_layout(model: Any) -> tuple[Layout, list[Any]]:
    """(the architectures row of ``model``, its layers), or UnsupportedBlockError naming what is supported."""
    found = layers_of(model)
    if found is None or found[0].name not in BLOCK_LAYOUTS:
        name = ", ".join(getattr(model.config, "architectures", None) or [type(model).__name__])
        raise UnsupportedBlockError(
            f"The attention block can be redone for BERT-style encoders (such as the built-in MiniLM), DistilBERT "
            f"and Llama-family decoders (such as SmolLM2); {name} keeps its attention differently. Pick one of those."
        )
    rope = (getattr(model.config, "rope_parameters", None) or {}).get("rope_type", "default")
    if found[0].rotary and rope != "default":
        raise UnsupportedBlockError(f"This model scales its rotary positions ({rope}); only plain RoPE is redone.")
    return found


def recompute_block(loaded: LoadedModel, text: str, layer: int, max_tokens: int = MAX_TOKENS) -> BlockRecomputed:
    """Run ``loaded`` on ``text``, then redo layer ``layer``'s attention block in float64 from its weights."""
    import torch

    model, config = loaded.model, loaded.model.config
    lay, layers = block_layout(model)
    if not 0 <= layer < len(layers):
        raise InputError(f"Layer {layer} does not exist: the model has {len(layers)} layers.")
    q_mod, k_mod, v_mod, o_mod = (attr_path(layers[layer], p) for p in (lay.q, lay.k, lay.v, lay.output))
    cleaned = clean_text(text)
    enc = encode(cleaned.text, loaded.tokenizer, max(2, min(max_tokens, loaded.max_tokens)))
    seen: dict[str, np.ndarray] = {}

    def keep(name: str, tensor) -> None:
        seen[name] = tensor.detach().double().cpu().numpy()[0]

    ids = torch.tensor([list(enc.input_ids)], dtype=torch.long, device=loaded.device)
    with loaded.gate.hold():  # the model is shared: no other session's pass may fill these hooks
        handles = [q_mod.register_forward_pre_hook(lambda m, args: keep("x", args[0])),
                   o_mod.register_forward_hook(lambda m, args, out: keep("o", out))]
        try:
            with torch.inference_mode():
                model(input_ids=ids, attention_mask=torch.ones_like(ids))
        finally:
            for h in handles:
                h.remove()
    n_heads = int(config.num_attention_heads)

    def weight(m) -> np.ndarray:
        return m.weight.detach().double().cpu().numpy().T  # nn.Linear keeps [out, in]; x @ w wants [in, out]

    def bias(m) -> np.ndarray | None:
        return None if m.bias is None else m.bias.detach().double().cpu().numpy()

    rope_base = float(config.rope_parameters["rope_theta"]) if lay.rotary else None
    steps = multi_head_steps(
        seen["x"], weight(q_mod), weight(k_mod), weight(v_mod), weight(o_mod), n_heads,
        int(getattr(config, lay.kv_heads, None) or n_heads) if lay.kv_heads else n_heads, bias(q_mod), bias(k_mod), bias(v_mod),
        bias(o_mod), causal=loaded.kind == "causal", rope_base=rope_base)
    model_output = seen["o"].astype(np.float32)
    diff = float(np.abs(steps.output - model_output).max())
    return BlockRecomputed(loaded.name, enc.tokens, layer, len(layers), steps, model_output, diff,
                           anything_dropped(cleaned, enc))
