"""One cell of one step written out as the explicit sum that produces it, and which cells to highlight."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from attnviz.teaching.sdpa import AttentionSteps, format_number

# Long vectors (d_k = 32 in a real model) show the first terms, "…", the last term and the count.
MAX_TERMS = 8


@dataclass(frozen=True)
class Highlight:
    """A row (``col`` None), a column (``row`` None) or one cell of the table called ``table``."""

    table: str
    row: int | None
    col: int | None


@dataclass(frozen=True)
class CellWork:
    """How ``target[row, col]`` is computed: ``latex`` (shortened for long vectors), ``text`` (every term)."""

    target: str
    row: int
    col: int
    latex: str
    text: str
    highlights: tuple[Highlight, ...]


def cell_shape(steps: AttentionSteps, step_id: str) -> tuple[int, int]:
    """(rows, columns) of the matrix whose cells ``cell_work`` explains for this step."""
    if step_id == "output":
        return steps.output.shape
    if step_id == "inputs":
        return steps.q.shape
    return steps.scores.shape


def cell_work(
    steps: AttentionSteps, step_id: str, row: int, col: int, decimals: int = 3, row_offset: int = 0
) -> CellWork | None:
    """How cell ``row, col`` of the step's matrix is computed; None for the inputs, which are given.

    ``row_offset`` only renames rows: a single real-model query row 0 is written as that token's index.
    """
    rows, cols = cell_shape(steps, step_id)
    if not (0 <= row < rows and 0 <= col < cols):
        raise ValueError(f"Cell [{row},{col}] is outside the {rows}×{cols} matrix of step '{step_id}'.")
    builder = {"scores": _scores, "scaled": _scaled, "masked": _masked, "softmax": _softmax, "output": _output}
    if step_id not in builder or (step_id == "masked" and steps.mask is None):
        return None
    return builder[step_id](steps, row, col, decimals, row + row_offset)


def num(x: float, decimals: int = 3, factor: bool = False) -> str:
    """Plain text for one number; ``factor`` wraps negatives in parentheses so 4·(−2) reads right."""
    text = format_number(x, decimals).replace("-", "−")
    return f"({text})" if factor and text.startswith("−") and not math.isinf(x) else text


def tex(x: float, decimals: int = 3, factor: bool = False) -> str:
    """LaTeX for one number (e-notation as ×10^n)."""
    if math.isinf(x):
        return r"-\infty" if x < 0 else r"\infty"
    text = format_number(x, decimals)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa}\times 10^{{{int(exponent)}}}"
    return f"({text})" if factor and text.startswith("-") else text


def _tex_sum(terms: list[str]) -> str:
    if len(terms) <= MAX_TERMS:
        return " + ".join(terms)
    return " + ".join(terms[:3]) + r" + \cdots + " + terms[-1] + rf"\ (\text{{{len(terms)} terms}})"


def _product(a: float, b: float, d: int) -> str:
    return rf"{tex(a, d, True)} \cdot {tex(b, d, True)}"


def _cell(name: str, row: int, col: int) -> str:
    return rf"\text{{{name}}}_{{{row},{col}}}"


def _dot(name: str, left, right, value: float, i: int, j: int, d: int, n: int, highlights: tuple) -> CellWork:
    """One cell written out as the dot product it is: name[n,j] = a·b + … = value."""
    pairs = list(zip(left, right))
    terms = [_product(a, b, d) for a, b in pairs]
    latex = rf"{_cell(name, n, j)} = {_tex_sum(terms)} = {tex(value, d)}"
    text = f"{name}[{n},{j}] = " + " + ".join(f"{num(a, d, True)}·{num(b, d, True)}" for a, b in pairs)
    return CellWork(name, i, j, latex, text + f" = {num(value, d)}", highlights)


def _scores(s: AttentionSteps, i: int, j: int, d: int, n: int) -> CellWork:
    highlights = (Highlight("Q", i, None), Highlight("Kᵀ", None, j), Highlight("scores", i, j))
    return _dot("scores", s.q[i], s.k[j], s.scores[i, j], i, j, d, n, highlights)


def _scaled(s: AttentionSteps, i: int, j: int, d: int, n: int) -> CellWork:
    score, result = s.scores[i, j], s.scaled[i, j]
    if s.scale:
        root = math.sqrt(s.d_k)
        latex = (rf"{_cell(s.scaled_name, n, j)} = \frac{{{_cell('scores', n, j)}}}{{\sqrt{{{s.d_k}}}}} = "
                 rf"\frac{{{tex(score, d)}}}{{{tex(root, d)}}} = {tex(result, d)}")
        text = f"{s.scaled_name}[{n},{j}] = scores[{n},{j}] / √{s.d_k} = {num(score, d)} / {num(root, d)} = {num(result, d)}"
    else:
        latex = rf"{_cell(s.scaled_name, n, j)} = {_cell('scores', n, j)} = {tex(score, d)}"
        text = f"{s.scaled_name}[{n},{j}] = scores[{n},{j}] = {num(score, d)} (no scaling)"
    return CellWork("scaled", i, j, latex, text, (Highlight("scores", i, j), Highlight(s.scaled_name, i, j)))


def _masked(s: AttentionSteps, i: int, j: int, d: int, n: int) -> CellWork:
    assert s.mask is not None
    if s.mask[i, j]:
        why = "j ≤ i: visible" if s.causal else "visible"
        tex_why = r"j \le i\text{: visible}" if s.causal else r"\text{visible}"
        latex = rf"{_cell('masked', n, j)} = {_cell(s.scaled_name, n, j)} = {tex(s.masked[i, j], d)}\quad({tex_why})"
        text = f"masked[{n},{j}] = {s.scaled_name}[{n},{j}] = {num(s.masked[i, j], d)} ({why})"
    else:
        why = "j > i: a later token, hidden" if s.causal else "hidden"
        tex_why = r"j > i\text{: a later token, hidden}" if s.causal else r"\text{hidden}"
        latex = rf"{_cell('masked', n, j)} = -\infty\quad({tex_why})"
        text = f"masked[{n},{j}] = −∞ ({why})"
    return CellWork("masked", i, j, latex, text, (Highlight(s.scaled_name, i, j), Highlight("masked", i, j)))


def _softmax(s: AttentionSteps, i: int, j: int, d: int, n: int) -> CellWork:
    source = "masked" if s.mask is not None else s.scaled_name
    x, m, e = s.masked[i, j], s.row_max[i], s.exps[i, j]
    denominator = _tex_sum([tex(v, d) for v in s.exps[i]])
    exponent = r"-\infty" if math.isinf(x) else f"{tex(x, d)} - {tex(m, d, True)}"
    # With one key the sum has one term: "= 1/1 = 1/1" would say the same thing twice.
    summed = "" if len(s.exps[i]) == 1 else rf" = \frac{{{tex(e, d)}}}{{{denominator}}}"
    latex = (rf"{_cell('weights', n, j)} = \frac{{e^{{{exponent}}}}}{{\sum_{{j'}} e^{{x_{{{n}j'}} - m_{{{n}}}}}}}"
             rf"{summed} = \frac{{{tex(e, d)}}}{{{tex(s.exp_sums[i], d)}}} = {tex(s.weights[i, j], d)}")
    power = "−∞" if math.isinf(x) else f"{num(x, d)} − {num(m, d, True)}"
    terms = "" if len(s.exps[i]) == 1 else f"({' + '.join(num(v, d) for v in s.exps[i])}) = {num(e, d)} / "
    text = f"weights[{n},{j}] = e^({power}) / {terms}{num(s.exp_sums[i], d)} = {num(s.weights[i, j], d)}"
    return CellWork("weights", i, j, latex, text,
                    (Highlight(source, i, None), Highlight(source, i, j), Highlight("e^(x − m)", i, None),
                     Highlight("e^(x − m)", i, j), Highlight("weights", i, j)))


def _output(s: AttentionSteps, i: int, c: int, d: int, n: int) -> CellWork:
    highlights = (Highlight("weights", i, None), Highlight("V", None, c), Highlight("output", i, c))
    return _dot("output", s.weights[i], s.v[:, c], s.output[i, c], i, c, d, n, highlights)


def row_sums(a: np.ndarray) -> np.ndarray:
    """float64[rows]: what each row adds up to (1 for softmax weights)."""
    return np.asarray(a, dtype=np.float64).sum(axis=1)
