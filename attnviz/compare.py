"""Compare one head's attention on two texts: the tokens both share, and B − A over them."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from attnviz.types import Token


@dataclass(frozen=True)
class AttentionDifference:
    """``difference`` float32[query, key] = B − A over ``tokens``, the positions matched between the texts.

    Texts with as many tokens as each other are matched position by position (a token that differs is
    shown as ``a/b``); otherwise the tokens they share are matched in order. ``index_a`` / ``index_b``
    give each matched position in text A / B; ``only_a`` / ``only_b`` are the tokens left out.
    """

    tokens: tuple[Token, ...]
    difference: np.ndarray
    index_a: tuple[int, ...]
    index_b: tuple[int, ...]
    only_a: tuple[Token, ...]
    only_b: tuple[Token, ...]

    @property
    def aligned(self) -> bool:
        """True when the two tokenizations match one to one (nothing left out)."""
        return not self.only_a and not self.only_b


def align_tokens(tokens_a: tuple[Token, ...], tokens_b: tuple[Token, ...]) -> tuple[list[int], list[int]]:
    """Matched positions: one to one when the counts agree, else the shared tokens in order (longest common subsequence)."""
    if len(tokens_a) == len(tokens_b):
        return list(range(len(tokens_a))), list(range(len(tokens_b)))
    matcher = SequenceMatcher(a=[t.text for t in tokens_a], b=[t.text for t in tokens_b], autojunk=False)
    index_a: list[int] = []
    index_b: list[int] = []
    for block in matcher.get_matching_blocks():
        index_a.extend(range(block.a, block.a + block.size))
        index_b.extend(range(block.b, block.b + block.size))
    return index_a, index_b


def attention_difference(
    matrix_a: np.ndarray, tokens_a: tuple[Token, ...], matrix_b: np.ndarray, tokens_b: tuple[Token, ...]
) -> AttentionDifference:
    """B − A on the shared tokens. Rows are not renormalised: weight that B puts on its extra tokens shows as a drop."""
    a, b = np.asarray(matrix_a, dtype=np.float64), np.asarray(matrix_b, dtype=np.float64)
    if a.shape != (len(tokens_a), len(tokens_a)) or b.shape != (len(tokens_b), len(tokens_b)):
        raise ValueError(f"matrices {a.shape} and {b.shape} do not match {len(tokens_a)} and {len(tokens_b)} tokens")
    index_a, index_b = align_tokens(tokens_a, tokens_b)
    ia, ib = np.array(index_a, dtype=int), np.array(index_b, dtype=int)
    difference = b[np.ix_(ib, ib)] - a[np.ix_(ia, ia)]  # [shared query, shared key]
    return AttentionDifference(
        tokens=tuple(_pair(tokens_a[i], tokens_b[j]) for i, j in zip(index_a, index_b)),
        difference=difference.astype(np.float32),
        index_a=tuple(index_a),
        index_b=tuple(index_b),
        only_a=tuple(t for i, t in enumerate(tokens_a) if i not in set(index_a)),
        only_b=tuple(t for i, t in enumerate(tokens_b) if i not in set(index_b)),
    )


def _pair(a: Token, b: Token) -> Token:
    return b if a.text == b.text else Token(f"{a.text}/{b.text}", b.start, b.end, a.special and b.special)
