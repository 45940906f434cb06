"""Gradient attributions: IG completeness, gradient × input by hand, targets, rank agreement."""

import numpy as np
import pandas as pd
import pytest

import attnviz
from attnviz.attribution import METHODS, rank_agreement, rank_correlation
from attnviz.errors import InputError
from tests.hand_tokens import bert_tokens


def _complete(attribution):
    total = float(attribution.scores.sum())
    assert total != 0.0
    assert abs(attribution.convergence_delta) <= 0.05 * abs(total)
    assert total == pytest.approx(attribution.f_input - attribution.f_baseline, abs=0.05 * abs(total))


@pytest.mark.parametrize("text", ["the film was not good", "i love the movie ! it is great"], ids=["neg", "pos"])
def test_integrated_gradients_complete_on_tiny_classifier(tiny_classifier, text):
    attribution = attnviz.attribute(text, model=tiny_classifier)
    _complete(attribution)
    assert attribution.output.startswith("logit of")
    assert attribution.n_steps >= 50


@pytest.mark.parametrize("text", ["The film was not good.", "A wonderful, warm and funny story."], ids=["neg", "pos"])
def test_integrated_gradients_complete_on_builtin_model(builtin_model, text):
    attribution = attnviz.attribute(text, model=builtin_model)
    _complete(attribution)
    # Whatever the built-in model is (zero-shot encoder or classifier), the quantity is named.
    assert attribution.output.startswith(("logit of", "zero-shot probability of"))
    assert attribution.target in attnviz.analyze(text, builtin_model).prediction.labels


def test_integrated_gradients_complete_on_zero_shot_encoder(tiny_encoder):
    attribution = attnviz.attribute("the cat sat on the mat", model=tiny_encoder)
    _complete(attribution)
    assert attribution.output.startswith("zero-shot probability of")


def test_special_tokens_get_no_integrated_gradients(tiny_classifier):
    attribution = attnviz.attribute("the dog sat", model=tiny_classifier)
    special = np.array([t.special for t in attribution.tokens])
    assert special.any()
    np.testing.assert_allclose(attribution.scores[special], 0.0, atol=1e-9)


def test_gradient_times_input_matches_autograd(tiny_classifier):
    import torch

    text = "the film was good"
    attribution = attnviz.attribute(text, method="gradient_x_input", target="positive", model=tiny_classifier)
    model, tokenizer = tiny_classifier.model, tiny_classifier.tokenizer
    ids = torch.tensor([tokenizer(text)["input_ids"]])
    embeds = model.get_input_embeddings()(ids).detach().requires_grad_(True)
    logit = model(inputs_embeds=embeds, attention_mask=torch.ones_like(ids)).logits[0, 1]
    (grad,) = torch.autograd.grad(logit, embeds)
    expected = (grad * embeds).sum(dim=-1)[0].detach().double().numpy()
    np.testing.assert_allclose(attribution.scores, expected, rtol=1e-4, atol=1e-7)
    assert attribution.convergence_delta is None and attribution.target == "positive"


def test_target_defaults_to_the_prediction_and_can_be_chosen(tiny_classifier):
    text = "the cat sat on the mat"
    predicted = attnviz.analyze(text, tiny_classifier).prediction.top_label
    assert attnviz.attribute(text, model=tiny_classifier).target == predicted
    other = next(label for label in tiny_classifier.labels if label != predicted)
    chosen = attnviz.attribute(text, target=other, model=tiny_classifier)
    assert chosen.target == other and chosen.output == f"logit of '{other}'"


@pytest.mark.parametrize(
    "kwargs", [{"method": "saliency"}, {"target": "neutral"}, {"n_steps": 10}], ids=["method", "target", "steps"]
)
def test_attribute_rejects_bad_arguments(tiny_classifier, kwargs):
    with pytest.raises(InputError):
        attnviz.attribute("the cat", model=tiny_classifier, **kwargs)


def test_methods_are_named():
    assert set(METHODS) == {"integrated_gradients", "gradient_x_input"}


@pytest.mark.parametrize(
    "x, y",
    [([1, 2, 3, 4], [10, 20, 30, 40]), ([1, 2, 3, 4], [4, 3, 2, 1]), ([1, 2, 2, 5, 0], [3, 1, 1, 9, 2])],
    ids=["monotone", "reversed", "ties"],
)
def test_rank_correlation_matches_pandas_spearman(x, y):
    expected = pd.Series(x, dtype=float).corr(pd.Series(y, dtype=float), method="spearman")
    assert rank_correlation(np.array(x), np.array(y)) == pytest.approx(expected)


def test_rank_correlation_of_a_constant_is_nan():
    assert np.isnan(rank_correlation(np.ones(4), np.arange(4)))


def test_rank_agreement_leaves_special_tokens_out():
    tokens = bert_tokens("a b c", "a", "b", "c")
    # The special tokens alone would reverse the order; without them the words agree perfectly.
    scores = {"x": np.array([9.0, 1, 2, 3, -9]), "y": np.array([-9.0, 10, 20, 30, 9])}
    assert rank_agreement(scores, tokens) == {("x", "y"): pytest.approx(1.0)}


@pytest.mark.parametrize("n_steps", [50, 51])
def test_integrated_gradients_equal_captums_whichever_thread_takes_which_steps(tiny_classifier, n_steps):
    """Our Gauss–Legendre sum, its steps shared between two threads, against Captum's IntegratedGradients."""
    import threading

    import torch
    from captum.attr import IntegratedGradients

    from attnviz.attribution import integrated_gradients

    torch.manual_seed(0)
    w = torch.randn(6, 3, dtype=torch.float64)
    f = lambda e: torch.tanh(e @ w).sum(dim=(1, 2)) ** 2  # noqa: E731  a non-linear f: [B, T, 6] -> [B]
    x, baseline = torch.randn(1, 4, 6, dtype=torch.float64), torch.randn(1, 4, 6, dtype=torch.float64)
    threads = set()

    def both(first, second):
        box = []
        helper = threading.Thread(target=lambda: box.append(first()))
        helper.start()
        other = second()
        threads.update({helper.ident, threading.get_ident()})
        helper.join()
        return box[0], other

    ours = integrated_gradients(f, x, baseline, n_steps, both)
    reference = IntegratedGradients(f).attribute(x, baselines=baseline, n_steps=n_steps)
    assert len(threads) == 2
    torch.testing.assert_close(ours, reference, atol=1e-6, rtol=1e-6)
    # and the library's own IG on a model is complete with the two threads
    result = attnviz.attribute("the film was not good", "integrated_gradients", model=tiny_classifier)
    assert abs(result.convergence_delta) < 1e-3 * max(1.0, abs(result.f_input - result.f_baseline))
