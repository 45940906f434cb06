"""Gradient-weighted rollout against a direct implementation (backward hooks, loops over heads)."""

import numpy as np
import pytest

import attnviz
from attnviz.grad_rollout import accumulate
from attnviz.loading import LoadedModel
from tests.test_value_norms import TEXT, _tiny_causal


def _direct(model, ids, pick):
    """Chefer et al. 2021 written out: retain_grad on each attention, one backward, loops over layers and heads."""
    out = model(input_ids=ids, output_attentions=True)
    for a in out.attentions:
        a.retain_grad()
    pick(out).backward()
    n = ids.shape[1]
    relevance = np.eye(n)
    for a in out.attentions:
        att, grad = a[0].detach().double().numpy(), a.grad[0].double().numpy()
        mixed = np.zeros((n, n))
        for head in range(att.shape[0]):
            mixed += np.clip(grad[head] * att[head], 0.0, None) / att.shape[0]
        relevance = relevance + mixed @ relevance
    model.zero_grad(set_to_none=True)
    return relevance


@pytest.mark.parametrize("target", ["negative", "positive"])
def test_grad_rollout_equals_direct_implementation(tiny_classifier, target):
    import torch

    result = attnviz.grad_rollout(TEXT, target, tiny_classifier)
    ids = torch.tensor([tiny_classifier.tokenizer(TEXT)["input_ids"]])
    index = tiny_classifier.labels.index(target)
    expected = _direct(tiny_classifier.model, ids, lambda out: torch.softmax(out.logits[0], -1)[index])
    np.testing.assert_allclose(result.relevance, expected, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(result.scores, expected[0], rtol=1e-5, atol=1e-8)
    assert result.target == target and result.query == 0
    assert not np.allclose(result.relevance, np.eye(len(result.tokens)))


def test_grad_rollout_equals_direct_implementation_on_builtin_model(builtin_model):
    import torch

    text = "The film was not good at all."
    result = attnviz.grad_rollout(text, "negative", builtin_model)
    ids = torch.tensor([builtin_model.tokenizer(text)["input_ids"]])
    index = builtin_model.labels.index("negative")
    expected = _direct(builtin_model.model, ids, lambda out: torch.softmax(out.logits[0], -1)[index])
    np.testing.assert_allclose(result.relevance, expected, rtol=1e-4, atol=1e-7)
    assert np.abs(result.relevance - np.eye(len(result.tokens))).max() > 1e-5  # saturated p: small gradients


def test_grad_rollout_defaults_to_the_prediction(tiny_classifier):
    predicted = attnviz.analyze(TEXT, tiny_classifier).prediction.top_label
    assert attnviz.grad_rollout(TEXT, model=tiny_classifier).target == predicted


def test_grad_rollout_of_a_causal_lm_reads_the_last_token(tiny_classifier):
    import torch

    loaded = _tiny_causal("llama", tiny_classifier.tokenizer)
    result = attnviz.grad_rollout(TEXT, model=loaded)
    ids = torch.tensor([tiny_classifier.tokenizer(TEXT)["input_ids"]])
    with torch.no_grad():
        top = int(loaded.model(input_ids=ids).logits[0, -1].argmax())
    expected = _direct(loaded.model, ids, lambda out: torch.softmax(out.logits[0, -1], -1)[top])
    assert result.query == len(result.tokens) - 1
    np.testing.assert_allclose(result.scores, expected[-1], rtol=1e-5, atol=1e-8)


def test_accumulate_pure_cases():
    np.testing.assert_allclose(accumulate(np.zeros((2, 4, 4))), np.eye(4))  # nothing mixed: every token its own
    np.testing.assert_allclose(accumulate(np.full((1, 4, 4), 0.25)), np.eye(4) + 0.25)
    two = accumulate(np.stack([np.eye(4), np.full((4, 4), 0.25)]))  # R = I + I·I = 2I, then 2I + Ā·2I
    np.testing.assert_allclose(two, 2 * np.eye(4) + 0.5)


def test_grad_rollout_rejects_bad_lm_target(tiny_classifier):
    loaded = LoadedModel("lm", _tiny_causal("gpt2", tiny_classifier.tokenizer).model, tiny_classifier.tokenizer,
                         "causal", "cpu", 64)
    with pytest.raises(attnviz.InputError):
        attnviz.grad_rollout(TEXT, target="positive", model=loaded)
