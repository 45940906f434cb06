"""Questions built from real numbers: a worked-example cell, the head's strongest key on a real model, open ones.

A question is plain JSON data (``Question.payload()``) so the store keeps it and a restart brings it back.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from attnviz.teaching.answers import DEFAULT_TOLERANCE
from attnviz.attention_math import AttentionSteps, causal_mask, format_number, sdpa_steps
from attnviz.classroom.store import ClassroomError
from attnviz.teaching.examples import EXAMPLE_TITLES, example
from attnviz.teaching.cells import cell_shape, cell_work
from attnviz.types import Analysis

KINDS = ("number", "choice", "open")
# Stage a step's cells belong to: the "softmax" step produces the weights.
STAGES = {"scores": "scores", "scaled": "scaled", "masked": "masked", "softmax": "weights", "output": "output"}
TOY_EXAMPLES = ("clean", "article", "single", "random")
MAX_CHOICES = 32


@dataclass(frozen=True)
class Question:
    """``correct`` is the number (kind "number") or the index into ``choices`` (kind "choice"); None for "open"."""

    kind: str
    prompt: str
    choices: tuple[str, ...] = ()
    correct: float | int | None = None
    tolerance: float = DEFAULT_TOLERANCE
    explanation: str = ""  # shown at the reveal: the cell written out, or the attention row
    latex: str = ""  # the same working as LaTeX, when there is one
    source: dict = field(default_factory=dict)  # what it was built from (example, step, cell / text, layer, head)

    def payload(self) -> dict:
        data = asdict(self)
        data["choices"] = list(self.choices)
        if isinstance(self.correct, float) and math.isinf(self.correct):
            data["correct"] = "-inf" if self.correct < 0 else "inf"  # JSON has no infinity
        return data

    @classmethod
    def from_payload(cls, data: dict) -> "Question":
        correct = data.get("correct")
        if isinstance(correct, str):
            correct = float(correct)
        return cls(data["kind"], data["prompt"], tuple(data.get("choices", ())), correct,
                   float(data.get("tolerance", DEFAULT_TOLERANCE)), data.get("explanation", ""),
                   data.get("latex", ""), dict(data.get("source", {})))


def toy_steps(example_id: str, causal: bool = False, seed: int = 0) -> tuple[AttentionSteps, tuple[str, ...]]:
    """Every stage of the toy example ``example_id`` (as the Worked example page computes it) and its tokens."""
    if example_id not in TOY_EXAMPLES:
        raise ClassroomError(f"Choose one of the examples {', '.join(TOY_EXAMPLES)}.")
    ex = example(example_id, seed=seed)
    n = ex.q.shape[0]
    mask = causal_mask(n) if causal and n == ex.k.shape[0] else None
    return sdpa_steps(ex.q, ex.k, ex.v, mask), ex.tokens


def worked_question(example_id: str, step_id: str, row: int, col: int, causal: bool = False,
                    tolerance: float = DEFAULT_TOLERANCE, seed: int = 0) -> Question:
    """"What is <stage>[row, col]?" for a toy example's step; the reveal writes the cell out as a sum."""
    steps, tokens = toy_steps(example_id, causal or step_id == "masked", seed)
    if step_id not in STAGES:
        raise ClassroomError("Pick a step that computes something (not the inputs).")
    rows, cols = cell_shape(steps, step_id)
    if not (0 <= row < rows and 0 <= col < cols):
        raise ClassroomError(f"Row and column must lie inside the {rows}×{cols} matrix of this step.")
    work = cell_work(steps, step_id, row, col)
    matrix = {"scores": steps.scores, "scaled": steps.scaled, "masked": steps.masked, "softmax": steps.weights,
              "output": steps.output}[step_id]
    stage = STAGES[step_id]
    key = f"d{col}" if step_id == "output" else f"key {col} “{tokens[col]}”"
    title = EXAMPLE_TITLES.get(example_id, example_id)
    prompt = (f"What is {stage}[{row}, {col}]? (query {row} “{tokens[row]}”, {key}; {title}; "
              f"within {tolerance:g})")
    return Question("number", prompt, correct=float(matrix[row, col]), tolerance=tolerance,
                    explanation=work.text if work else "", latex=work.latex if work else "",
                    source={"example": example_id, "step": step_id, "row": row, "col": col, "causal": bool(causal),
                            "seed": seed})


