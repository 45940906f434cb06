"""The causal path: tiny random Llama / GPT-2 through the real loader, and the built-in SmolLM2-135M."""

import numpy as np
import pytest

import attnviz
from attnviz import next_token
from attnviz.head_types import head_types, induction_probe_text
from attnviz.next_token import rest_probability

MARY = "When Mary and John went to the store, John gave a drink to"


def test_tiny_decoder_loads_as_causal(tiny_decoder):
    assert tiny_decoder.kind == "causal"
    assert tiny_decoder.max_tokens == 128


def test_tiny_decoder_attention_is_causal(tiny_decoder):
    a = attnviz.analyze(MARY, tiny_decoder)
    assert a.causal
    assert np.triu(a.attentions, k=1).max() == 0.0
    np.testing.assert_allclose(a.attentions.sum(axis=-1), 1.0, atol=1e-5)


def test_tiny_decoder_prediction_is_next_token_over_whole_vocabulary(tiny_decoder):
    import torch

    a = attnviz.analyze(MARY, tiny_decoder)
    p = a.prediction
    assert p.method == "next-token" and len(p.labels) == next_token.DEFAULT_TOP_K
    assert np.all(np.diff(p.probs) <= 0)
    with torch.no_grad():
        logits = tiny_decoder.model(input_ids=torch.tensor([a.input_ids])).logits[0, -1]
    full = torch.softmax(logits.double(), dim=-1)
    top = torch.topk(full, len(p.labels))
    assert list(p.token_ids) == top.indices.tolist()
    np.testing.assert_allclose(p.probs, top.values.numpy(), rtol=1e-5)
    assert rest_probability(p) == pytest.approx(1.0 - float(top.values.sum()), abs=1e-5)
    assert p.labels[0] == tiny_decoder.tokenizer.decode([p.token_ids[0]])


def test_tiny_decoder_batch_equals_single(tiny_decoder):
    short, long = attnviz.analyze_many(["The cat sat.", MARY], tiny_decoder)
    alone = attnviz.analyze("The cat sat.", tiny_decoder)
    np.testing.assert_allclose(short.attentions, alone.attentions, atol=1e-6)
    np.testing.assert_allclose(short.prediction.probs, alone.prediction.probs, atol=1e-6)


def test_tiny_decoder_head_off_changes_the_next_token_probabilities(tiny_decoder):
    mask = np.ones((tiny_decoder.n_layers, tiny_decoder.n_heads))
    mask[:, 0] = 0.0
    full = attnviz.analyze(MARY, tiny_decoder).prediction
    off = attnviz.analyze(MARY, tiny_decoder, head_mask=mask).prediction
    assert not np.allclose(full.probs, off.probs)


def test_tiny_decoder_head_types_cover_every_head(tiny_decoder):
    a = attnviz.analyze(induction_probe_text(tiny_decoder.tokenizer, n_words=6), tiny_decoder)
    h = attnviz.head_types(a)
    assert h.induction.shape == (tiny_decoder.n_layers, tiny_decoder.n_heads)
    assert np.all((h.sink >= 0) & (h.sink <= 1))


# The real model: converted from its GGUF once per test run (cached in the user cache folder afterwards).


def test_smollm2_loads_by_name(smollm2):
    assert smollm2.name == attnviz.SMOLLM2_NAME and smollm2.kind == "causal"
    assert (smollm2.n_layers, smollm2.n_heads, smollm2.max_tokens) == (30, 9, 1024)


def test_smollm2_attention_equals_transformers_on_the_gguf(smollm2):
    import torch

    from attnviz import builtin_decoder

    reference = builtin_decoder.load_gguf(builtin_decoder.gguf_path())
    a = attnviz.analyze("The cat sat on the mat.", smollm2)
    with torch.no_grad():
        out = reference(input_ids=torch.tensor([a.input_ids]), output_attentions=True)
    want = np.stack([t[0].numpy() for t in out.attentions])
    assert a.attentions.shape == want.shape
    np.testing.assert_allclose(a.attentions, want, atol=1e-5, rtol=0)
    top = torch.softmax(out.logits[0, -1].double(), dim=-1).topk(3)
    np.testing.assert_allclose(a.prediction.probs[:3], top.values.numpy(), atol=1e-5)


def test_smollm2_attention_is_causal(smollm2):
    a = attnviz.analyze(MARY, smollm2)
    assert np.triu(a.attentions, k=1).max() == 0.0


def test_smollm2_predicts_mary(smollm2):
    p = attnviz.analyze(MARY, smollm2).prediction
    assert p.labels[0] == " Mary"
    assert p.probs[0] > 0.5 and p.probs.sum() <= 1.0 + 1e-6


def test_smollm2_repeated_random_tokens_reveal_induction_heads(smollm2):
    a = attnviz.analyze(induction_probe_text(smollm2.tokenizer), smollm2)
    assert head_types(a).induction.max() >= 0.7


def test_smollm2_cache_is_tied_to_the_gguf_hash(smollm2, tmp_path):
    from attnviz import builtin_decoder

    gguf = builtin_decoder.gguf_path()
    digest = builtin_decoder.sha256(gguf)
    folder = builtin_decoder.cached_dir(gguf, digest)
    assert builtin_decoder.is_converted(folder, digest)
    assert not builtin_decoder.is_converted(folder, "0" * 64)
    assert not builtin_decoder.is_converted(tmp_path, digest)


def test_tiny_decoder_integrated_gradients_are_complete_for_a_next_token(tiny_decoder):
    p = attnviz.analyze(MARY, tiny_decoder).prediction
    ig = attnviz.attribute(MARY, target=p.labels[1], model=tiny_decoder)
    assert ig.target == p.labels[1] and "next token" in ig.output
    assert ig.scores.sum() == pytest.approx(ig.f_input - ig.f_baseline, abs=max(1e-3, 5 * abs(ig.convergence_delta)))


def test_tiny_decoder_batched_head_importance_equals_one_head_at_a_time(tiny_decoder):
    from attnviz import next_token_explain

    importance = attnviz.head_importance(MARY, tiny_decoder)
    p = attnviz.analyze(MARY, tiny_decoder).prediction
    mask = np.ones((tiny_decoder.n_layers, tiny_decoder.n_heads))
    mask[1, 2] = 0.0
    off = attnviz.analyze(MARY, tiny_decoder, head_mask=mask).prediction
    p_off = dict(zip(off.token_ids, off.probs)).get(p.token_ids[0])
    if p_off is None:
        p_off = next_token_explain.ablate(MARY, mask, tiny_decoder, p.token_ids[:1]).probs[0]
    assert importance[1, 2] == pytest.approx(float(p.probs[0]) - float(p_off), abs=1e-5)
    same = next_token_explain.ablate(MARY, mask, tiny_decoder, p.token_ids)
    assert same.labels == p.labels and same.probs[0] == pytest.approx(float(p.probs[0]) - importance[1, 2], abs=1e-5)
