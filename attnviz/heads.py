"""Switch attention heads off: transformers 5 dropped ``head_mask``, so we mask with forward pre-hooks.

Each layer's attention output projection (BERT's ``attention.output.dense``, GPT-2's ``attn.c_proj``,
Llama's ``self_attn.o_proj``, ...) receives the heads' outputs concatenated as [batch, tokens,
heads × head_dim]; zeroing a head's slice there removes exactly that head's contribution, the same
as the old ``head_mask``. The attention weights themselves are left as they are.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from attnviz.errors import AttnvizError

_LAYER_LISTS = ("encoder.layer", "transformer.layer", "transformer.h", "layers", "h", "layer")
_OUTPUT_PROJECTIONS = ("attention.output.dense", "attention.out_lin", "attn.c_proj", "self_attn.o_proj", "attn.out_proj")


def attr_path(obj: Any, path: str) -> Any:
    """``obj.a.b.c`` for path "a.b.c", or None where a step is missing."""
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def output_projections(model: Any) -> list[Any]:
    """One attention output projection module per layer, first layer first."""
    base = getattr(model, "base_model", model)
    for path in _LAYER_LISTS:
        layers = attr_path(base, path)
        if layers is None or not hasattr(layers, "__len__"):
            continue
        found = [next((p for p in (attr_path(layer, q) for q in _OUTPUT_PROJECTIONS) if p is not None), None) for layer in layers]
        if found and all(p is not None for p in found):
            return found
    raise AttnvizError("Switching heads off is supported for BERT-, GPT-2- and Llama-style models only.")


@contextmanager
def masked_heads(model: Any, head_mask: np.ndarray | None) -> Iterator[None]:
    """Within the block, head h of layer l contributes ``head_mask[l, h]`` times its output (0 = off)."""
    if head_mask is None:
        yield
        return
    import torch

    mask = np.asarray(head_mask, dtype=np.float32)
    n_layers = int(model.config.num_hidden_layers)
    n_heads = int(model.config.num_attention_heads)
    if mask.shape != (n_layers, n_heads):
        raise AttnvizError(f"head_mask must have shape ({n_layers}, {n_heads}), not {mask.shape}.")
    handles = []
    for layer, projection in enumerate(output_projections(model)):
        if np.all(mask[layer] == 1.0):
            continue
        weights = torch.tensor(mask[layer])

        def scale(module, args, weights=weights):
            (heads_concat, *rest) = args
            shaped = heads_concat.view(*heads_concat.shape[:-1], weights.numel(), -1)
            scaled = shaped * weights.to(shaped.device, shaped.dtype)[:, None]
            return (scaled.view_as(heads_concat), *rest)

        handles.append(projection.register_forward_pre_hook(scale))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
