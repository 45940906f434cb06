"""Where each architecture keeps its attention: ONE table, used by head masking, q/k/v recording and every path.

Paths are attribute paths: ``layers`` from the model's ``base_model``, the rest from one layer. A model matches the
first row whose paths all exist in every layer (RoBERTa, ELECTRA and MiniLM are BERT-shaped, so the BERT row fits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from attnviz.errors import UnsupportedModelError


@dataclass(frozen=True)
class Layout:
    """One architecture's attention, as attribute paths.

    ``output`` receives the heads' outputs concatenated [batch, tokens, heads × head_dim] (where heads are masked).
    ``q``/``k``/``v`` output [batch, tokens, heads × d_k] each; ``qkv`` is one fused projection of all three.
    ``rotary``: q and k are rotated after the projection, so the projections alone do not give the scores.
    ``kv_heads``: the config field giving the number of key/value heads when it differs from the query heads (GQA).
    ``residual``: the module that adds the attention block's output to the layer's input, called as (attention
    output, layer input), each [batch, tokens, D]; from there to the layer's end each token is computed on its own.
    """

    name: str
    layers: str
    output: str
    q: str | None = None
    k: str | None = None
    v: str | None = None
    qkv: str | None = None
    rotary: bool = False
    kv_heads: str | None = None
    residual: str | None = None

    @property
    def recomputable(self) -> bool:
        """Can softmax(q·kᵀ/√d_k) be redone from the projections' outputs alone (the worked example's check)?"""
        return self.q is not None and not self.rotary and self.kv_heads is None


LAYOUTS: tuple[Layout, ...] = (
    Layout("BERT", "encoder.layer", "attention.output.dense",  # also RoBERTa, ELECTRA, MiniLM, ...
           q="attention.self.query", k="attention.self.key", v="attention.self.value", residual="attention.output"),
    Layout("DistilBERT", "transformer.layer", "attention.out_lin",
           q="attention.q_lin", k="attention.k_lin", v="attention.v_lin"),
    Layout("GPT-2", "h", "attn.c_proj", qkv="attn.c_attn"),
    Layout("GPT-J", "h", "attn.out_proj", q="attn.q_proj", k="attn.k_proj", v="attn.v_proj", rotary=True),
    Layout("Llama", "layers", "self_attn.o_proj",  # also Mistral, Qwen2, SmolLM2: GQA and rotary positions
           q="self_attn.q_proj", k="self_attn.k_proj", v="self_attn.v_proj", rotary=True,
           kv_heads="num_key_value_heads"),
)
SUPPORTED = "BERT-, DistilBERT-, GPT-2- and Llama-style models"
# Sequence classifiers whose head reads the first token's final hidden state and nothing else (the pooler's
# hidden[:, 0], or features[:, 0, :]); checked in transformers' modeling code of each.
FIRST_TOKEN_HEADS = frozenset({
    "BertForSequenceClassification", "RobertaForSequenceClassification", "XLMRobertaForSequenceClassification",
    "ElectraForSequenceClassification",
})


def attr_path(obj: Any, path: str) -> Any:
    """``obj.a.b.c`` for path "a.b.c", or None where a step is missing."""
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def layers_of(model: Any) -> tuple[Layout, list[Any]] | None:
    """(the layout that fits ``model``, its layers, first layer first), or None when no row fits."""
    base = getattr(model, "base_model", model)
    for layout in LAYOUTS:
        layers = attr_path(base, layout.layers)
        if layers is None or not hasattr(layers, "__len__") or len(layers) == 0:
            continue
        paths = [p for p in (layout.output, layout.q, layout.k, layout.v, layout.qkv) if p]
        if all(attr_path(layer, p) is not None for layer in layers for p in paths):
            return layout, list(layers)
    return None


def layout_of(model: Any, doing: str) -> tuple[Layout, list[Any]]:
    """Like ``layers_of``, raising UnsupportedModelError (saying what ``doing`` needs) when no row fits."""
    found = layers_of(model)
    if found is None:
        raise UnsupportedModelError(f"{doing} is supported for {SUPPORTED} only.")
    return found


def output_projections(model: Any) -> list[Any]:
    """One attention output projection module per layer, first layer first."""
    layout, layers = layout_of(model, "Switching heads off")
    return [attr_path(layer, layout.output) for layer in layers]


def qkv_projections(model: Any) -> tuple[Layout, list[tuple[Any, Any, Any]]] | None:
    """(layout, the (query, key, value) projections of every layer) when the layout is recomputable, else None."""
    found = layers_of(model)
    if found is None or not found[0].recomputable:
        return None
    layout, layers = found
    return layout, [tuple(attr_path(layer, p) for p in (layout.q, layout.k, layout.v)) for layer in layers]


# Encoder–decoder models (BART, T5, Marian, mBART, Pegasus, ...): transformers' Seq2SeqModelOutput names the three
# attention kinds alike for all of them; the layer counts are named two ways in their configs.
SEQ2SEQ_ATTENTIONS = {"encoder": "encoder_attentions", "decoder": "decoder_attentions", "cross": "cross_attentions"}
_SEQ2SEQ_LAYERS = (("encoder_layers", "decoder_layers"), ("num_layers", "num_decoder_layers"))  # BART/Marian, T5


def is_encoder_decoder(config: Any) -> bool:
    return bool(getattr(config, "is_encoder_decoder", False))


def seq2seq_layers(config: Any) -> tuple[int, int]:
    """(encoder layers, decoder layers) of an encoder–decoder ``config``."""
    for enc, dec in _SEQ2SEQ_LAYERS:
        n_enc = getattr(config, enc, None)
        if isinstance(n_enc, int):
            n_dec = getattr(config, dec, None)
            return n_enc, n_dec if isinstance(n_dec, int) else n_enc  # T5 leaves num_decoder_layers None when equal
    raise UnsupportedModelError("This encoder–decoder model does not say how many layers its encoder and decoder "
                                "have (encoder_layers / num_layers in its config).")
