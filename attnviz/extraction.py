"""Run the model once and turn its attentions into validated float32[layers, heads, query, key]."""

from __future__ import annotations

from dataclasses import dataclass
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from attnviz.errors import AttentionError, InputError, ResourceError
from attnviz.heads import masked_heads

ROW_SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class ForwardResult:
    attentions: np.ndarray  # float32[L, H, T, T]
    logits: np.ndarray | None  # float32[n_labels] for classifiers, float32[vocab] (next token) for causal LMs
    hidden: np.ndarray | None  # float32[T, D] last hidden states for encoders
    device: str
    notices: tuple[str, ...] = ()


def stack_attentions(per_layer: Sequence[np.ndarray], n_layers: int, square: bool = True) -> np.ndarray:
    """Validate one (1, H, T, T) array per layer and stack them to float32[L, H, T, T].

    ``square=False`` for cross-attention: (1, H, target tokens, source tokens).
    """
    if len(per_layer) == 0:
        raise AttentionError(
            "The model returned no attention weights. It must be loaded with "
            'attn_implementation="eager" (SDPA and flash attention do not return them).'
        )
    if len(per_layer) != n_layers:
        raise AttentionError(f"Expected one attention tensor per layer ({n_layers}), got {len(per_layer)}.")
    first = np.asarray(per_layer[0]).shape
    for i, a in enumerate(per_layer):
        shape = np.asarray(a).shape
        if len(shape) != 4 or shape[0] != 1 or (square and shape[2] != shape[3]) or shape != first:
            expected = "tokens, tokens" if square else "target tokens, source tokens"
            raise AttentionError(f"Attention of layer {i} has shape {shape}; expected (1, heads, {expected}).")
    att = np.stack([np.asarray(a, dtype=np.float32)[0] for a in per_layer])
    sums = att.sum(axis=-1, dtype=np.float32)
    # A row sum is finite exactly when every weight in it is (NaN and ±inf propagate), so checking the
    # sums spares a second pass over all L·H·T² weights.
    if not np.isfinite(sums).all():
        raise AttentionError("The model's attention weights contain NaN or infinity.")
    if np.abs(sums - 1.0).max() > ROW_SUM_TOLERANCE:
        raise AttentionError("The model's attention rows do not sum to 1, so they are not softmax weights.")
    return att


_OOM = "The machine ran out of memory for this text. Try a shorter text, or retry in a moment."
# (module, forward hook) pairs: registered for one pass only, and only while that pass holds the model's gate.
Hooks = Sequence[tuple[Any, Callable[..., Any]]]


def forward(
    loaded: Any, input_ids: Sequence[int], head_mask: np.ndarray | None = None, hooks: Hooks = ()
) -> ForwardResult:
    """One forward pass under the model's gate; a CUDA out-of-memory falls back to the CPU once.

    ``hooks`` see the modules' outputs during this pass (the worked example records q, k, v with them).
    """
    return forward_batch(loaded, [input_ids], head_mask, hooks)[0]


def forward_batch(
    loaded: Any, batch: Sequence[Sequence[int]], head_mask: np.ndarray | None = None, hooks: Hooks = ()
) -> list[ForwardResult]:
    """Several token sequences in ONE padded forward pass (one GPU launch instead of one per text)."""
    import torch

    # Hooks go on inside the gate: the model is shared, and another session's pass must not fill them.
    with loaded.gate.hold(), _hooked(hooks):
        try:
            return _forward(loaded, batch, head_mask, ())
        except torch.OutOfMemoryError as exc:
            if loaded.device == "cpu":
                raise ResourceError(_OOM) from exc
            loaded.model.to("cpu")
            loaded.device = "cpu"
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        note = "The GPU ran out of memory, so this model now runs on the CPU (slower, same numbers)."
        try:
            return _forward(loaded, batch, head_mask, (note,))
        except torch.OutOfMemoryError as exc:
            raise ResourceError(_OOM) from exc


