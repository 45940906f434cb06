import numpy as np
import pytest

from attnviz.classification import (
    DEFAULT_LABELS, format_label_spec, from_logits, mean_pool, parse_label_spec, softmax, zero_shot,
)


def test_softmax_sums_to_one_and_is_stable():
    p = softmax(np.array([1000.0, 1001.0, 999.0]))
    assert np.isfinite(p).all() and abs(p.sum() - 1) < 1e-6 and p.argmax() == 1


def test_from_logits_keeps_label_order():
    pred = from_logits(np.array([0.0, 2.0]), ("negative", "positive"))
    assert pred.labels == ("negative", "positive") and pred.top_label == "positive"


def test_mean_pool_is_unit_length():
    v = mean_pool(np.array([[3.0, 0.0], [3.0, 8.0]]))
    assert np.allclose(v, [0.6, 0.8])


def test_zero_shot_prefers_the_closer_label():
    pred = zero_shot(np.array([[1.0, 0.0], [3.0, 0.5]]), {"a": np.array([0.9, 0.1]), "b": np.array([0.0, 1.0])})
    assert pred.top_label == "a" and pred.method == "zero-shot" and abs(pred.probs.sum() - 1) < 1e-6


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("pos: good; great\nneg: bad", {"pos": ("good", "great"), "neg": ("bad",)}),
        ("sports\n\npolitics:", {"sports": ("sports",), "politics": ("politics",)}),
        (": orphan\n  ", {}),
    ],
    ids=["descriptions", "bare-names", "junk"],
)
def test_parse_label_spec(spec, expected):
    assert parse_label_spec(spec) == expected


def test_label_spec_roundtrip():
    assert parse_label_spec(format_label_spec(DEFAULT_LABELS)) == DEFAULT_LABELS
    assert all(len(d) == 4 for d in DEFAULT_LABELS.values())


def test_analyze_attribute_and_evaluate_share_one_zero_shot_head(tiny_encoder, monkeypatch):
    """One head, so the three can never drift apart (they used to pool and score in three places)."""
    import attnviz
    from attnviz import classification
    from attnviz.evaluate import predict

    calls = []
    real = classification.zero_shot_logits
    monkeypatch.setattr(classification, "zero_shot_logits", lambda *a: calls.append(len(a[0])) or real(*a))
    text = "the cat sat on the mat"
    analysed = attnviz.analyze(text, tiny_encoder).prediction
    assert calls == [1]
    explained = attnviz.attribute(text, "gradient_x_input", model=tiny_encoder)
    assert len(calls) > 1
    evaluated, _ = predict(tiny_encoder, [text, "a dog"])
    assert calls[-1] == 2
    assert evaluated[0] == analysed.top_label == explained.target
    np.testing.assert_allclose(explained.f_input, analysed.probs.max(), atol=1e-5)
