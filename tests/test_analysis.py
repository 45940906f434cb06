import numpy as np
import pytest

import attnviz
from attnviz.analysis import truncation_message
from attnviz.errors import InputError


def _check(analysis, max_tokens):
    att = analysis.attentions
    n = analysis.n_tokens
    assert att.dtype == np.float32 and att.shape[2:] == (n, n) and n <= max_tokens
    assert np.isfinite(att).all()
    assert np.allclose(att.sum(-1, dtype=np.float32), 1.0, atol=1e-5)


def test_analyze_tiny_classifier(tiny_classifier):
    a = attnviz.analyze("the cat sat on the mat", tiny_classifier)
    _check(a, 64)
    assert a.attentions.shape[:2] == (2, 4)
    assert a.prediction.labels == ("negative", "positive") and a.prediction.method == "classifier"
    assert abs(float(a.prediction.probs.sum()) - 1) < 1e-6
    assert [t.text for t in a.tokens] == ["[CLS]", "the", "cat", "sat", "on", "the", "mat", "[SEP]"]
    assert not a.truncated and a.total_tokens == 8


def test_analyze_is_deterministic(tiny_classifier):
    """Dropout is off: two runs give identical numbers."""
    a = attnviz.analyze("the cat sat", tiny_classifier)
    b = attnviz.analyze("the cat sat", tiny_classifier)
    assert np.array_equal(a.attentions, b.attentions)


def test_analyze_tiny_encoder_zero_shot_with_custom_labels(tiny_encoder):
    a = attnviz.analyze("the film was good", tiny_encoder, labels={"x": ["good film"], "y": ["bad film"], "z": ["cat"]})
    _check(a, 64)
    assert a.prediction.labels == ("x", "y", "z") and a.prediction.method == "zero-shot"


def test_analyze_truncates_and_says_so(tiny_classifier):
    a = attnviz.analyze("the cat " * 100, tiny_classifier)
    _check(a, 64)
    assert a.truncated and a.n_tokens == 64 and a.total_tokens == 202
    assert truncation_message(a) == "The text is longer than the model accepts: showing the first 64 of 202 tokens."


def test_analyze_max_tokens_argument(tiny_classifier):
    a = attnviz.analyze("the cat sat on the mat", tiny_classifier, max_tokens=4)
    assert a.n_tokens == 4 and a.truncated and a.tokens[-1].special


def test_analyze_rejects_empty_text(tiny_classifier):
    with pytest.raises(InputError, match="Enter some text"):
        attnviz.analyze("  \n", tiny_classifier)


def test_analyze_one_megabyte_paste(tiny_classifier):
    a = attnviz.analyze("the cat " * 131_072, tiny_classifier)
    assert a.truncated and a.chars_dropped > 0 and "characters were read" in truncation_message(a)


def test_head_mask_all_off_changes_the_output(tiny_classifier):
    base = attnviz.analyze("the cat sat on the mat", tiny_classifier)
    masked = attnviz.analyze("the cat sat on the mat", tiny_classifier, head_mask=np.zeros((2, 4)))
    assert np.abs(base.prediction.probs - masked.prediction.probs).max() > 1e-5


@pytest.mark.parametrize(
    "text",
    ["The movie was not good at all.", "我爱学习编程", "the cat and the other cat saw the cat",
     "<b>bold</b> <a href='http://x'>link</a> <script>alert(1)</script>", "مرحبا بالعالم 👩‍👩‍👧 e\u0301\u0301",
     "a\ud800b\x00c\x1b[31m"],
    ids=["english", "chinese", "repeated", "html", "rtl-emoji-combining", "surrogate-nul-ansi"],
)
@pytest.mark.parametrize("which", ["builtin_model", "builtin_zero_shot"], ids=["classifier", "zero-shot"])
def test_analyze_builtin_on_hard_inputs(which, text, request):
    model = request.getfixturevalue(which)
    a = attnviz.analyze(text, model)
    _check(a, 512)
    assert a.attentions.shape[:2] == (6, 12)
    assert a.prediction is not None and abs(float(a.prediction.probs.sum()) - 1) < 1e-5
    for tok in a.tokens:
        if tok.start is not None:
            assert 0 <= tok.start < tok.end <= len(a.text)


