"""Attention rollout against a direct NumPy implementation of Abnar & Zuidema (2020)."""

from functools import reduce

import numpy as np
import pytest

import attnviz
from attnviz.rollout import raw_attention, rollout


def _random_attentions(layers=3, heads=2, n=5, seed=0):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(layers, heads, n, n))
    weights = np.exp(scores)
    return (weights / weights.sum(axis=-1, keepdims=True)).astype(np.float32)


def _direct_rollout(att, start=0):
    """Written straight from the paper: Ã_l = norm(0.5·mean_h A_l + 0.5·I), rollout = Ã_L ⋯ Ã_start."""
    n = att.shape[-1]
    mixed = []
    for layer in range(start, att.shape[0]):
        a = np.zeros((n, n))
        for h in range(att.shape[1]):
            a += att[layer, h].astype(np.float64) / att.shape[1]
        a = 0.5 * a + 0.5 * np.eye(n)
        for i in range(n):
            a[i] /= a[i].sum()
        mixed.append(a)
    return reduce(lambda acc, a: a @ acc, mixed, np.eye(n))


@pytest.mark.parametrize("start", [0, 1, 2], ids=["from-first", "from-second", "last-only"])
def test_rollout_matches_direct_numpy(start):
    att = _random_attentions()
    np.testing.assert_allclose(rollout(att, start_layer=start), _direct_rollout(att, start), atol=1e-6)


def test_rollout_rows_sum_to_one():
    result = rollout(_random_attentions(layers=4, n=7, seed=3))
    np.testing.assert_allclose(result.sum(axis=-1), 1.0, atol=1e-9)


def test_rollout_of_self_attention_is_identity():
    att = np.broadcast_to(np.eye(4), (2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(rollout(att), np.eye(4), atol=1e-12)


def test_rollout_rejects_bad_start_layer():
    with pytest.raises(ValueError):
        rollout(_random_attentions(layers=2), start_layer=2)


def test_raw_attention_is_first_row_of_last_layer_mean():
    att = _random_attentions()
    np.testing.assert_allclose(raw_attention(att), att[-1, :, 0, :].mean(axis=0), atol=1e-7)


def test_rollout_of_a_real_analysis(tiny_classifier):
    analysis = attnviz.analyze("the cat sat on the mat", tiny_classifier)
    result = attnviz.rollout(analysis)
    assert result.shape == (analysis.n_tokens, analysis.n_tokens)
    np.testing.assert_allclose(result, _direct_rollout(analysis.attentions), atol=1e-6)
