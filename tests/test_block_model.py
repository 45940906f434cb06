"""A real layer's attention block redone from its weights: the built-in MiniLM and a tiny random Llama (GQA, RoPE)."""

from __future__ import annotations

import pytest

from attnviz.teaching.block_real_model import MATCH_TOLERANCE, UnsupportedBlockError, recompute_block
from tests.conftest import TINY_VOCAB


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    """A 2-layer Llama with 4 query heads sharing 2 K/V heads, saved and loaded through the real loader."""
    import torch
    from transformers import BertTokenizerFast, LlamaConfig, LlamaForCausalLM

    import attnviz

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny_llama")
    (path / "vocab.txt").write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    config = LlamaConfig(vocab_size=len(TINY_VOCAB), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         rope_parameters={"rope_theta": 100.0, "rope_type": "default"})
    LlamaForCausalLM(config).save_pretrained(path, safe_serialization=True)
    BertTokenizerFast(str(path / "vocab.txt")).save_pretrained(path)
    return attnviz.load_model(str(path))


@pytest.mark.parametrize("layer", [0, 1])
def test_recompute_block_matches_tiny_llama_with_rope_gqa_and_causal_mask(tiny_llama, layer):
    rec = recompute_block(tiny_llama, "the cat sat on the mat", layer)
    assert rec.steps.n_heads == 4 and rec.steps.n_kv_heads == 2 and rec.steps.causal
    assert rec.steps.rope_base == 100.0
    assert rec.max_abs_diff <= MATCH_TOLERANCE and rec.matches


def test_recompute_block_matches_builtin_minilm(builtin_model):
    rec = recompute_block(builtin_model, "The cat sat on the mat because it was tired.", 3)
    assert rec.steps.n_heads == 12 and not rec.steps.causal and rec.steps.rope_base is None
    assert rec.model_output.shape == rec.steps.output.shape
    assert rec.max_abs_diff <= MATCH_TOLERANCE


def test_recompute_block_names_supported_architectures_for_gpt2(tmp_path):
    """GPT-2 fuses q, k and v into one Conv1D: a clear message, not a wrong recomputation."""
    from transformers import BertTokenizerFast, GPT2Config, GPT2LMHeadModel

    import attnviz

    (tmp_path / "vocab.txt").write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    GPT2LMHeadModel(GPT2Config(vocab_size=len(TINY_VOCAB), n_embd=16, n_layer=1, n_head=2, n_positions=32)
                    ).save_pretrained(tmp_path, safe_serialization=True)
    BertTokenizerFast(str(tmp_path / "vocab.txt")).save_pretrained(tmp_path)
    with pytest.raises(UnsupportedBlockError, match="Llama-family"):
        recompute_block(attnviz.load_model(str(tmp_path)), "the cat", 0)


def test_recompute_block_matches_tiny_distilbert(tmp_path):
    from transformers import BertTokenizerFast, DistilBertConfig, DistilBertModel

    import attnviz

    (tmp_path / "vocab.txt").write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    DistilBertModel(DistilBertConfig(vocab_size=len(TINY_VOCAB), dim=32, n_layers=1, n_heads=4, hidden_dim=64,
                                     max_position_embeddings=32)).save_pretrained(tmp_path, safe_serialization=True)
    BertTokenizerFast(str(tmp_path / "vocab.txt")).save_pretrained(tmp_path)
    rec = recompute_block(attnviz.load_model(str(tmp_path)), "the cat sat", 0)
    assert rec.steps.n_heads == 4 and not rec.steps.causal and rec.max_abs_diff <= MATCH_TOLERANCE


def test_multi_head_steps_equals_transformers_llama_attention_in_float64():
    """transformers' own LlamaAttention (GQA, RoPE, causal, biases) in float64 gives the same weights and output.

    Its eager path takes the softmax in float32 even for a float64 module, so the weights agree to float32's
    rounding (~6e-8), not to float64's; a wrong rotation, head grouping or bias would be off by far more.
    """
    import numpy as np
    import torch
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaAttention

    from attnviz.teaching.block import multi_head_steps, rope_angles

    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=32, num_attention_heads=4, num_key_value_heads=2, attention_bias=True,
                         rope_parameters={"rope_theta": 100.0, "rope_type": "default"})
    config._attn_implementation = "eager"
    attn = LlamaAttention(config, layer_idx=0).double().eval()
    for p in attn.parameters():  # random biases too, so a dropped bias cannot pass
        torch.nn.init.normal_(p, std=0.3)
    t = 7
    x = torch.randn(1, t, 32, dtype=torch.float64)
    emb = torch.tensor(np.concatenate([rope_angles(np.arange(t), 8, 100.0)] * 2, axis=-1))[None]  # [1, T, d_k]
    mask = torch.full((t, t), float("-inf"), dtype=torch.float64).triu(1)[None, None]
    with torch.no_grad():
        want, want_weights = (a[0].numpy() for a in attn(x, (emb.cos(), emb.sin()), mask))

    def w(m):
        return m.weight.detach().numpy().T

    def b(m):
        return m.bias.detach().numpy()

    got = multi_head_steps(x[0].numpy(), w(attn.q_proj), w(attn.k_proj), w(attn.v_proj), w(attn.o_proj), 4, 2,
                           b(attn.q_proj), b(attn.k_proj), b(attn.v_proj), b(attn.o_proj), causal=True,
                           rope_base=100.0)
    np.testing.assert_allclose(got.weights, want_weights, atol=2e-7)
    np.testing.assert_allclose(got.output, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layer", [0, 24, 29])  # 24: the layer with the largest outputs (~180)
def test_recompute_block_matches_smollm2_with_rope_gqa_and_causal_mask(smollm2, layer):
    """SmolLM2 computes in float32, so the bound is 1e-5 of the output's size (see MATCH_TOLERANCE)."""
    rec = recompute_block(smollm2, "The cat sat on the mat because it was tired.", layer)
    assert (rec.steps.n_heads, rec.steps.n_kv_heads, rec.steps.causal) == (9, 3, True)
    assert rec.steps.rope_base == float(smollm2.model.config.rope_parameters["rope_theta"])
    assert rec.relative_diff <= MATCH_TOLERANCE and rec.matches
    print(f"SmolLM2 layer {layer}: max |diff| {rec.max_abs_diff:.2e}, relative {rec.relative_diff:.2e}")
