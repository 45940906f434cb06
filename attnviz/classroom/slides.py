"""The current worked example as slides: a PPTX deck (python-pptx) and one self-contained HTML file.

One slide per step, with the step's explanation, its formula (LaTeX source: neither format may fetch a renderer),
every table with its numbers as the page rounds them, and the chosen cell written out as a sum.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

from attnviz.attention_math import AttentionSteps, Step, Table, format_number
from attnviz.teaching import cell_shape, cell_work

DECIMALS = 3


@dataclass(frozen=True)
class SlideStep:
    """What one slide shows; ``cell`` is the written-out cell (empty for the inputs)."""

    number: int
    total: int
    title: str
    explanation: str
    formula: str
    tables: tuple[Table, ...]
    cell: str


def slide_steps(steps: AttentionSteps, cell: tuple[int, int] = (1, 1)) -> tuple[SlideStep, ...]:
    """Every step of ``steps`` with the cell ``cell`` (clamped to each step's matrix) worked out."""
    all_steps: tuple[Step, ...] = steps.steps()
    out = []
    for n, step in enumerate(all_steps, 1):
        text = ""
        if step.id != "inputs":
            rows, cols = cell_shape(steps, step.id)
            work = cell_work(steps, step.id, min(cell[0], rows - 1), min(cell[1], cols - 1))
            text = work.text if work else ""
        out.append(SlideStep(n, len(all_steps), step.title, step.explanation.replace("**", ""), step.formula,
                             step.tables, text))
    return tuple(out)


def _labels(kind: str, count: int, tokens: tuple[str, ...]) -> list[str]:
    if kind in ("query", "key") and len(tokens) == count:
        return [f"{i}: {t}" for i, t in enumerate(tokens)]
    return [f"d{i}" for i in range(count)]


def _cells(table: Table) -> list[list[str]]:
    return [[format_number(x, DECIMALS) for x in row] for row in table.matrix]


def pptx_bytes(title: str, slides: tuple[SlideStep, ...], tokens: tuple[str, ...]) -> bytes:
    """A 16:9 deck, one slide per step; reopen it with ``pptx.Presentation(io.BytesIO(data))``."""
    from pptx import Presentation
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    blank = deck.slide_layouts[5]  # "Title Only"
    for s in slides:
        slide = deck.slides.add_slide(blank)
        slide.shapes.title.text = f"Step {s.number} of {s.total}: {s.title}"
        slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(32)
        box = slide.shapes.add_textbox(Inches(0.5), Inches(1.3), Inches(12.3), Inches(1.4)).text_frame
        box.word_wrap = True
        box.text = s.explanation
        box.paragraphs[0].font.size = Pt(14)
        formula = box.add_paragraph()
        formula.text = f"Formula (LaTeX): {s.formula}"
        formula.font.size = Pt(12)
        width = Emu(int(Inches(12.3) / max(len(s.tables), 1)))
        for k, table in enumerate(s.tables):
            rows, cols = table.matrix.shape
            left = Inches(0.5) + width * k
            label = slide.shapes.add_textbox(left, Inches(2.9), width, Inches(0.4)).text_frame
            label.text = f"{table.name} · {rows}×{cols}"
            label.paragraphs[0].font.size = Pt(14)
            label.paragraphs[0].font.bold = True
            shape = slide.shapes.add_table(rows + 1, cols + 1, left, Inches(3.3), Emu(int(width * 0.95)),
                                           Inches(0.35 * (rows + 1)))
            grid = shape.table
            for j, name in enumerate(_labels(table.cols, cols, tokens)):
                grid.cell(0, j + 1).text = name
            for i, (name, row) in enumerate(zip(_labels(table.rows, rows, tokens), _cells(table))):
                grid.cell(i + 1, 0).text = name
                for j, value in enumerate(row):
                    grid.cell(i + 1, j + 1).text = value
            for cell in (grid.cell(r, c) for r in range(rows + 1) for c in range(cols + 1)):
                cell.text_frame.paragraphs[0].font.size = Pt(12)
        if s.cell:
            worked = slide.shapes.add_textbox(Inches(0.5), Inches(6.3), Inches(12.3), Inches(1.0)).text_frame
            worked.word_wrap = True
            worked.text = f"Worked out: {s.cell}"
            worked.paragraphs[0].font.size = Pt(16)
    notes = deck.core_properties
    notes.title = title
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


_CSS = """body{font-family:system-ui,sans-serif;margin:0;background:#f3f4f6}
section{background:#fff;margin:1.5rem auto;padding:1.5rem 2rem;max-width:1100px;border-radius:8px;
box-shadow:0 1px 4px #0002;page-break-after:always}
h1{font-size:1.6rem;margin:0 0 .6rem}p{font-size:1.05rem;line-height:1.45}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px;white-space:pre-wrap}
.tables{display:flex;flex-wrap:wrap;gap:1.5rem}table{border-collapse:collapse;font-variant-numeric:tabular-nums}
td,th{border:1px solid #d1d5db;padding:.25rem .6rem;text-align:right}th{background:#f9fafb}
.cell{font-size:1.1rem;background:#fef3c7;padding:.5rem .8rem;border-radius:6px}
@media print{body{background:#fff}section{box-shadow:none}}"""


def html_document(title: str, slides: tuple[SlideStep, ...], tokens: tuple[str, ...]) -> str:
    """One HTML file with inline CSS and no script or external link: it opens offline. All text escaped."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{_CSS}</style></head><body>"]
    for s in slides:
        parts.append(f"<section><h1>Step {s.number} of {s.total}: {e(s.title)}</h1><p>{e(s.explanation)}</p>"
                     f"<p>Formula (LaTeX): <code>{e(s.formula)}</code></p><div class='tables'>")
        for table in s.tables:
            rows, cols = table.matrix.shape
            head = "".join(f"<th>{e(n)}</th>" for n in _labels(table.cols, cols, tokens))
            body = "".join(
                f"<tr><th>{e(name)}</th>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>"
                for name, row in zip(_labels(table.rows, rows, tokens), _cells(table)))
            parts.append(f"<div><b>{e(table.name)}</b> · {rows}×{cols}<table><tr><th></th>{head}</tr>{body}"
                         "</table></div>")
        parts.append("</div>")
        if s.cell:
            parts.append(f"<p class='cell'>Worked out: {e(s.cell)}</p>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)
