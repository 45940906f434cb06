"""Encoder–decoder models (BART, T5, Marian): a source/target pair in, the three attention kinds out.

    encoder self-attention   [encoder layers, heads, source, source]
    decoder self-attention   [decoder layers, heads, target, target]   causal
    cross-attention          [decoder layers, heads, target, source]   row = decoder query, column = encoder key

The decoder reads the target as in training (teacher forcing): the start token, then the target's tokens with its
final end-of-sequence token dropped ("shift right"), so row i is the decoder step that predicts target token i.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attnviz.errors import InputError
from attnviz.extraction import forward_seq2seq
from attnviz.loading import LoadedModel
from attnviz.tokens import clean_text, dropped_words, encode
from attnviz.types import Token

KINDS = ("encoder", "decoder", "cross")
KIND_TITLES = {
    "encoder": "Encoder self-attention (source → source)",
    "decoder": "Decoder self-attention (target → earlier target, causal)",
    "cross": "Cross-attention (target queries → source keys)",
}


@dataclass(frozen=True)
class PairAnalysis:
    """The attention of one source/target pair; arrays float32 and read-only, rows summing to 1."""

    model_name: str
    source_text: str
    target_text: str
    source_tokens: tuple[Token, ...]
    target_tokens: tuple[Token, ...]  # what the decoder read: start token, then the target shifted right
    encoder: np.ndarray
    decoder: np.ndarray
    cross: np.ndarray
    dropped: str | None  # what the model did not see of the source and the target, in words; None: nothing

    @property
    def truncated(self) -> bool:
        return self.dropped is not None

    def attentions(self, kind: str) -> np.ndarray:
        """float32[layers, heads, query, key] of ``kind`` ("encoder", "decoder" or "cross")."""
        if kind not in KINDS:
            raise InputError(f"Unknown attention kind {kind!r}; pick one of {', '.join(KINDS)}.")
        return getattr(self, kind)

    def axes(self, kind: str) -> tuple[tuple[Token, ...], tuple[Token, ...]]:
        """(query tokens, key tokens) of ``kind``: the rows and columns of its matrices."""
        self.attentions(kind)
        query = self.source_tokens if kind == "encoder" else self.target_tokens
        key = self.target_tokens if kind == "decoder" else self.source_tokens
        return query, key


def decoder_input(target_ids: tuple[int, ...], target_tokens: tuple[Token, ...], start_id: int, start_token: str,
                  eos_id: int | None) -> tuple[tuple[int, ...], tuple[Token, ...]]:
    """Shift right: the start token first, the target's final end-of-sequence token (if any) dropped."""
    if target_ids and eos_id is not None and target_ids[-1] == eos_id:
        target_ids, target_tokens = target_ids[:-1], target_tokens[:-1]
    return (start_id, *target_ids), (Token(start_token, None, None, True), *target_tokens)


def analyze_pair(source: str, target: str, loaded: LoadedModel, max_tokens: int | None = None) -> PairAnalysis:
    """Run encoder–decoder ``loaded`` on ``source`` (encoder) and ``target`` (decoder, teacher-forced)."""
    if loaded.kind != "seq2seq":
        raise InputError(f"{loaded.name} is not an encoder–decoder model, so it has no cross-attention; pick a "
                         "BART-, T5- or Marian-style model.")
    limit = loaded.max_tokens if max_tokens is None else max(2, min(int(max_tokens), loaded.max_tokens))
    src_text, tgt_text = clean_text(source), clean_text(target)
    src = encode(src_text.text, loaded.tokenizer, limit)
    tgt = encode(tgt_text.text, loaded.tokenizer, limit - 1)  # room for the start token
    config, tok = loaded.model.config, loaded.tokenizer
    start = config.decoder_start_token_id
    if start is None:
        start = config.pad_token_id  # T5 starts its decoder with the pad token
    if start is None:
        raise InputError("This model does not say which token starts its decoder (decoder_start_token_id).")
    ids, tokens = decoder_input(tgt.input_ids, tgt.tokens, int(start), str(tok.convert_ids_to_tokens(int(start))),
                                config.eos_token_id)
    out = forward_seq2seq(loaded, src.input_ids, ids)
    cuts = [dropped_words(what, len(enc.tokens), enc.total_tokens, len(text.text), text.chars_dropped)
             for what, text, enc in (("The source", src_text, src), ("The target", tgt_text, tgt))]
    dropped = " ".join(cut for cut in cuts if cut) or None
    return PairAnalysis(loaded.name, src_text.text, tgt_text.text, src.tokens, tokens, out.encoder, out.decoder,
                        out.cross, dropped)