@contextmanager
def _hooked(hooks: Hooks) -> Iterator[None]:
    handles = [module.register_forward_hook(hook) for module, hook in hooks]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _forward(
    loaded: Any, batch: Sequence[Sequence[int]], head_mask: np.ndarray | None, notices: tuple[str, ...]
) -> list[ForwardResult]:
    import torch

    if loaded.kind == "seq2seq":
        raise InputError("This is an encoder–decoder model: its attention needs a source and a target text "
                         "(attnviz.seq2seq.analyze_pair; the Inspect page shows a target box for it).")
    lengths = [len(ids) for ids in batch]
    width = max(lengths)
    pad = getattr(loaded.tokenizer, "pad_token_id", None) or 0
    # Right padding: a real token never attends to padding (mask), so each text's block is its own attention.
    ids = torch.full((len(batch), width), pad, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, seq in enumerate(batch):
        ids[row, : len(seq)] = torch.tensor(list(seq), dtype=torch.long)
        mask[row, : len(seq)] = 1
    causal = loaded.kind == "causal"
    # A language model's head would turn every position into vocabulary logits (200 MB at 1,024 tokens);
    # only the last position predicts the next token, so the base model runs and the head sees that one.
    net = loaded.model.base_model if causal else loaded.model
    with torch.inference_mode(), masked_heads(loaded.model, head_mask):
        out = net(
            input_ids=ids.to(loaded.device), attention_mask=mask.to(loaded.device), output_attentions=True,
            return_dict=True,
        )
        if causal:
            last = out.last_hidden_state[torch.arange(len(batch)), torch.tensor(lengths) - 1]  # [B, D]
            next_logits = loaded.model.get_output_embeddings()(last).float().cpu().numpy()  # [B, vocab]
    # Upcast before any sum: half-precision rows do not sum to 1 within tolerance.
    layers = [a.detach().float().cpu().numpy() for a in (out.attentions or ())]
    results = []
    for row, n in enumerate(lengths):
        att = stack_attentions([a[row : row + 1, :, :n, :n] for a in layers], loaded.n_layers)
        logits = hidden = None
        if loaded.kind == "classifier":
            logits = out.logits[row].detach().float().cpu().numpy()
        elif causal:
            logits = next_logits[row]
        elif loaded.kind == "encoder":
            hidden = out.last_hidden_state[row, :n].detach().float().cpu().numpy()
        results.append(ForwardResult(att, logits, hidden, loaded.device, notices))
    return results


@dataclass(frozen=True)
class Seq2SeqForwardResult:
    """The three attention kinds of an encoder–decoder pass, each validated like a decoder's own."""

    encoder: np.ndarray  # float32[encoder layers, H, S, S]: source tokens attend to source tokens
    decoder: np.ndarray  # float32[decoder layers, H, T, T]: causal, target tokens attend to earlier target tokens
    cross: np.ndarray  # float32[decoder layers, H, T, S]: row = decoder query, column = encoder key
    device: str


def forward_seq2seq(loaded: Any, source_ids: Sequence[int], decoder_ids: Sequence[int]) -> Seq2SeqForwardResult:
    """One teacher-forced pass of an encoder–decoder model: the source into the encoder, ``decoder_ids`` into the
    decoder (its input: the start token, then the target), all three attention kinds returned."""
    import torch

    from attnviz.architectures import SEQ2SEQ_ATTENTIONS, seq2seq_layers

    n_enc, n_dec = seq2seq_layers(loaded.model.config)
    src = torch.tensor([list(source_ids)], dtype=torch.long, device=loaded.device)
    tgt = torch.tensor([list(decoder_ids)], dtype=torch.long, device=loaded.device)
    with loaded.gate.hold(), torch.inference_mode():
        try:
            out = loaded.model(input_ids=src, attention_mask=torch.ones_like(src), decoder_input_ids=tgt,
                               output_attentions=True, return_dict=True)
        except torch.OutOfMemoryError as exc:
            raise ResourceError(_OOM) from exc
    got = {kind: [a.detach().float().cpu().numpy() for a in (getattr(out, name, None) or ())]
           for kind, name in SEQ2SEQ_ATTENTIONS.items()}
    encoder = stack_attentions(got["encoder"], n_enc)
    decoder = stack_attentions(got["decoder"], n_dec)
    cross = stack_attentions(got["cross"], n_dec, square=False)
    if cross.shape[2:] != (len(decoder_ids), len(source_ids)):
        raise AttentionError(f"Cross-attention has shape {cross.shape[2:]}; expected (target tokens, source tokens) "
                             f"= ({len(decoder_ids)}, {len(source_ids)}).")
    for a in (encoder, decoder, cross):
        a.flags.writeable = False
    return Seq2SeqForwardResult(encoder, decoder, cross, loaded.device)
