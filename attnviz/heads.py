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
    mask = np.asarray(head_mask, dtype=np.float32)
    n_layers = int(model.config.num_hidden_layers)
    n_heads = int(model.config.num_attention_heads)
    if mask.shape != (n_layers, n_heads):
        raise AttnvizError(f"head_mask must have shape ({n_layers}, {n_heads}), not {mask.shape}.")
    with row_masked_heads(model, mask[None]):  # one row, broadcast over the batch
        yield


@contextmanager
def row_masked_heads(model: Any, masks: np.ndarray) -> Iterator[None]:
    """Within the block, batch row b's head h of layer l contributes ``masks[b, l, h]`` times its output.

    ``masks`` is float32[B, layers, heads]; B = 1 applies the same mask to every row of the batch.
    """
    import torch

    handles = []
    for layer, projection in enumerate(output_projections(model)):
        if np.all(masks[:, layer] == 1.0):
            continue
        weights = torch.tensor(masks[:, layer])  # [B, H]

        def scale(module, args, weights=weights):
            (heads_concat, *rest) = args  # [B, T, H·d]
            shaped = heads_concat.view(*heads_concat.shape[:-1], weights.shape[1], -1)  # [B, T, H, d]
            scaled = shaped * weights.to(shaped.device, shaped.dtype)[:, None, :, None]
            return (scaled.view_as(heads_concat), *rest)

        handles.append(projection.register_forward_pre_hook(scale))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
