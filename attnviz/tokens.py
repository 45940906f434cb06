"""Text cleaning and encoding with character offsets; truncation is reported, never silent."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Sequence

from attnviz.errors import InputError
from attnviz.types import Token

# A 10 MB paste cost 12 s in the tokenizer even with truncation; 512 tokens of English fit in
# ~2,500 characters, so 20,000 leaves the token count exact for any text the model can take.
MAX_CHARS = 20_000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_INVISIBLE_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"}


@dataclass(frozen=True)
class CleanText:
    text: str
    chars_dropped: int


@dataclass(frozen=True)
class Encoding:
    input_ids: tuple[int, ...]
    tokens: tuple[Token, ...]
    total_tokens: int

    @property
    def truncated(self) -> bool:
        return self.total_tokens > len(self.tokens)


def clean_text(text: object, max_chars: int = MAX_CHARS) -> CleanText:
    """Cap the length and replace lone surrogates (which no tokenizer can encode) by U+FFFD.

    The replacement is one character for one, so offsets still index the cleaned text.
    """
    if not isinstance(text, str):
        raise InputError("Enter some text to analyse.")
    dropped = max(0, len(text) - max_chars)
    capped = text[:max_chars]
    capped = _LONE_SURROGATE.sub("\ufffd", capped)
    if not has_visible_text(capped):
        raise InputError("Enter some text to analyse: the text is empty or has no visible characters.")
    return CleanText(capped, dropped)


def anything_dropped(cleaned: CleanText, enc: Encoding) -> bool:
    """Whether the model saw less than the text given: characters past the cap or tokens past its limit."""
    return enc.truncated or cleaned.chars_dropped > 0


def dropped_words(what: str, kept_tokens: int, total_tokens: int, kept_chars: int, chars_dropped: int) -> str | None:
    """What the model did not see of ``what`` ("The text", "The source", …), in words; None when it saw it all."""
    parts = []
    if total_tokens > kept_tokens:
        parts.append(f"{what} is longer than the model accepts: showing the first {kept_tokens} of {total_tokens} tokens.")
    if chars_dropped:
        parts.append(f"Only the first {kept_chars:,} characters were read; {chars_dropped:,} more were dropped.")
    return " ".join(parts) or None


def has_visible_text(text: str) -> bool:
    return any(unicodedata.category(ch) not in _INVISIBLE_CATEGORIES for ch in text)


def encode(text: str, tokenizer: Any, max_tokens: int) -> Encoding:
    """Tokenize ``text`` keeping the first ``max_tokens`` tokens (special tokens included)."""
    return encode_many([text], tokenizer, max_tokens)[0]


def encode_many(texts: Sequence[str], tokenizer: Any, max_tokens: int) -> list[Encoding]:
    """``encode`` for several texts in one tokenizer call (a corpus shard tokenises once, not once per text).

    Raises InputError if any text has nothing to tokenize; callers that must keep the others encode one by one.
    """
    if not texts:
        return []
    fast = bool(getattr(tokenizer, "is_fast", False))
    enc = tokenizer(
        list(texts), add_special_tokens=True, return_special_tokens_mask=True, return_offsets_mapping=fast,
        truncation=True, max_length=max_tokens,
    )
    # Only a text that fills the cap may have been cut: only those are counted again in full.
    capped = [i for i, ids in enumerate(enc["input_ids"]) if len(ids) >= max_tokens]
    totals = {i: len(ids) for i, ids in enumerate(enc["input_ids"])}
    if capped:
        full = tokenizer([texts[i] for i in capped], add_special_tokens=True, truncation=False, verbose=False)
        totals.update(zip(capped, (len(ids) for ids in full["input_ids"])))
    wordpiece = _is_wordpiece(tokenizer)
    unk = getattr(tokenizer, "unk_token", None)
    out = []
    for i, text in enumerate(texts):
        ids = list(enc["input_ids"][i])
        special = list(enc["special_tokens_mask"][i] or [0] * len(ids))
        offsets = list(enc["offset_mapping"][i]) if fast else [None] * len(ids)
        pieces = tokenizer.convert_ids_to_tokens(ids)
        tokens = tuple(
            _token(text, piece, off, bool(sp), wordpiece, unk) for piece, off, sp in zip(pieces, offsets, special)
        )
        if not any(not t.special for t in tokens):
            raise InputError(
                "The model's tokenizer found nothing to analyse in this text (it only has characters "
                "the tokenizer drops). Enter some words."
            )
        out.append(Encoding(tuple(ids), tokens, max(totals[i], len(ids))))
    return out


def _token(text: str, piece: str, offset: Any, special: bool, wordpiece: bool, unk: str | None) -> Token:
    if special or offset is None or offset[1] <= offset[0]:
        return Token(str(piece), None, None, special)
    start, end = int(offset[0]), int(offset[1])
    if unk is not None and piece == unk:
        # The model sees only "unknown" here; naming the source text tells a class which characters it lacks.
        return Token(f"{text[start:end]} {unk}", start, end, False)
    # WordPiece pieces show the sub-word split ("##ing"); byte-level pieces ("Ġthe") read better as the source span.
    shown = str(piece) if wordpiece else text[start:end]
    return Token(shown, start, end, False)


def _is_wordpiece(tokenizer: Any) -> bool:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    return backend is not None and type(backend.model).__name__ == "WordPiece"


def token_table(tokens: tuple[Token, ...], text: str) -> list[dict]:
    """Rows describing each token: index, piece, kind (special / sub-word / word), and source span."""
    rows = []
    for i, tok in enumerate(tokens):
        kind = "special" if tok.special else ("sub-word" if tok.is_subword else "word")
        span = text[tok.start : tok.end] if tok.start is not None else ""
        rows.append({"#": i, "token": tok.text, "kind": kind, "source text": span, "start": tok.start, "end": tok.end})
    return rows


def token_strip(tokens: tuple[Token, ...]) -> str:
    """Plain-text strip of the split: special tokens in brackets as the tokenizer names them, pieces separated by │."""
    return " │ ".join(tok.text for tok in tokens)