def inspect_question(analysis: Analysis, layer: int, head: int, query: int) -> Question:
    """"In layer L, head H, which token does <token> attend to most?": one choice per token, answer from the model."""
    if not (0 <= layer < analysis.n_layers and 0 <= head < analysis.n_heads and 0 <= query < analysis.n_tokens):
        raise ClassroomError(f"This model has layers 0–{analysis.n_layers - 1}, heads 0–{analysis.n_heads - 1} "
                             f"and the text has tokens 0–{analysis.n_tokens - 1}.")
    if analysis.n_tokens > MAX_CHOICES:
        raise ClassroomError(f"The text has {analysis.n_tokens} tokens; a question offers at most {MAX_CHOICES} "
                             "choices. Use a shorter sentence.")
    row = np.asarray(analysis.attentions[layer, head, query], dtype=np.float64)  # [keys]
    choices = tuple(f"{j}: {t.text}" for j, t in enumerate(analysis.tokens))  # the index keeps repeats apart
    best = int(np.argmax(row))
    order = np.argsort(-row)[:3]
    top = ", ".join(f"{choices[j]} {row[j]:.3f}" for j in order)
    who = analysis.tokens[query].text
    prompt = f"In layer {layer}, head {head}, which token does “{who}” (token {query}) attend to most?"
    return Question("choice", prompt, choices, best,
                    explanation=f"Row {query} of layer {layer}, head {head}: the largest weights are {top}.",
                    source={"text": analysis.text, "model": analysis.model_name, "layer": layer, "head": head,
                            "query": query})


def open_question(labels: tuple[str, ...], model_name: str) -> Question:
    """Students send a sentence and the label they think is right; the teacher sees the model's prediction."""
    return Question("open", "Send a sentence the model gets wrong, and say which label is right.", tuple(labels),
                    source={"model": model_name})


def parse_number(text: str) -> float:
    """A typed number: accepts − and ∞, a decimal comma; raises ClassroomError saying how to type it."""
    cleaned = str(text or "").strip().replace("−", "-").replace("∞", "inf").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ClassroomError("Type one number, e.g. 0.25 or -1.5 (−∞ as -inf).") from None
    if math.isnan(value):
        raise ClassroomError("Type one number, e.g. 0.25 or -1.5 (−∞ as -inf).")
    return value


def open_answer(text: str, label: str) -> str:
    """The stored form of an open answer: the sentence and the label the student says is right."""
    if not str(text or "").strip():
        raise ClassroomError("Type a sentence first.")
    return json.dumps({"text": str(text), "label": str(label)}, ensure_ascii=False)


def read_open_answer(value: str) -> tuple[str, str]:
    try:
        data = json.loads(value)
        return str(data["text"]), str(data["label"])
    except (ValueError, KeyError, TypeError):
        return str(value), ""


def is_right(question: Question, value: str) -> bool | None:
    """Whether an answer is right; None when it cannot be marked (open questions, unreadable answers)."""
    if question.kind == "number":
        try:
            typed = parse_number(value)
        except ClassroomError:
            return False
        expected = float(question.correct)  # type: ignore[arg-type]
        if math.isinf(expected) or math.isinf(typed):
            return typed == expected
        return abs(typed - expected) <= question.tolerance
    if question.kind == "choice":
        return value.strip() == str(question.correct)
    return None


def shown_answer(question: Question) -> str:
    """The correct answer as the reveal prints it."""
    if question.kind == "number":
        return format_number(float(question.correct), 4).replace("-", "−")  # type: ignore[arg-type]
    if question.kind == "choice":
        return question.choices[int(question.correct)]  # type: ignore[arg-type]
    return ""
