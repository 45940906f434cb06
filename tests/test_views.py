"""Hide special tokens and merge sub-word pieces, on hand-made matrices."""

import numpy as np
import pytest

from attnviz.views import apply_views, hide_special, merge_subwords, word_groups
from attnviz.types import Token

CLS, SEP = Token("[CLS]", None, None, True), Token("[SEP]", None, None, True)
PLAYING = (CLS, Token("play", 0, 4, False), Token("##ing", 4, 7, False), Token("run", 8, 11, False), SEP)
M = np.array(
    [
        [0.4, 0.1, 0.1, 0.2, 0.2],
        [0.5, 0.2, 0.1, 0.1, 0.1],
        [0.1, 0.3, 0.3, 0.2, 0.1],
        [0.2, 0.2, 0.2, 0.2, 0.2],
        [0.0, 0.5, 0.0, 0.5, 0.0],
    ]
)


def test_hide_special_drops_rows_and_columns_and_renormalises():
    view = hide_special(M, PLAYING)
    assert [t.text for t in view.tokens] == ["play", "##ing", "run"]
    expected = np.array([[0.2, 0.1, 0.1], [0.3, 0.3, 0.2], [0.2, 0.2, 0.2]])
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(view.matrix, expected, atol=1e-6)
    assert "2 special tokens hidden" in view.note and "renormalised" in view.note


def test_hide_special_works_on_stacked_heads():
    view = hide_special(np.stack([M, np.eye(5)]), PLAYING)
    assert view.matrix.shape == (2, 3, 3)
    np.testing.assert_allclose(view.matrix[1], np.eye(3), atol=1e-6)


def test_hide_special_without_special_tokens_changes_nothing():
    tokens = PLAYING[1:4]
    view = hide_special(np.eye(3), tokens)
    assert view.tokens == tokens and view.note == ""


def test_merge_subwords_sums_keys_and_averages_queries():
    view = merge_subwords(M, PLAYING)
    assert [t.text for t in view.tokens] == ["[CLS]", "playing", "run", "[SEP]"]
    assert (view.tokens[1].start, view.tokens[1].end) == (0, 7)
    expected = np.array(
        [
            [0.4, 0.2, 0.2, 0.2],
            [(0.5 + 0.1) / 2, (0.3 + 0.6) / 2, (0.1 + 0.2) / 2, (0.1 + 0.1) / 2],
            [0.2, 0.4, 0.2, 0.2],
            [0.0, 0.5, 0.5, 0.0],
        ]
    )
    np.testing.assert_allclose(view.matrix, expected, atol=1e-6)
    np.testing.assert_allclose(view.matrix.sum(axis=-1), 1.0, atol=1e-6)
    assert "5 tokens merged into 4 words" in view.note


@pytest.mark.parametrize(
    "tokens, groups",
    [
        ((Token("我", 0, 1, False), Token("爱", 1, 2, False)), [[0], [1]]),
        ((Token("play", 0, 4, False), Token("ing", 4, 7, False)), [[0, 1]]),
        ((Token("don", 0, 3, False), Token("'", 3, 4, False), Token("t", 4, 5, False)), [[0], [1], [2]]),
        ((Token("the", 0, 3, False), Token("cat", 4, 7, False)), [[0], [1]]),
        ((CLS, Token("##s", None, None, False)), [[0], [1]]),
    ],
    ids=["cjk", "byte-level", "apostrophe", "space", "after-special"],
)
def test_word_groups(tokens, groups):
    assert word_groups(tokens) == groups


def test_apply_views_merges_then_hides():
    view = apply_views(M, PLAYING, hide=True, merge=True)
    assert [t.text for t in view.tokens] == ["playing", "run"]
    np.testing.assert_allclose(view.matrix.sum(axis=-1), 1.0, atol=1e-6)
    assert "merged" in view.note and "hidden" in view.note


def test_views_reject_mismatched_tokens():
    with pytest.raises(ValueError):
        hide_special(np.eye(3), PLAYING)
