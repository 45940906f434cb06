"""The first-token cut: a classifier's last layer past attention for [CLS] alone gives the full forward's numbers."""

import threading

import numpy as np
import pytest

from attnviz.first_token import cut_point, first_token_only

TEXT = "the film was not good at all , i love it"


def _random_classifier(kind: str):
    import torch
    from transformers import BertConfig, BertForSequenceClassification, RobertaConfig, RobertaForSequenceClassification

    torch.manual_seed(3)
    common = dict(vocab_size=60, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                  max_position_embeddings=64, num_labels=3, attn_implementation="eager")
    if kind == "bert":
        return BertForSequenceClassification(BertConfig(**common)).eval()
    return RobertaForSequenceClassification(RobertaConfig(pad_token_id=1, **common)).eval()


@pytest.mark.parametrize("kind", ["bert", "roberta"])
def test_logits_and_input_gradients_equal_the_full_forward(kind):
    import torch

    model = _random_classifier(kind)
    ids = torch.tensor([[0, 5, 9, 17, 23, 42, 8, 2], [0, 7, 7, 31, 12, 50, 3, 2]])
    embeds = model.get_input_embeddings()(ids).detach()

    def run():
        e = embeds.clone().requires_grad_()
        out = model(inputs_embeds=e, output_attentions=True, output_hidden_states=True)
        (grad,) = torch.autograd.grad(out.logits[:, 1].sum(), e)
        return out, grad

    full, full_grad = run()
    with first_token_only(model) as cut:
        part, part_grad = run()
    assert cut
    assert part.hidden_states[-1].shape[1] == 1 and full.hidden_states[-1].shape[1] == ids.shape[1]
    np.testing.assert_allclose(part.logits.detach().numpy(), full.logits.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(part_grad.numpy(), full_grad.numpy(), rtol=1e-4, atol=1e-6)
    for a, b in zip(part.attentions, full.attentions):  # attention itself runs whole, the last layer's included
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-7)
    assert not cut_point(model)._forward_pre_hooks  # the hook leaves with the block


def test_models_whose_output_reads_every_token_are_left_whole(tiny_encoder, tiny_decoder):
    for loaded in (tiny_encoder, tiny_decoder):  # zero-shot mean pooling; a causal LM's last token
        assert cut_point(loaded.model) is None
        with first_token_only(loaded.model) as cut:
            assert not cut


def test_another_thread_inside_the_block_gets_the_whole_forward(tiny_classifier):
    import torch

    ids = torch.tensor([tiny_classifier.tokenizer(TEXT)["input_ids"]])
    seen = []

    def other():
        with torch.no_grad():
            seen.append(tiny_classifier.model(input_ids=ids, output_hidden_states=True).hidden_states[-1].shape[1])

    with first_token_only(tiny_classifier.model) as cut, torch.no_grad():
        mine = tiny_classifier.model(input_ids=ids, output_hidden_states=True).hidden_states[-1].shape[1]
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert cut and mine == 1 and seen == [ids.shape[1]]


def test_threads_sharing_one_hold_share_one_hook(tiny_classifier):
    """Entering or leaving in one thread must not add or remove hooks while another thread's forward runs."""
    import torch

    from attnviz.first_token import cut_point

    module = cut_point(tiny_classifier.model)
    ids = torch.tensor([tiny_classifier.tokenizer(TEXT)["input_ids"]])
    seen = []

    def helper():
        with first_token_only(tiny_classifier.model), torch.no_grad():
            seen.append(len(module._forward_pre_hooks))
            seen.append(tiny_classifier.model(input_ids=ids, output_hidden_states=True).hidden_states[-1].shape[1])

    with first_token_only(tiny_classifier.model), first_token_only(tiny_classifier.model):
        thread = threading.Thread(target=helper)
        thread.start()
        thread.join()
        assert len(module._forward_pre_hooks) == 1
    assert seen == [1, 1] and not module._forward_pre_hooks
