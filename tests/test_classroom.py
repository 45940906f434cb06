"""Classroom questions from real numbers, the answer tally and its figure, the QR code, slides export."""

import io
import math

import numpy as np
import pytest

from attnviz.teaching import examples as presets
from attnviz.attention_math import causal_mask, sdpa_steps
from attnviz.classroom.questions import (
    ClassroomError, Question, inspect_question, is_right, open_answer, parse_number, read_open_answer,
    toy_steps, worked_question)
from attnviz.classroom.slides import html_document, pptx_bytes, slide_steps
from attnviz.classroom.tally import qr_png, tally, tally_figure
from attnviz.types import Analysis, Token


def _analysis(row):
    tokens = tuple(Token(t, None, None, False) for t in ("[CLS]", "it", "was", "it", "[SEP]"))
    att = np.full((2, 3, 5, 5), 0.2, dtype=np.float32)
    att[1, 2, 1] = row
    return Analysis("tiny", "it was it", tokens, att, None, False, 5)


@pytest.mark.parametrize("step_id,stage,matrix", [
    ("scores", "scores", "scores"), ("scaled", "scaled", "scaled"), ("softmax", "weights", "weights"),
    ("output", "output", "output")], ids=["scores", "scaled", "softmax", "output"])
def test_worked_question_is_the_page_cell(step_id, stage, matrix):
    ex = presets.clean_example()
    expected = getattr(sdpa_steps(ex.q, ex.k, ex.v), matrix)[1, 0]
    q = worked_question("clean", step_id, 1, 0)
    assert q.prompt.startswith(f"What is {stage}[1, 0]?")
    assert q.correct == pytest.approx(expected) and q.tolerance == 0.01
    assert q.explanation.startswith(f"{stage}[1,0] = ")
    assert is_right(q, f"{expected + 0.009:.6f}") and not is_right(q, f"{expected + 0.02:.6f}")


def test_worked_question_masked_cell_is_minus_infinity_through_json():
    q = Question.from_payload(worked_question("clean", "masked", 0, 2).payload())
    ex = presets.clean_example()
    assert math.isinf(sdpa_steps(ex.q, ex.k, ex.v, causal_mask(3)).masked[0, 2])
    assert q.correct == -math.inf and is_right(q, "−∞") and not is_right(q, "-1000")


def test_worked_question_outside_the_matrix_is_refused():
    with pytest.raises(ClassroomError, match="inside the 3×3"):
        worked_question("clean", "scores", 3, 0)
    with pytest.raises(ClassroomError, match="not the inputs"):
        worked_question("clean", "inputs", 0, 0)


def test_inspect_question_answer_is_the_largest_weight():
    q = inspect_question(_analysis([0.1, 0.1, 0.15, 0.6, 0.05]), 1, 2, 1)
    assert q.kind == "choice" and q.correct == 3
    assert q.choices == ("0: [CLS]", "1: it", "2: was", "3: it", "4: [SEP]")  # repeated "it" stays apart
    assert "layer 1, head 2" in q.prompt and "“it” (token 1)" in q.prompt
    assert is_right(q, "3") and not is_right(q, "1")


def test_inspect_question_on_the_tiny_model(tiny_classifier):
    from attnviz.analysis import analyze

    a = analyze("the cat sat on the mat", tiny_classifier)
    q = inspect_question(a, 1, 3, 2)
    assert q.correct == int(np.argmax(a.attentions[1, 3, 2])) and len(q.choices) == a.n_tokens


def test_open_answer_keeps_markup_as_text():
    value = open_answer("<b>not</b> [bad](x)", "positive")
    assert read_open_answer(value) == ("<b>not</b> [bad](x)", "positive")
    with pytest.raises(ClassroomError):
        open_answer("  ", "positive")


@pytest.mark.parametrize("text,value", [("0,25", 0.25), ("−1.5", -1.5), ("-inf", -math.inf), (" 2 ", 2.0)],
                         ids=["comma", "unicode-minus", "inf", "spaces"])
def test_parse_number_accepts_what_students_type(text, value):
    assert parse_number(text) == value


def test_tally_groups_numbers_and_marks_the_right_bar():
    q = worked_question("clean", "softmax", 1, 0)
    t = tally(q, [str(q.correct), f"{q.correct:.3f}", "0.5", "abc"])
    assert t.labels == ("0.090", "0.500", "not a number") and t.counts.tolist() == [2, 1, 1]
    assert t.right == (True, False, False) and t.total == 4


def test_tally_figure_escapes_token_labels():
    q = inspect_question(_analysis([0.1, 0.1, 0.15, 0.6, 0.05]), 1, 2, 1)
    q = Question(q.kind, q.prompt, ("0: <b>", "1: a&b"), 0)
    fig = tally_figure(tally(q, ["0", "0", "1"]), revealed=True)
    assert list(fig.layout.xaxis.ticktext) == ["0: &lt;b&gt;", "1: a&amp;b"]
    assert list(fig.data[0].y) == [2, 1] and fig.data[0].marker.color[0] != fig.data[0].marker.color[1]


def test_qr_png_is_a_png_of_the_link():
    data = qr_png("http://127.0.0.1:8501/Classroom?room=ABCDE")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_pptx_reopens_with_one_slide_per_step_and_the_page_numbers():
    from pptx import Presentation

    steps, tokens = toy_steps("clean")
    deck = Presentation(io.BytesIO(pptx_bytes("t", slide_steps(steps), tokens)))
    assert len(deck.slides) == len(steps.steps())
    texts = ["\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
             for slide in deck.slides]
    cells = [[c.text for row in shape.table.rows for c in row.cells] for shape in deck.slides[3].shapes
             if shape.has_table]
    assert texts[0].startswith("Step 1 of 5: Q, K and V")
    assert f"{steps.weights[1, 0]:.3f}" in cells[-1]  # the softmax slide's weights table
    assert "weights[1,1] = " in texts[3]  # the written-out cell


def test_html_slides_open_offline_and_escape_text():
    steps, _ = toy_steps("clean")
    page = html_document("<script>x</script>", slide_steps(steps), ("<b>a</b>", "b", "c"))
    assert page.count("<section>") == len(steps.steps())
    assert "<script>" not in page and "&lt;b&gt;a&lt;/b&gt;" in page
    assert "http" not in page and "<link" not in page and f"{steps.output[1, 1]:.3f}" in page


def test_classroom_library_leaves_streamlit_out():
    import subprocess
    import sys

    code = "import sys, attnviz.classroom; assert 'streamlit' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
