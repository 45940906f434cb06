"""Hand-made tokenizations for tests that need tokens but no tokenizer."""

from __future__ import annotations

from attnviz.types import Token


def bert_tokens(text: str, *pieces: str) -> tuple[Token, ...]:
    """[CLS], each piece with its character span (found left to right in ``text``), [SEP], as a BERT split them."""
    tokens, start = [Token("[CLS]", None, None, True)], 0
    for piece in pieces:
        start = text.index(piece, start)
        tokens.append(Token(piece, start, start + len(piece), False))
        start += len(piece)
    return (*tokens, Token("[SEP]", None, None, True))
