"""Check my answer: read a matrix a student typed and compare it with the computed one, cell by cell."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from attnviz.attention_math import dims
from attnviz.errors import InputError

DEFAULT_TOLERANCE = 0.01
FORMAT_HELP = "One row per line, numbers separated by spaces or commas (or [[1, 2], [3, 4]])."
_SEPARATOR = re.compile(r"[,\s]+")
_MAX_CHARS = 5_000


class AnswerFormatError(InputError):
    """The typed answer is not a table of numbers; the message says where and how to type it."""


@dataclass(frozen=True)
class AnswerCheck:
    """Verdict on one typed matrix. ``first_wrong`` is (row, column) of the first cell outside the tolerance."""

    name: str
    ok: bool
    message: str
    wrong: np.ndarray | None = None  # bool[rows, cols], True where the typed number is off
    first_wrong: tuple[int, int] | None = None


def parse_matrix(text: str) -> np.ndarray:
    """float64[rows, cols] from typed text; raises AnswerFormatError naming the row and position at fault."""
    if len(text or "") > _MAX_CHARS:
        raise AnswerFormatError(f"That is too long for a matrix of this page (at most {_MAX_CHARS:,} characters).")
    cleaned = (text or "").replace("−", "-").replace("∞", "inf")
    if "[" in cleaned:
        rows = re.findall(r"\[([^\[\]]*)\]", cleaned)
    else:
        rows = [r for r in re.split(r"[\n;]", cleaned) if r.strip()]
    if not rows:
        raise AnswerFormatError(f"Type your matrix first. {FORMAT_HELP}")
    parsed = []
    for i, row in enumerate(rows):
        items = [x for x in _SEPARATOR.split(row.strip()) if x]
        values = []
        for j, item in enumerate(items):
            try:
                values.append(float(item))
            except ValueError:
                raise AnswerFormatError(f"Line {i + 1}, entry {j + 1} is not a number. {FORMAT_HELP}") from None
        parsed.append(values)
    widths = {len(r) for r in parsed}
    if len(widths) != 1 or 0 in widths:
        counts = ", ".join(str(len(r)) for r in parsed)
        raise AnswerFormatError(f"Every row needs the same count of numbers; your rows have {counts}. {FORMAT_HELP}")
    return np.array(parsed, dtype=np.float64)


def check_answer(name: str, typed: str, expected: np.ndarray, tolerance: float = DEFAULT_TOLERANCE) -> AnswerCheck:
    """Mark ``typed`` right when its shape matches ``expected`` and every cell is within ``tolerance``."""
    try:
        answer = parse_matrix(typed)
    except AnswerFormatError as exc:
        return AnswerCheck(name, False, str(exc))
    expected = np.asarray(expected, dtype=np.float64)
    if answer.shape != expected.shape:
        return AnswerCheck(
            name, False, f"Your {name} is {dims(answer)}, but it should be {dims(expected)} "
            f"({expected.shape[0]} rows of {expected.shape[1]} numbers).",
        )
    both_inf = np.isinf(answer) & np.isinf(expected) & (np.sign(answer) == np.sign(expected))
    with np.errstate(invalid="ignore"):  # inf − inf where both are −∞ (masked cells) is handled by both_inf
        close = np.abs(answer - np.where(both_inf, 0.0, expected)) <= tolerance
    wrong = ~(close | both_inf)
    if not wrong.any():
        return AnswerCheck(name, True, f"Right: every cell of your {name} is within {tolerance:g}.", wrong)
    i, j = (int(n) for n in np.argwhere(wrong)[0])
    return AnswerCheck(
        name, False, f"{int(wrong.sum())} of {wrong.size} cells of your {name} are off by more than {tolerance:g}. "
        f"The first is row {i}, column {j} (counting from 0, as in the tables): you wrote {answer[i, j]:g}.",
        wrong, (i, j),
    )

