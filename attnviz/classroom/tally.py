"""Counting answers for the live histogram, and the figure that shows it."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from attnviz.attention_math import format_number
from attnviz.classroom.questions import ClassroomError, Question, is_right, parse_number

NOT_A_NUMBER = "not a number"
MAX_BARS = 12


@dataclass(frozen=True)
class Tally:
    """One bar per distinct answer: ``labels[i]`` was given ``counts[i]`` times; ``right[i]`` marks correct bars."""

    labels: tuple[str, ...]
    counts: np.ndarray  # int64[bars]
    right: tuple[bool | None, ...]
    total: int


def tally(question: Question, values: list[str]) -> Tally:
    """Numbers grouped by their 3-decimal form (at most ``MAX_BARS`` bars, the rest as "other"); choices in order."""
    if question.kind == "choice":
        counts = Counter(values)
        labels = question.choices
        right = tuple(i == question.correct for i in range(len(labels)))
        return Tally(labels, np.array([counts.get(str(i), 0) for i in range(len(labels))], dtype=np.int64), right,
                     len(values))
    groups: Counter[str] = Counter()
    numbers: dict[str, float] = {}
    marks: dict[str, bool | None] = {}
    for value in values:
        try:
            x = parse_number(value)
            label = format_number(x, 3).replace("-", "−")
            numbers[label] = x
        except ClassroomError:
            label = NOT_A_NUMBER
        groups[label] += 1
        marks[label] = marks.get(label) or is_right(question, value)
    ordered = sorted(groups, key=lambda g: (g == NOT_A_NUMBER, numbers.get(g, 0.0)))
    if len(ordered) > MAX_BARS:  # keep the most given answers, in numeric order
        keep = set(sorted(ordered, key=lambda g: -groups[g])[:MAX_BARS - 1])
        other = sum(groups[g] for g in ordered if g not in keep)
        ordered = [g for g in ordered if g in keep] + ["other"]
        groups["other"], marks["other"] = other, False
    return Tally(tuple(ordered), np.array([groups[g] for g in ordered], dtype=np.int64),
                 tuple(marks[g] for g in ordered), len(values))


def tally_figure(t: Tally, revealed: bool) -> go.Figure:
    """Bars of answer counts; after the reveal the right ones are green and the others grey."""
    colours = [("#16a34a" if r else "#9ca3af") if revealed else "#3b82f6" for r in t.right]
    labels = [lab.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for lab in t.labels]
    fig = go.Figure(go.Bar(x=list(range(len(labels))), y=t.counts.tolist(), marker_color=colours,
                           text=t.counts.tolist(), textposition="outside",
                           hovertemplate="%{customdata}: %{y} answers<extra></extra>", customdata=labels))
    fig.update_layout(title=f"{t.total} answers", xaxis_title="answer", yaxis_title="students",
                      margin=dict(l=40, r=10, t=40, b=40), height=320)
    fig.update_xaxes(tickvals=list(range(len(labels))), ticktext=labels)
    fig.update_yaxes(rangemode="tozero", dtick=max(1, int(t.counts.max(initial=1)) // 5 or 1))
    return fig


def qr_png(url: str, box_size: int = 8) -> bytes:
    """A QR code of ``url`` as PNG bytes (drawn with the qrcode package and Pillow)."""
    import qrcode

    image = qrcode.make(url, box_size=box_size, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
