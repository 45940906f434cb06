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
