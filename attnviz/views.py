"""Ways to look at one attention matrix: without special tokens, or with sub-word pieces merged into words.

Both work on float[..., query, key] (one head, a layer's heads or everything) and return the new
tokens with the matrix, plus a sentence that says what the view changed, for the figure caption.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from attnviz.types import Token

# A row whose non-special weights sum to less than this is left at zero rather than blown up.
_MIN_ROW_MASS = 1e-12


@dataclass(frozen=True)
class View:
    """``matrix`` float32[..., query, key] over ``tokens``; ``note`` says how it differs from the raw weights."""

    matrix: np.ndarray
    tokens: tuple[Token, ...]
    note: str


def _check(matrix: np.ndarray, tokens: tuple[Token, ...]) -> np.ndarray:
    att = np.asarray(matrix, dtype=np.float64)
    if att.ndim < 2 or att.shape[-1] != att.shape[-2] or att.shape[-1] != len(tokens):
        raise ValueError(f"matrix {att.shape} does not match {len(tokens)} tokens")
    return att


def hide_special(matrix: np.ndarray, tokens: tuple[Token, ...]) -> View:
    """Drop special-token rows and columns and renormalise each remaining row to sum to 1."""
    att = _check(matrix, tokens)
    keep = np.array([not t.special for t in tokens])
    if keep.all() or not keep.any():
        return View(att.astype(np.float32), tuple(tokens), "")
    kept = att[..., keep, :][..., keep]  # [..., q', k']
    mass = kept.sum(axis=-1, keepdims=True)
    share = float(1.0 - mass.mean())
    renormed = np.where(mass > _MIN_ROW_MASS, kept / np.maximum(mass, _MIN_ROW_MASS), 0.0)
    dropped = len(tokens) - int(keep.sum())
    note = (
        f"{dropped} special tokens hidden; rows renormalised to sum to 1 "
        f"(they held {share:.0%} of the attention on average)."
    )
    return View(renormed.astype(np.float32), tuple(t for t, k in zip(tokens, keep) if k), note)


def _is_cjk(ch: str) -> bool:
    return "CJK" in unicodedata.name(ch, "") or "HANGUL" in unicodedata.name(ch, "")


def continues_word(previous: Token, token: Token) -> bool:
    """True when ``token`` is a later piece of the same word as ``previous``.

    WordPiece marks continuations with ##; other tokenizers' pieces continue a word when they touch it
    (no space between) and both sides are letters or digits. CJK characters are words of their own.
    """
    if token.special or previous.special:
        return False
    if token.is_subword:
        return True
    if token.start is None or previous.end is None or token.start != previous.end:
        return False
    left, right = previous.text[-1:], token.text[:1]
    return bool(left and right) and left.isalnum() and right.isalnum() and not (_is_cjk(left) or _is_cjk(right))


def word_groups(tokens: tuple[Token, ...]) -> list[list[int]]:
    """Token indices grouped into words, in order."""
    groups: list[list[int]] = []
    for i, token in enumerate(tokens):
        if groups and continues_word(tokens[i - 1], token):
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _merged_token(pieces: list[Token]) -> Token:
    if len(pieces) == 1:
        return pieces[0]
    text = pieces[0].text + "".join(p.text[2:] if p.is_subword else p.text for p in pieces[1:])
    return Token(text, pieces[0].start, pieces[-1].end, False)


def merge_subwords(matrix: np.ndarray, tokens: tuple[Token, ...]) -> View:
    """Merge each word's pieces: columns summed over key pieces, rows averaged over query pieces.

    Rows still sum to 1: a word receives all the attention its pieces received.
    """
    att = _check(matrix, tokens)
    groups = word_groups(tuple(tokens))
    if len(groups) == len(tokens):
        return View(att.astype(np.float32), tuple(tokens), "")
    n_words = len(groups)
    summing = np.zeros((len(tokens), n_words))  # [token, word]: 1 where the token belongs to the word
    for w, group in enumerate(groups):
        summing[group, w] = 1.0
    averaging = summing / summing.sum(axis=0, keepdims=True)
    merged = np.swapaxes(averaging, 0, 1) @ att @ summing  # [..., word_q, word_k]
    words = tuple(_merged_token([tokens[i] for i in group]) for group in groups)
    note = (
        f"{len(tokens)} tokens merged into {n_words} words: a word's column sums its pieces, "
        "its row averages them."
    )
    return View(merged.astype(np.float32), words, note)


def apply_views(matrix: np.ndarray, tokens: tuple[Token, ...], hide: bool, merge: bool) -> View:
    """Merge sub-words first (pieces of one word are never special), then hide special tokens."""
    view = View(_check(matrix, tokens).astype(np.float32), tuple(tokens), "")
    notes = []
    if merge:
        view = merge_subwords(view.matrix, view.tokens)
        notes.append(view.note)
    if hide:
        view = hide_special(view.matrix, view.tokens)
        notes.append(view.note)
    return View(view.matrix, view.tokens, " ".join(n for n in notes if n))