def test_analyze_accepts_a_model_name(tiny_classifier_dir):
    a = attnviz.analyze("the cat", str(tiny_classifier_dir))
    assert a.model_name == str(tiny_classifier_dir)


def test_masking_one_head_matches_zeroing_its_slice_by_hand(tiny_classifier):
    """Switching head (1, 2) off equals removing its value output before the output projection."""
    import torch

    mask = np.ones((2, 4))
    mask[1, 2] = 0
    masked = attnviz.analyze("the cat sat on the mat", tiny_classifier, head_mask=mask)
    model = tiny_classifier.model
    dense = model.bert.encoder.layer[1].attention.output.dense
    seen = {}

    def zero_head(module, args):
        x = args[0].clone()
        x[..., 2 * 8 : 3 * 8] = 0
        seen["ok"] = True
        return (x,)

    handle = dense.register_forward_pre_hook(zero_head)
    try:
        ids = torch.tensor([tiny_classifier.tokenizer("the cat sat on the mat")["input_ids"]])
        with torch.inference_mode():
            logits = model(input_ids=ids).logits[0].numpy()
    finally:
        handle.remove()
    assert seen["ok"]
    from attnviz.classification import softmax

    assert np.allclose(masked.prediction.probs, softmax(logits), atol=1e-6)


def test_analyze_many_is_one_forward_and_matches_one_by_one(monkeypatch, tiny_classifier):
    """Texts of different lengths batched with padding give each text exactly its own attention."""
    from attnviz import extraction

    texts = ["the film was good", "the film was not good at all !", "我 爱"]
    single = [attnviz.analyze(t, tiny_classifier) for t in texts]
    calls = []
    real = extraction._forward
    monkeypatch.setattr(extraction, "_forward", lambda *a, **k: calls.append(len(a[1])) or real(*a, **k))
    batched = attnviz.analyze_many(texts, tiny_classifier)
    assert calls == [3]
    for one, many in zip(single, batched):
        assert one.tokens == many.tokens
        assert many.attentions.shape == one.attentions.shape
        np.testing.assert_allclose(many.attentions, one.attentions, atol=1e-5)
        np.testing.assert_allclose(many.prediction.probs, one.prediction.probs, atol=1e-5)
        assert np.abs(many.attentions.sum(-1) - 1).max() < 1e-5


def test_analyze_many_zero_shot_encoder(tiny_encoder_dir):
    model = attnviz.load_model(str(tiny_encoder_dir))
    a, b = attnviz.analyze_many(["the cat sat", "a dog ran on the mat"], model)
    np.testing.assert_allclose(a.prediction.probs, attnviz.analyze("the cat sat", model).prediction.probs, atol=1e-5)
    assert a.n_tokens < b.n_tokens


def test_analyze_default_is_the_trained_classifier(builtin_model, monkeypatch):
    from attnviz import analysis

    monkeypatch.setattr(analysis, "load_model", lambda *a, **k: pytest.fail("a second copy of the model was loaded"))
    a = attnviz.analyze("A wonderful film.")
    assert a.model_name == attnviz.BUILTIN_NAME
    assert a.prediction.method == "classifier" and a.prediction.labels == ("negative", "positive")


def test_analyze_builtin_zero_shot_keeps_editable_labels(builtin_zero_shot):
    labels = {"sport": ["football, tennis, a match"], "food": ["a meal, cooking, a recipe"]}
    a = attnviz.analyze("We cooked pasta with tomato sauce for dinner.", builtin_zero_shot, labels=labels)
    assert a.prediction.method == "zero-shot" and a.prediction.labels == ("sport", "food")
    assert a.prediction.top_label == "food"
