"""Switch attention heads off: transformers 5 dropped ``head_mask``, so we mask with forward pre-hooks.

Each layer's attention output projection (``Layout.output`` in attnviz.architectures: BERT's
``attention.output.dense``, GPT-2's ``attn.c_proj``, Llama's ``self_attn.o_proj``, ...) receives the heads'
outputs concatenated as [batch, tokens, heads × head_dim]; zeroing a head's slice there removes exactly that head's contribution, the same
as the old ``head_mask``. The attention weights themselves are left as they are.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from attnviz.architectures import output_projections
from attnviz.errors import AttnvizError


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
