"""One table says where every supported architecture keeps its attention; heads and q/k/v both read it."""

from __future__ import annotations

import numpy as np
import pytest

from attnviz import architectures, extraction
from attnviz.errors import UnsupportedModelError
from attnviz.heads import masked_heads


def _tiny(kind: str):
    import torch
    import transformers as t

    torch.manual_seed(0)
    small = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=32, vocab_size=40,
                 max_position_embeddings=32)
    configs = {
        "bert": lambda: t.BertModel(t.BertConfig(**small)),
        "roberta": lambda: t.RobertaForSequenceClassification(t.RobertaConfig(**small, pad_token_id=1)),
        "electra": lambda: t.ElectraModel(t.ElectraConfig(**small, embedding_size=16)),
        "distilbert": lambda: t.DistilBertModel(t.DistilBertConfig(dim=16, n_layers=2, n_heads=4, hidden_dim=32,
                                                                    vocab_size=40, max_position_embeddings=32)),
        "gpt2": lambda: t.GPT2LMHeadModel(t.GPT2Config(n_layer=2, n_head=4, n_embd=16, vocab_size=40, n_positions=32)),
        "llama": lambda: t.LlamaForCausalLM(t.LlamaConfig(**small, num_key_value_heads=2)),
    }
    model = configs[kind]()
    model.config._attn_implementation = "eager"
    return model.eval()


@pytest.mark.parametrize("kind, layout, recomputable", [
    ("bert", "BERT", True), ("roberta", "BERT", True), ("electra", "BERT", True),
    ("distilbert", "DistilBERT", True), ("gpt2", "GPT-2", False), ("llama", "Llama", False),
])
def test_every_supported_architecture_has_one_row(kind, layout, recomputable):
    model = _tiny(kind)
    found, layers = architectures.layout_of(model, "test")
    assert found.name == layout and len(layers) == 2
    assert len(architectures.output_projections(model)) == 2
    assert (architectures.qkv_projections(model) is not None) is recomputable


def test_llama_row_records_grouped_query_attention():
    model = _tiny("llama")
    layout, layers = architectures.layout_of(model, "test")
    kv_heads = getattr(model.config, layout.kv_heads)
    k_proj = architectures.attr_path(layers[0], layout.k)
    assert kv_heads == 2 and k_proj.out_features == kv_heads * (16 // 4)


@pytest.mark.parametrize("kind", ["bert", "distilbert", "gpt2", "llama"])
def test_switching_a_head_off_changes_the_output_on_every_architecture(kind):
    import torch

    model = _tiny(kind)
    ids = torch.tensor([[3, 5, 7, 9, 11]])
    mask = np.ones((2, 4))
    mask[1, 2] = 0.0
    with torch.inference_mode():
        plain = model(input_ids=ids)[0]  # last hidden state, or logits for language models
        with masked_heads(model, mask):
            masked = model(input_ids=ids)[0]
        again = model(input_ids=ids)[0]
    assert not torch.allclose(plain, masked)
    assert torch.equal(plain, again)  # the hooks are gone after the block


def test_unknown_architecture_is_a_clear_error():
    import torch

    with pytest.raises(UnsupportedModelError, match="BERT-, DistilBERT-, GPT-2- and Llama-style"):
        architectures.output_projections(torch.nn.Linear(2, 2))


def test_model_qkv_runs_the_one_validated_forward_pass(tiny_classifier, monkeypatch):
    """q/k/v come from extraction's pass (gate, CPU fallback, validation), not from a second forward path."""
    from attnviz.qkv import model_qkv

    calls = []
    real = extraction._forward
    monkeypatch.setattr(extraction, "_forward", lambda *a, **k: calls.append(1) or real(*a, **k))
    m = model_qkv(tiny_classifier, "the cat sat")
    assert calls == [1] and m.q.shape[:2] == (2, 4)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"encoder_layers": 6, "decoder_layers": 3}, (6, 3)),  # BART, Marian
    ({"num_layers": 4, "num_decoder_layers": 2}, (4, 2)),  # T5
    ({"num_layers": 4, "num_decoder_layers": None}, (4, 4)),  # T5 leaves it unset when both are equal
], ids=["bart", "t5", "t5-equal"])
def test_seq2seq_layers_reads_both_config_spellings(fields, expected):
    from types import SimpleNamespace

    from attnviz.architectures import seq2seq_layers

    assert seq2seq_layers(SimpleNamespace(**fields)) == expected


def test_seq2seq_layers_without_counts_says_what_is_missing():
    from types import SimpleNamespace

    from attnviz.architectures import seq2seq_layers
    from attnviz.errors import UnsupportedModelError

    with pytest.raises(UnsupportedModelError, match="encoder_layers"):
        seq2seq_layers(SimpleNamespace())
