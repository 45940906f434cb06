"""Two texts, one head: alignment of their tokens and B − A on the shared ones."""

import numpy as np

import attnviz
from attnviz.compare import align_tokens, attention_difference
from attnviz.types import Token


def _tokens(words):
    return tuple(Token(w, None, None, True) if w.startswith("[") else Token(w, 0, 1, False) for w in words)


A = _tokens(["[CLS]", "the", "film", "was", "good", "[SEP]"])
B = _tokens(["[CLS]", "the", "film", "was", "not", "good", "[SEP]"])


def test_align_tokens_skips_the_inserted_word():
    index_a, index_b = align_tokens(A, B)
    assert index_a == [0, 1, 2, 3, 4, 5] and index_b == [0, 1, 2, 3, 5, 6]


def test_difference_on_shared_tokens():
    a = np.full((6, 6), 1 / 6)
    b = np.full((7, 7), 1 / 7)
    diff = attention_difference(a, A, b, B)
    assert not diff.aligned and [t.text for t in diff.only_b] == ["not"] and diff.only_a == ()
    assert [t.text for t in diff.tokens] == ["[CLS]", "the", "film", "was", "good", "[SEP]"]
    np.testing.assert_allclose(diff.difference, 1 / 7 - 1 / 6, atol=1e-6)


def test_same_token_count_is_matched_position_by_position():
    other = _tokens(["[CLS]", "the", "film", "was", "bad", "[SEP]"])
    diff = attention_difference(np.eye(6), A, np.full((6, 6), 1 / 6), other)
    assert diff.aligned and diff.difference.shape == (6, 6)
    assert [t.text for t in diff.tokens][3:5] == ["was", "good/bad"]
    assert diff.difference[0, 0] == np.float32(1 / 6 - 1) and diff.difference[0, 1] == np.float32(1 / 6)


def test_difference_on_real_model(tiny_classifier):
    a = attnviz.analyze("the film was good", tiny_classifier)
    b = attnviz.analyze("the film was not good", tiny_classifier)
    diff = attnviz.attention_difference(a.attentions[1, 0], a.tokens, b.attentions[1, 0], b.tokens)
    assert diff.difference.shape == (a.n_tokens, a.n_tokens)
    assert [t.text for t in diff.only_b] == ["not"]
