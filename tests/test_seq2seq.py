"""Encoder–decoder models (tiny random BART, T5, Marian through the real loader): three attention kinds."""

import numpy as np
import pytest

import attnviz
from attnviz.architectures import seq2seq_layers
from attnviz.seq2seq import KINDS, analyze_pair, decoder_input
from attnviz.types import Token
from tests.decoders import write_tiny_seq2seq

SOURCE, TARGET = "我爱学习编程。", "The cat sat on the mat."


@pytest.fixture(scope="module", params=["bart", "t5", "marian"])
def tiny_seq2seq(request, tmp_path_factory):
    return attnviz.load_model(str(write_tiny_seq2seq(tmp_path_factory.mktemp(f"s2s_{request.param}"), request.param)))


def test_encoder_decoder_loads_as_seq2seq(tiny_seq2seq):
    assert tiny_seq2seq.kind == "seq2seq"


def test_pair_has_three_attention_kinds_with_their_own_shapes(tiny_seq2seq):
    p = analyze_pair(SOURCE, TARGET, tiny_seq2seq)
    n_enc, n_dec = seq2seq_layers(tiny_seq2seq.model.config)
    s, t = len(p.source_tokens), len(p.target_tokens)
    assert p.encoder.shape == (n_enc, 4, s, s)
    assert p.decoder.shape == (n_dec, 4, t, t)
    assert p.cross.shape == (n_dec, 4, t, s) and s != t  # rectangular: row = decoder query, column = encoder key
    for kind in KINDS:
        a = p.attentions(kind)
        query, key = p.axes(kind)
        assert a.shape[2:] == (len(query), len(key))
        np.testing.assert_allclose(a.sum(axis=-1), 1.0, atol=1e-5)
        assert not a.flags.writeable
    assert np.triu(p.decoder, k=1).max() == 0.0 and np.triu(p.encoder, k=1).max() > 0.0


def test_pair_equals_the_models_own_cross_attentions(tiny_seq2seq):
    import torch

    p = analyze_pair(SOURCE, TARGET, tiny_seq2seq)
    src = tiny_seq2seq.tokenizer(SOURCE)["input_ids"]
    start = tiny_seq2seq.model.config.decoder_start_token_id
    dec = [start] + tiny_seq2seq.tokenizer(TARGET)["input_ids"]  # this tokenizer adds no end token to drop
    with torch.no_grad():
        out = tiny_seq2seq.model(input_ids=torch.tensor([src]), decoder_input_ids=torch.tensor([dec]),
                                 output_attentions=True)
    for mine, theirs in ((p.cross, out.cross_attentions), (p.decoder, out.decoder_attentions),
                         (p.encoder, out.encoder_attentions)):
        np.testing.assert_allclose(mine, torch.stack(theirs)[:, 0].numpy(), atol=1e-6)


def test_decoder_input_is_the_target_shifted_right():
    toks = tuple(Token(t, None, None, t == "</s>") for t in ("a", "b", "</s>"))
    ids, tokens = decoder_input((5, 6, 2), toks, 2, "</s>", 2)
    assert ids == (2, 5, 6) and [t.text for t in tokens] == ["</s>", "a", "b"] and tokens[0].special
    assert decoder_input((5, 6), toks[:2], 0, "<pad>", 1)[0] == (0, 5, 6)  # no end token: nothing dropped


def test_analyze_on_an_encoder_decoder_says_it_needs_a_target(tiny_seq2seq):
    with pytest.raises(attnviz.InputError, match="target"):
        attnviz.analyze(SOURCE, tiny_seq2seq)


def test_analyze_pair_refuses_a_model_without_cross_attention(tiny_classifier):
    with pytest.raises(attnviz.InputError, match="encoder–decoder"):
        analyze_pair(SOURCE, TARGET, tiny_classifier)


def test_pair_reports_a_source_cut_to_the_models_limit(tiny_seq2seq):
    p = analyze_pair(SOURCE * 10, TARGET, tiny_seq2seq, max_tokens=8)
    assert p.truncated and len(p.source_tokens) == 8 and p.cross.shape[3] == 8
    total = len(tiny_seq2seq.tokenizer(SOURCE * 10)["input_ids"])
    # max_tokens=8 leaves the target 7 (the decoder's start token takes one), so it is cut too, and said so.
    target_total = len(tiny_seq2seq.tokenizer(TARGET)["input_ids"])
    assert p.dropped == (f"The source is longer than the model accepts: showing the first 8 of {total} tokens. "
                         f"The target is longer than the model accepts: showing the first 7 of {target_total} tokens.")
    whole = analyze_pair(SOURCE, TARGET, tiny_seq2seq)
    assert not whole.truncated and whole.dropped is None
