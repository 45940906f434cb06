import numpy as np
import pytest

from attnviz.errors import AttentionError
from attnviz.extraction import stack_attentions


def _layer(h=2, t=3, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.random((1, h, t, t)).astype(np.float32)
    return a / a.sum(-1, keepdims=True)


def test_stack_attentions_shape_and_dtype():
    att = stack_attentions([_layer(seed=0), _layer(seed=1)], 2)
    assert att.shape == (2, 2, 3, 3) and att.dtype == np.float32


def test_stack_attentions_empty_tuple_names_eager():
    with pytest.raises(AttentionError, match="eager"):
        stack_attentions((), 2)


@pytest.mark.parametrize(
    "layers",
    [
        [_layer()],
        [_layer(), _layer(t=4)],
        [_layer()[0], _layer()[0]],
        [_layer(), np.full((1, 2, 3, 3), np.nan, dtype=np.float32)],
        [_layer(), np.full((1, 2, 3, 3), 0.5, dtype=np.float32)],
    ],
    ids=["too-few", "shape-mismatch", "missing-batch", "nan", "rows-not-1"],
)
def test_stack_attentions_rejects_bad_output(layers):
    with pytest.raises(AttentionError):
        stack_attentions(layers, 2)


def test_sdpa_loaded_model_raises_typed_error(tiny_classifier_dir):
    """transformers 5 returns an empty tuple of attentions with SDPA; the loader's validation must catch it."""
    from transformers import AutoModelForSequenceClassification

    import attnviz
    from attnviz.extraction import forward

    loaded = attnviz.load_model(str(tiny_classifier_dir))
    sdpa = AutoModelForSequenceClassification.from_pretrained(str(tiny_classifier_dir), attn_implementation="sdpa").eval()
    loaded.model = sdpa
    with pytest.raises(AttentionError):
        forward(loaded, [2, 5, 6, 3])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_non_finite_weight_is_caught(bad):
    layer = _layer()
    layer[0, 1, 2, 0] = bad
    with pytest.raises(AttentionError, match="NaN or infinity"):
        stack_attentions([_layer(), layer], 2)


def _cross_layer(t=3, s=5, seed=0):
    x = np.random.default_rng(seed).random((1, 2, t, s))
    return x / x.sum(axis=-1, keepdims=True)


def test_stack_attentions_takes_rectangular_cross_attention_only_when_asked():
    att = stack_attentions([_cross_layer(), _cross_layer(seed=1)], 2, square=False)
    assert att.shape == (2, 2, 3, 5)
    with pytest.raises(AttentionError, match="tokens, tokens"):
        stack_attentions([_cross_layer()], 1)
    with pytest.raises(AttentionError, match="target tokens, source tokens"):
        stack_attentions([_cross_layer(), _cross_layer(s=4)], 2, square=False)
