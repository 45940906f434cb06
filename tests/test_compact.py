"""Long texts kept layer by layer (attnviz.compact) give what the full tensor gives, for tiny Llama and GPT-2."""

import numpy as np
import pytest

import attnviz
from attnviz import figures
from attnviz.compact import SLOTS, FullTensorNeeded, LayerStore
from attnviz.head_stats import STAT_NAMES, head_statistics
from attnviz.head_types import TYPES, head_types
from attnviz.rollout import raw_attention, rollout
from tests.decoders import CORPUS


@pytest.fixture(scope="module")
def pair(tiny_decoder):
    """(full, compact) analyses of the same text; the compact one keeps only its last layer in full."""
    full = attnviz.analyze(CORPUS, tiny_decoder)
    compact = attnviz.analyze(CORPUS, tiny_decoder, compact_bytes=0, keep_layers=(-1,))
    return full, compact


def test_compact_only_past_the_threshold(tiny_decoder, pair):
    full, compact = pair
    assert isinstance(compact.attentions, LayerStore) and isinstance(full.attentions, np.ndarray)
    roomy = attnviz.analyze(CORPUS, tiny_decoder, compact_bytes=full.attentions.nbytes)
    assert isinstance(roomy.attentions, np.ndarray)
    assert compact.attentions.shape == full.attentions.shape and compact.n_layers == full.n_layers


def test_compact_layers_equal_the_full_tensor_kept_or_recomputed(pair):
    full, compact = pair
    store = compact.attentions
    assert store.holds(full.n_layers - 1) and not store.holds(0)
    for layer in range(full.n_layers):
        np.testing.assert_array_equal(store[layer], full.attentions[layer])
    np.testing.assert_array_equal(store[0, 1, 3], full.attentions[0, 1, 3])
    assert store.holds(0) and not store[0].flags.writeable


def test_compact_statistics_and_head_types_equal_the_full_ones(pair):
    full, compact = pair
    fs, cs = head_statistics(full), head_statistics(compact)
    for name in STAT_NAMES:
        np.testing.assert_allclose(getattr(cs, name), getattr(fs, name), rtol=1e-5, atol=1e-5, err_msg=name)
    ft, ct = head_types(full), head_types(compact)
    for name in TYPES:
        np.testing.assert_allclose(getattr(ct, name), getattr(ft, name), rtol=1e-5, atol=1e-6, err_msg=name)


def test_compact_rollout_raw_attention_mean_and_overview(pair):
    full, compact = pair
    np.testing.assert_allclose(rollout(compact), rollout(full), atol=1e-5)
    for query in (0, full.n_tokens - 1, 3):
        np.testing.assert_allclose(raw_attention(compact, query), raw_attention(full, query), atol=1e-6)
    np.testing.assert_allclose(compact.attentions.summary.mean, full.attentions.mean(axis=(0, 1)), atol=1e-6)
    # The overview's block means are kept in float16: at most one of its 250 colour levels apart.
    grid_full, _ = figures.overview_grid(full.attentions)
    grid_compact, _ = figures.overview_grid(compact.attentions)
    assert np.abs(grid_full.astype(int) - grid_compact.astype(int)).max() <= 1


def test_compact_prediction_equals_the_full_one(pair):
    full, compact = pair
    assert compact.prediction.labels == full.prediction.labels
    np.testing.assert_allclose(compact.prediction.probs, full.prediction.probs, atol=1e-6)


def test_compact_store_refuses_the_whole_tensor_and_bounds_its_bytes(pair):
    full, compact = pair
    store = compact.attentions
    with pytest.raises(FullTensorNeeded, match="one layer at a time"):
        np.asarray(store)
    with pytest.raises(FullTensorNeeded):
        store[:, 0]
    for layer in range(full.n_layers):
        store.layer(layer)
    assert sum(store.holds(layer) for layer in range(full.n_layers)) == min(SLOTS, full.n_layers)
    assert store.nbytes == store.summary.nbytes + SLOTS * full.attentions[0].nbytes
