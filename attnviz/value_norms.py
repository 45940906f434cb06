"""Value-norm attention (Kobayashi et al. 2020): how much of token j actually reaches token i through a head.

A head's output for query i is Σ_j α_h[i, j] · f_h(x_j) with f_h(x_j) = (x_j W_V,h + b_V,h) W_O,h: the value
vector of key j carried through the rows of the output projection that read head h (the output bias is shared
by all keys and left out). Raw attention α ignores how large f_h(x_j) is; ‖α_h[i, j] · f_h(x_j)‖ does not.

The value vectors x_j W_V + b_V are read with forward hooks on the value projection during the ordinary forward,
so x_j is exactly the layer's input the model uses (after the layer norm, for pre-norm models such as Llama).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from attnviz.analysis import _resolve
from attnviz.errors import AttnvizError
from attnviz.extraction import stack_attentions
from attnviz.heads import attr_path
from attnviz.loading import LoadedModel
from attnviz.tokens import clean_text, encode


@dataclass(frozen=True)
class ValueLayout:
    """Where one architecture keeps its value and attention output projections (paths below ``base_model``)."""

    layers: str
    value: str
    output: str
    value_part: int | None = None  # fused q|k|v projection (GPT-2's c_attn): the values are this third
    conv1d: bool = False  # weights stored [in, out] (GPT-2's Conv1D) instead of nn.Linear's [out, in]


LAYOUTS = (
    ValueLayout("encoder.layer", "attention.self.value", "attention.output.dense"),  # BERT, RoBERTa, ELECTRA, MiniLM
    ValueLayout("transformer.layer", "attention.v_lin", "attention.out_lin"),  # DistilBERT
    ValueLayout("h", "attn.c_attn", "attn.c_proj", value_part=2, conv1d=True),  # GPT-2
    ValueLayout("layers", "self_attn.v_proj", "self_attn.o_proj"),  # Llama, Mistral, Qwen2, SmolLM2
)


def value_modules(model: Any) -> tuple[ValueLayout, list[tuple[Any, Any]]]:
    """The layout and (value projection, output projection) of every layer; AttnvizError for other models."""
    base = getattr(model, "base_model", model)
    for layout in LAYOUTS:
        layers = attr_path(base, layout.layers)
        if layers is None or not hasattr(layers, "__len__") or len(layers) == 0:
            continue
        found = [(attr_path(layer, layout.value), attr_path(layer, layout.output)) for layer in layers]
        if all(v is not None and o is not None for v, o in found):
            return layout, found
    architecture = ", ".join(getattr(model.config, "architectures", None) or [type(model).__name__])
    raise AttnvizError(
        f"Value-norm attention needs each layer's value and output projections; attnviz knows where BERT-family "
        f"models (BERT, RoBERTa, ELECTRA, MiniLM, DistilBERT), GPT-2 and Llama-style models keep them, but not "
        f"{architecture}. Pick the built-in model in the sidebar."
    )


def output_rows(projection: Any, layout: ValueLayout, n_heads: int):
    """torch float64[heads, head_dim, D]: W_O,h, the rows of the output projection that read head h (x @ W form)."""
    weight = projection.weight.detach().double()
    w = weight if layout.conv1d else weight.T  # [heads × head_dim, D]
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
    layout, modules = value_modules(loaded.model)
    n_heads = loaded.n_heads
    limit = loaded.max_tokens if max_tokens is None else max(2, min(int(max_tokens), loaded.max_tokens))
    enc = encode(clean_text(text).text, loaded.tokenizer, limit)
    values: dict[int, Any] = {}

    def record(layer: int):
        def hook(module, args, output):
            out = output[0]  # [T, width]
            if layout.value_part is not None:
                out = out.chunk(3, dim=-1)[layout.value_part]
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
                    [transformed_norms(values[i], output_rows(o, layout, n_heads), n_heads) for i, (_, o) in enumerate(modules)]
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
