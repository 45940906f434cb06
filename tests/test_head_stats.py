"""Head statistics on hand-made attention with known answers, and ablation through head masking."""

import numpy as np
import pytest

import attnviz
from attnviz.head_stats import attention_statistics, is_punctuation
from attnviz.types import Token
from tests.hand_tokens import bert_tokens

TOKENS = bert_tokens("the cat,", "the", "cat", ",")
N = len(TOKENS)


def _stats(matrix):
    return attention_statistics(np.asarray(matrix, dtype=np.float32)[None, None], TOKENS)


def test_self_attention_head():
    stats = _stats(np.eye(N))
    assert stats.entropy[0, 0] == pytest.approx(0.0)
    assert stats.mean_distance[0, 0] == pytest.approx(0.0)
    assert stats.previous_token[0, 0] == pytest.approx(0.0) and stats.next_token[0, 0] == pytest.approx(0.0)
    assert stats.special_share[0, 0] == pytest.approx(2 / N)  # the two special rows attend to themselves
    assert stats.punctuation_share[0, 0] == pytest.approx(1 / N)


def test_previous_token_head():
    shift = np.eye(N, k=-1)
    shift[0, 0] = 1.0  # the first token has no previous one: it attends to itself
    stats = _stats(shift)
    assert stats.previous_token[0, 0] == pytest.approx(1.0)
    assert stats.next_token[0, 0] == pytest.approx(0.0)
    assert stats.mean_distance[0, 0] == pytest.approx((N - 1) / N)
    assert stats.entropy[0, 0] == pytest.approx(0.0)


def test_next_token_head():
    shift = np.eye(N, k=1)
    shift[-1, -1] = 1.0
    stats = _stats(shift)
    assert stats.next_token[0, 0] == pytest.approx(1.0) and stats.previous_token[0, 0] == pytest.approx(0.0)


def test_uniform_head():
    stats = _stats(np.full((N, N), 1 / N))
    assert stats.entropy[0, 0] == pytest.approx(np.log2(N))
    assert stats.special_share[0, 0] == pytest.approx(2 / N)
    assert stats.punctuation_share[0, 0] == pytest.approx(1 / N)
    # Mean |i - j| over a uniform 5×5 grid: sum of |i - j| is 40, over 25 cells.
    assert stats.mean_distance[0, 0] == pytest.approx(40 / 25)
    assert stats.previous_token[0, 0] == pytest.approx(1 / N)


def test_all_on_cls_head():
    matrix = np.zeros((N, N))
    matrix[:, 0] = 1.0
    stats = _stats(matrix)
    assert stats.special_share[0, 0] == pytest.approx(1.0)
    assert stats.mean_distance[0, 0] == pytest.approx(sum(range(N)) / N)


def test_statistics_keep_layer_and_head_positions():
    att = np.stack([np.stack([np.eye(N), np.full((N, N), 1 / N)])] * 2)  # [2 layers, 2 heads, N, N]
    stats = attention_statistics(att, TOKENS)
    assert stats.entropy.shape == (2, 2)
    assert stats.entropy[1, 0] == pytest.approx(0.0) and stats.entropy[1, 1] == pytest.approx(np.log2(N))
    rows = stats.rows()
    assert len(rows) == 4 and rows[1]["layer"] == 0 and rows[1]["head"] == 1 and "importance" not in rows[1]


@pytest.mark.parametrize(
    "token, expected",
    [(Token(",", 0, 1, False), True), (Token("?!", 0, 2, False), True), (Token("a,", 0, 2, False), False),
     (Token("[SEP]", None, None, True), False), (Token("##.", 0, 1, False), True), (Token("。", 0, 1, False), True)],
    ids=["comma", "two-marks", "mixed", "special", "subword", "cjk-full-stop"],
)
def test_is_punctuation(token, expected):
    assert is_punctuation(token) is expected


def test_statistics_reject_mismatched_tokens():
    with pytest.raises(ValueError):
        attention_statistics(np.ones((1, 1, 3, 3)) / 3, TOKENS)


@pytest.mark.parametrize("model", ["tiny_classifier", "builtin_model"])
def test_ablating_every_head_changes_the_prediction(model, request):
    loaded = request.getfixturevalue(model)
    text = "the film was not good"
    full = attnviz.analyze(text, loaded).prediction
    kept = attnviz.ablate(text, np.ones((loaded.n_layers, loaded.n_heads)), loaded)
    none = attnviz.ablate(text, np.zeros((loaded.n_layers, loaded.n_heads)), loaded)
    # The tiny random classifier's probabilities sit near 0.5, so "changed" means far above float32 noise.
    np.testing.assert_allclose(kept.probs, full.probs, atol=1e-7)
    assert np.abs(none.probs - full.probs).max() > 1e-5


def _one_head_at_a_time(text, loaded, labels=None):
    """The reference: one full ``ablate`` forward pass per head, on the model's real masking path."""
    full = attnviz.ablate(text, np.ones((loaded.n_layers, loaded.n_heads)), loaded, labels)
    top = int(np.argmax(full.probs))
    importance = np.zeros((loaded.n_layers, loaded.n_heads))
    for layer in range(loaded.n_layers):
        for head in range(loaded.n_heads):
            mask = np.ones_like(importance)
            mask[layer, head] = 0.0
            importance[layer, head] = full.probs[top] - attnviz.ablate(text, mask, loaded, labels).probs[top]
    return importance


@pytest.mark.parametrize("model", ["tiny_classifier", "tiny_encoder"])
def test_batched_head_importance_equals_one_head_at_a_time(model, request):
    loaded = request.getfixturevalue(model)
    text = "i love the movie , it was not bad"
    importance = attnviz.head_importance(text, loaded)
    assert importance.shape == (loaded.n_layers, loaded.n_heads)
    np.testing.assert_allclose(importance, _one_head_at_a_time(text, loaded), atol=1e-5, rtol=0)
    assert np.abs(importance).max() > 1e-5


def test_head_importance_in_several_chunks_reports_progress(tiny_classifier, monkeypatch):
    from attnviz import head_stats

    # Three rows per chunk: the 9 masks (full model + 8 heads) take three chunks, the first holding the full model.
    text = "the cat sat on a mat"
    n = attnviz.analyze(text, tiny_classifier).n_tokens
    monkeypatch.setattr(head_stats, "_CELLS_PER_CHUNK", 3 * tiny_classifier.n_heads * n * n)
    seen = []
    importance = attnviz.head_importance(text, tiny_classifier, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(3, 9), (6, 9), (9, 9)]
    np.testing.assert_allclose(importance, _one_head_at_a_time(text, tiny_classifier), atol=1e-5, rtol=0)


def test_single_head_masks_switch_each_head_off_once():
    masks = attnviz.head_stats.single_head_masks(2, 3)
    assert masks.shape == (7, 2, 3) and masks[0].min() == 1.0
    assert (masks[1:] == 0).sum() == 6 and masks[1 + 1 * 3 + 2, 1, 2] == 0.0


def test_head_statistics_attaches_importance(tiny_classifier):
    analysis = attnviz.analyze("the cat sat", tiny_classifier)
    importance = np.arange(8, dtype=float).reshape(2, 4)
    stats = attnviz.head_statistics(analysis, importance)
    assert stats.rows()[5]["importance"] == 5.0
    with pytest.raises(ValueError):
        attnviz.head_statistics(analysis, np.zeros((3, 3)))
