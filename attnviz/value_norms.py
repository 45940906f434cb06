"""Value-norm attention (Kobayashi et al. 2020): how much of token j actually reaches token i through a head.

A head's output for query i is Σ_j α_h[i, j] · f_h(x_j) with f_h(x_j) = (x_j W_V,h + b_V,h) W_O,h: the value
vector of key j carried through the rows of the output projection that read head h (the output bias is shared
by all keys and left out). Raw attention α ignores how large f_h(x_j) is; ‖α_h[i, j] · f_h(x_j)‖ does not.

The value vectors x_j W_V + b_V are read with forward hooks on the value projection during the ordinary forward,
so x_j is exactly the layer's input the model uses (after the layer norm, for pre-norm models such as Llama).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from attnviz.analysis import _resolve
from attnviz.architectures import SUPPORTED, attr_path, layers_of
from attnviz.errors import UnsupportedModelError
from attnviz.extraction import stack_attentions
from attnviz.loading import LoadedModel
from attnviz.tokens import clean_text, encode


def value_modules(model: Any) -> tuple[int | None, list[tuple[Any, Any]]]:
    """(which third of a fused q|k|v output holds the values, or None; (value, output projection) per layer).

    The modules come from the one table of attention layouts (``attnviz.architectures``); other models raise
    UnsupportedModelError naming the architecture.
    """
    found = layers_of(model)
    if found is None:
        architecture = ", ".join(getattr(model.config, "architectures", None) or [type(model).__name__])
        raise UnsupportedModelError(
            f"Value-norm attention needs each layer's value and output projections; attnviz knows where {SUPPORTED} "
            f"keep them, but not {architecture}. Pick the built-in model in the sidebar."
        )
    layout, layers = found
    value_path, part = (layout.v, None) if layout.v else (layout.qkv, 2)  # GPT-2's c_attn: q | k | v
    return part, [(attr_path(layer, value_path), attr_path(layer, layout.output)) for layer in layers]


def output_rows(projection: Any, n_heads: int):
    """torch float64[heads, head_dim, D]: W_O,h, the rows of the output projection that read head h (x @ W form)."""
    weight = projection.weight.detach().double()
    # transformers' Conv1D (GPT-2) stores [in, out] and computes x @ W; nn.Linear stores [out, in].
    w = weight if type(projection).__name__ == "Conv1D" else weight.T  # [heads × head_dim, D]
    return w.reshape(n_heads, -1, w.shape[-1])


def transformed_norms(values, w_o, n_heads: int):
    """‖f_h(x_j)‖ as torch float64[heads, keys] from values [keys, kv_heads × head_dim] and W_O [heads, d, D]."""
    import torch

    n_keys, width = values.shape
    head_dim = w_o.shape[1]
    kv_heads = width // head_dim
    v = values.double().reshape(n_keys, kv_heads, head_dim)  # [T, kv_heads, d]
    # Grouped-query attention (Llama): each key/value head serves n_heads // kv_heads query heads in turn.
    v = v.repeat_interleave(n_heads // kv_heads, dim=1)  # [T, H, d]
    f = torch.einsum("thd,hdo->hto", v, w_o)  # [H, T, D]: f_h(x_j)
    return f.norm(dim=-1)  # [H, T]


def value_norms(text: str, model: LoadedModel | str | None = None, max_tokens: int | None = None) -> np.ndarray:
    """‖α_h[i, j] · f_h(x_j)‖ as read-only float32[layers, heads, query, key] for the tokens of ``text``."""
    import torch

    loaded = _resolve(model)
    part, modules = value_modules(loaded.model)
    n_heads = loaded.n_heads
    limit = loaded.max_tokens if max_tokens is None else max(2, min(int(max_tokens), loaded.max_tokens))
    enc = encode(clean_text(text).text, loaded.tokenizer, limit)
    values: dict[int, Any] = {}

    def record(layer: int):
        def hook(module, args, output):
            out = output[0]  # [T, width]
            if part is not None:
                out = out.chunk(3, dim=-1)[part]
            values[layer] = out.detach()

        return hook

    ids = torch.tensor([list(enc.input_ids)], dtype=torch.long, device=loaded.device)
    # Hooks go on inside the gate: the model is shared, and another session's pass must not fill them.
    with loaded.gate.hold():
        handles = [value.register_forward_hook(record(i)) for i, (value, _) in enumerate(modules)]
        try:
            with torch.inference_mode():
                out = loaded.model(input_ids=ids, attention_mask=torch.ones_like(ids), output_attentions=True,
                                   return_dict=True)
                norms = torch.stack(
                    [transformed_norms(values[i], output_rows(o, n_heads), n_heads) for i, (_, o) in enumerate(modules)]
                )  # [L, H, T]
        finally:
            for handle in handles:
                handle.remove()
    attentions = stack_attentions([a.detach().float().cpu().numpy() for a in (out.attentions or ())], loaded.n_layers)
    result = attentions * norms.float().cpu().numpy()[:, :, None, :]  # float32[L, H, T, T]
    result.flags.writeable = False
    return result


def token_scores(norms: np.ndarray, query: int = 0, layer: int = -1) -> np.ndarray:
    """float64[key]: the sum over heads of ‖α·f(x_j)‖ for ``query`` in ``layer`` (default: first token, last layer)."""
    return np.asarray(norms[layer, :, query, :], dtype=np.float64).sum(axis=0)
