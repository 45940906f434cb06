"""Explain a language model's next token: gradient attributions and head importance for one chosen next token.

What is explained (``f``): the logit of the chosen token at the last position, i.e. the model's score for it being
the next token. Head importance is the drop in that token's probability when one head is switched off; heads are
switched off per row of a batch (one forward pass per layer, each row with another head of that layer off), so a
30 × 9 model needs 30 passes instead of 270.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from attnviz.errors import InputError
from attnviz.architectures import output_projections
from attnviz.loading import LoadedModel
from attnviz.next_token import token_text
from attnviz.tokens import clean_text, encode
from attnviz.types import Prediction


def target_id(loaded: LoadedModel, target: str | int | None, logits: Any) -> int:
    """Vocabulary id of ``target``: an id, the text of one token (``" Mary"``), or None for the most probable."""
    if target is None:
        return int(logits.argmax())
    if isinstance(target, (int, np.integer)) and 0 <= int(target) < int(logits.shape[-1]):
        return int(target)
    if isinstance(target, str):
        ids = loaded.tokenizer(target, add_special_tokens=False)["input_ids"]
        if len(ids) == 1:
            return int(ids[0])
        # The text may be the decoding of a byte piece that does not re-encode to itself: look among the best.
        for i in logits.topk(min(200, int(logits.shape[-1]))).indices.tolist():
            if token_text(loaded.tokenizer, i) == target:
                return int(i)
    raise InputError(f"{target!r} is not one token of this model's vocabulary: choose one of its next tokens.")


def last_logits(loaded: LoadedModel, inputs_embeds: Any, row_weights: Any = None) -> Any:
    """torch float[B, vocab]: next-token logits after the last position of each row of ``inputs_embeds`` [B, T, D].

    ``row_weights`` torch float[B, layers, heads] scales each head's output per row (0 = off).
    """
    handles = []
    if row_weights is not None:
        for layer, projection in enumerate(output_projections(loaded.model)):

            def scale(module, args, w=row_weights[:, layer]):  # w: [B, H]
                (heads, *rest) = args  # [B, T, H * head_dim]
                shaped = heads.view(*heads.shape[:-1], w.shape[-1], -1)
                return ((shaped * w[:, None, :, None].to(shaped.dtype)).view_as(heads), *rest)

            handles.append(projection.register_forward_pre_hook(scale))
    try:
        out = loaded.model.base_model(inputs_embeds=inputs_embeds, return_dict=True)
        return loaded.model.get_output_embeddings()(out.last_hidden_state[:, -1])
    finally:
        for handle in handles:
            handle.remove()


def _embeds(loaded: LoadedModel, text: str, max_tokens: int | None = None):
    import torch

    limit = loaded.max_tokens if max_tokens is None else max(2, min(int(max_tokens), loaded.max_tokens))
    enc = encode(clean_text(text).text, loaded.tokenizer, limit)
    ids = torch.tensor([list(enc.input_ids)], dtype=torch.long, device=loaded.device)
    return enc, loaded.model.get_input_embeddings()(ids).detach()  # [1, T, D]


def head_importance(text: str, loaded: LoadedModel, target: str | int | None = None) -> np.ndarray:
    """float64[layers, heads]: p(target next token) with every head on minus with only that head off."""
    import torch

    n_layers, n_heads = loaded.n_layers, loaded.n_heads
    importance = np.zeros((n_layers, n_heads))
    with loaded.gate.hold(), torch.inference_mode():
        _, embeds = _embeds(loaded, text)
        full = last_logits(loaded, embeds)[0]
        index = target_id(loaded, target, full)
        p_full = float(torch.softmax(full.double(), dim=-1)[index])
        batch = embeds.expand(n_heads, -1, -1)  # [H, T, D]: row h switches head h off
        for layer in range(n_layers):
            weights = torch.ones((n_heads, n_layers, n_heads), device=embeds.device)
            weights[torch.arange(n_heads), layer, torch.arange(n_heads)] = 0.0
            probs = torch.softmax(last_logits(loaded, batch, weights).double(), dim=-1)[:, index]  # [H]
            importance[layer] = p_full - probs.cpu().numpy()
    return importance


def ablate(text: str, head_mask: np.ndarray, loaded: LoadedModel, token_ids: tuple[int, ...]) -> Prediction:
    """Probabilities of the next tokens ``token_ids`` with the heads where ``head_mask`` float[layers, heads] is 0 off."""
    import torch

    mask = np.asarray(head_mask, dtype=np.float32)
    if mask.shape != (loaded.n_layers, loaded.n_heads):
        raise InputError(f"head_mask must have shape ({loaded.n_layers}, {loaded.n_heads}), not {mask.shape}.")
    with loaded.gate.hold(), torch.inference_mode():
        _, embeds = _embeds(loaded, text)
        weights = torch.tensor(mask, device=embeds.device)[None]
        probs = torch.softmax(last_logits(loaded, embeds, weights)[0].double(), dim=-1).cpu().numpy()
    labels = tuple(token_text(loaded.tokenizer, i) for i in token_ids)
    return Prediction(labels, probs[list(token_ids)].astype(np.float32), "next-token", tuple(token_ids))


def attribute_next_token(
    text: str, loaded: LoadedModel, method: str, target: str | int | None, n_steps: int, max_tokens: int | None
):
    """Integrated gradients or gradient × input of the chosen next token's logit, per input token.

    The baseline is the zero embedding at every position: decoders have no padding token of their own (their
    "pad" is usually a stand-in for end-of-text), and SmolLM2 adds no BOS token to keep.
    """
    import torch
    from attnviz.attribution import Attribution, integrate

    with loaded.gate.hold(), torch.enable_grad():
        enc, embeds = _embeds(loaded, text, max_tokens)
        baseline = torch.zeros_like(embeds)
        with torch.no_grad():
            index = target_id(loaded, target, last_logits(loaded, embeds)[0])

        def f(e):  # [B, T, D] -> [B]
            return last_logits(loaded, e)[:, index]

        scores, f_input, f_baseline, delta = integrate(f, embeds, baseline, method, n_steps)
    name = token_text(loaded.tokenizer, index)
    return Attribution(
        text=clean_text(text).text,
        tokens=enc.tokens,
        scores=scores,
        target=name,
        method=method,
        output=f"logit of the next token {name!r}",
        f_input=f_input,
        f_baseline=f_baseline,
        convergence_delta=delta,
        n_steps=n_steps if method == "integrated_gradients" else 1,
        baseline="zero embedding at every token",
    )
