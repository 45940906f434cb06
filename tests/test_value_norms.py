"""Value-norm attention against a per-head NumPy computation from the weights and hidden states; unknown models."""

from types import SimpleNamespace

import numpy as np
import pytest

import attnviz
from attnviz.errors import AttnvizError
from attnviz.loading import LoadedModel
from attnviz.value_norms import token_scores, value_modules

TEXT = "the film was not good , i love the movie"


def _tiny_causal(kind, tokenizer):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(3)
    if kind == "llama":  # 4 query heads sharing 2 key/value heads (grouped-query attention)
        config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                             attn_implementation="eager")
        model = LlamaForCausalLM(config)
    else:
        config = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=4, n_positions=64,
                            attn_implementation="eager")
        model = GPT2LMHeadModel(config)
    return LoadedModel(kind, model.eval(), tokenizer, "causal", "cpu", 64)


def _by_hand(loaded, text):
    """Per head, in NumPy float64: α[i, j] · ‖(x_j W_V,h + b_V,h) W_O,h‖ with x_j the layer's value input."""
    import torch

    model = loaded.model
    ids = torch.tensor([loaded.tokenizer(text)["input_ids"]])
    with torch.no_grad():
        out = model(input_ids=ids, output_attentions=True, output_hidden_states=True)
    n_heads = loaded.n_heads
    expected = []
    for layer in range(loaded.n_layers):
        h = out.hidden_states[layer]
        att = out.attentions[layer][0].detach().double().numpy()  # [H, T, T]
        kind = type(model).__name__
        if kind.startswith("Bert"):
            block = model.bert.encoder.layer[layer].attention
            x = h[0].detach().double().numpy()
            w_v, b_v = block.self.value.weight.detach().double().numpy().T, block.self.value.bias.detach().double().numpy()
            w_o = block.output.dense.weight.detach().double().numpy().T  # [H·d, D], x @ W form
        elif kind.startswith("Llama"):
            block = model.model.layers[layer]
            with torch.no_grad():
                x = block.input_layernorm(h)[0].detach().double().numpy()
            w_v, b_v = block.self_attn.v_proj.weight.detach().double().numpy().T, 0.0
            w_o = block.self_attn.o_proj.weight.detach().double().numpy().T
        else:
            block = model.transformer.h[layer]
            with torch.no_grad():
                x = block.ln_1(h)[0].detach().double().numpy()
            width = x.shape[-1]
            w_v = block.attn.c_attn.weight.detach().double().numpy()[:, 2 * width :]
            b_v = block.attn.c_attn.bias.detach().double().numpy()[2 * width :]
            w_o = block.attn.c_proj.weight.detach().double().numpy()
        v = x @ w_v + b_v  # [T, kv_heads · d]
        d = w_o.shape[0] // n_heads
        per_kv = n_heads // (v.shape[1] // d)
        heads = []
        for head in range(n_heads):
            kv = head // per_kv
            f = v[:, kv * d : (kv + 1) * d] @ w_o[head * d : (head + 1) * d]  # [T, D]
            heads.append(att[head] * np.linalg.norm(f, axis=-1)[None, :])
        expected.append(heads)
    return np.array(expected)


def test_value_norms_match_numpy_on_tiny_bert(tiny_classifier):
    norms = attnviz.value_norms(TEXT, tiny_classifier)
    expected = _by_hand(tiny_classifier, TEXT)
    assert norms.shape == expected.shape == (2, 4, 12, 12)
    np.testing.assert_allclose(norms, expected, rtol=1e-5, atol=1e-5)
    assert not norms.flags.writeable


def test_value_norms_match_numpy_on_builtin_model(builtin_model):
    norms = attnviz.value_norms("A wonderful, warm and funny story.", builtin_model)
    np.testing.assert_allclose(norms, _by_hand(builtin_model, "A wonderful, warm and funny story."), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["llama", "gpt2"])
def test_value_norms_match_numpy_on_tiny_decoders(tiny_classifier, kind):
    loaded = _tiny_causal(kind, tiny_classifier.tokenizer)
    np.testing.assert_allclose(attnviz.value_norms(TEXT, loaded), _by_hand(loaded, TEXT), rtol=1e-5, atol=1e-5)


def test_value_norms_differ_from_attention_where_values_differ(tiny_classifier):
    norms = attnviz.value_norms(TEXT, tiny_classifier)
    att = attnviz.analyze(TEXT, tiny_classifier).attentions
    ratio = norms / np.maximum(att, 1e-12)  # ‖f_h(x_j)‖, the same in every query row
    np.testing.assert_allclose(ratio, ratio[:, :, :1, :].repeat(ratio.shape[2], axis=2), rtol=1e-3)
    assert ratio[0, 0, 0].std() > 0


def test_token_scores_sum_heads_of_one_row():
    norms = np.arange(2 * 3 * 4 * 4, dtype=np.float32).reshape(2, 3, 4, 4)
    np.testing.assert_allclose(token_scores(norms), norms[-1, :, 0].sum(axis=0))
    np.testing.assert_allclose(token_scores(norms, query=-1, layer=0), norms[0, :, -1].sum(axis=0))


def test_unknown_architecture_is_named():
    model = SimpleNamespace(config=SimpleNamespace(architectures=["FooForMagic"]))
    with pytest.raises(AttnvizError, match="FooForMagic"):
        value_modules(model)
