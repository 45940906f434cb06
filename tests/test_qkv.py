"""A real head's q, k, v, recomputed by the worked example, give the model's own attention weights."""

import numpy as np
import pytest

import attnviz
from attnviz.errors import InputError
from attnviz.qkv import MATCH_TOLERANCE, UnsupportedModelError, model_qkv, projections, recompute


def _worst(m):
    return max(
        recompute(m, layer, head, query).max_abs_diff
        for layer in range(m.n_layers)
        for head in range(m.n_heads)
        for query in range(len(m.tokens))
    )


@pytest.mark.parametrize("fixture", ["tiny_classifier", "tiny_encoder"])
def test_recomputation_matches_the_tiny_models_attention(fixture, request):
    lm = request.getfixturevalue(fixture)
    m = model_qkv(lm, "the cat sat on the mat")
    assert m.q.shape == (2, 4, len(m.tokens), 8) and m.v.shape == m.k.shape == m.q.shape
    assert _worst(m) <= MATCH_TOLERANCE
    # The same attention as the app's normal analysis.
    np.testing.assert_allclose(m.attentions, attnviz.analyze("the cat sat on the mat", lm).attentions, atol=1e-6)


@pytest.mark.parametrize("text", ["The movie was not good at all.", "我爱学习编程。"], ids=["english", "chinese"])
def test_recomputation_matches_the_builtin_minilm(builtin_model, text):
    m = model_qkv(builtin_model, text)
    assert m.d_k == 32 and m.n_layers == 6 and m.n_heads == 12
    assert _worst(m) <= MATCH_TOLERANCE
    rec = recompute(m, 3, 7, 1)
    assert rec.matches and rec.steps.q.shape == (1, 32) and rec.steps.k.shape == (len(m.tokens), 32)
    np.testing.assert_allclose(rec.steps.weights.sum(), 1.0)


def test_recompute_reports_a_real_difference_when_q_is_altered(tiny_classifier):
    m = model_qkv(tiny_classifier, "the cat sat")
    altered = type(m)(m.model_name, m.text, m.tokens, m.q * 3, m.k, m.v, m.attentions, m.total_tokens)
    assert not recompute(altered, 0, 0, 1).matches


def test_long_text_is_cut_and_says_so(tiny_classifier):
    m = model_qkv(tiny_classifier, "the cat " * 40, max_tokens=12)
    assert len(m.tokens) == 12 and m.truncated and m.total_tokens > 12
    assert _worst(m) <= MATCH_TOLERANCE


def test_recompute_rejects_out_of_range_choices(tiny_classifier):
    m = model_qkv(tiny_classifier, "the cat")
    with pytest.raises(InputError, match="does not exist"):
        recompute(m, 5, 0, 0)


def test_unsupported_architectures_get_a_clear_message():
    from transformers import GPT2Config, GPT2LMHeadModel

    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=8, vocab_size=20, n_positions=16))
    with pytest.raises(UnsupportedModelError, match="BERT-style encoders.*fused projections"):
        projections(model)


def test_empty_text_is_an_input_error(tiny_classifier):
    with pytest.raises(InputError):
        model_qkv(tiny_classifier, " \u200b ")
