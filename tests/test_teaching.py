"""Presets, the article audit, cell explanations, check my answer, and the table/figure builders of the worked example."""

import numpy as np
import pytest

from attnviz.teaching import examples
from attnviz.teaching.answers import AnswerFormatError, check_answer, parse_matrix
from attnviz.teaching.sdpa import causal_mask, sdpa_steps
from attnviz.teaching.steps import Table
from attnviz.teaching.figures import comparison_figure, saturation_figure
from attnviz.teaching.cells import MAX_TERMS, cell_shape, cell_work
from attnviz.types import Token
from attnviz.ui import worked_tables
from attnviz.ui.worked_tables import ELLIPSIS, Axes, indexed, shown_positions, styled, table_frame

ARTICLE = examples.article_fixed()


def _steps(example, mask=None):
    return sdpa_steps(example.q, example.k, example.v, mask)


# --- the article's example -------------------------------------------------------------------------------------


def test_article_audit_finds_its_three_errors():
    claim = examples.article_claim()
    findings = {f.id: f for f in examples.audit(claim)}
    assert [f.ok for f in findings.values()] == [False, False, False]
    assert "Q is 2×3 but K is 2×2" in findings["shapes"].detail
    assert findings["shapes"].title == "QKᵀ is undefined"
    sums = claim.weights.sum(axis=1)
    assert "second row" in findings["row_sums"].title
    assert f"= {sums[1]:.4f}" in findings["row_sums"].detail
    product = claim.weights @ claim.v
    np.testing.assert_allclose(findings["output"].matrix, product)
    assert not np.allclose(product, claim.output, atol=0.01)
    for value in product.ravel():
        assert f"{value:.3f}" in findings["output"].detail


def test_article_audit_accepts_a_consistent_claim():
    s = _steps(ARTICLE)
    claim = examples.Claim(ARTICLE.q, ARTICLE.k, ARTICLE.v, s.scores, s.weights, s.output)
    assert all(f.ok for f in examples.audit(claim))


def test_article_corrected_version_runs_and_keeps_the_article_q_and_v():
    claim = examples.article_claim()
    np.testing.assert_array_equal(ARTICLE.q, claim.q)
    np.testing.assert_array_equal(ARTICLE.v, claim.v)
    s = _steps(ARTICLE)
    np.testing.assert_allclose(s.scores, ARTICLE.q @ ARTICLE.k.T)
    np.testing.assert_allclose(s.weights.sum(axis=1), 1.0)


# --- presets -------------------------------------------------------------------------------------------------------


def test_clean_example_is_small_and_hand_friendly():
    ex = examples.clean_example()
    assert ex.q.shape == (3, 4) and ex.k.shape == (3, 4)
    s = _steps(ex)
    np.testing.assert_array_equal(s.scores, np.round(s.scores))  # whole-number scores
    np.testing.assert_allclose(s.scaled * 2, np.round(s.scaled * 2))  # halves after ÷ √4


@pytest.mark.parametrize("seed", range(4))
def test_one_query_one_key_always_gets_weight_one(seed):
    rng = np.random.default_rng(seed)
    s = sdpa_steps(rng.normal(0, 50, (1, 3)), rng.normal(0, 50, (1, 3)), rng.normal(0, 5, (1, 2)))
    np.testing.assert_array_equal(s.weights, [[1.0]])
    np.testing.assert_allclose(s.output, s.v)
    assert _steps(examples.example("single")).weights.tolist() == [[1.0]]


def test_random_example_is_reproducible_from_its_seed():
    a, b, c = examples.random_example(3), examples.random_example(3), examples.random_example(4)
    np.testing.assert_array_equal(a.q, b.q)
    assert not np.array_equal(a.q, c.q)
    assert examples.random_example(1, 5, 7, 3).q.shape == (5, 7)


def test_saturation_unscaled_turns_one_hot_while_scaled_does_not():
    sat = examples.saturation()
    assert sat.unscaled[-1] > 0.9 and sat.unscaled[-1] > sat.unscaled[0]
    assert sat.scaled.max() < 0.7
    assert np.all(np.diff(sat.unscaled) > -0.02)


def test_sqrt_dk_scores_have_variance_d_k():
    ex = examples.sqrt_dk_example(256, seed=1, n_tokens=4)
    scores = _steps(ex).scores
    assert 100 < scores.var() < 600


@pytest.mark.parametrize(("raw", "expected"), [("article", "article"), (["SOFTMAX "], "softmax"), ("x", "inputs"),
                                               (None, "inputs"), ([], "inputs")])
def test_parse_choice_never_raises(raw, expected):
    assert examples.parse_choice(raw, ("inputs", "scores", "softmax", "article")) == expected


def test_resize_and_token_names():
    np.testing.assert_array_equal(examples.resize(np.ones((2, 2)), 3, 1), [[1], [1], [0]])
    assert examples.token_names("a, ,b", 4) == ("a", "t1", "b", "t3")


# --- cell explanations ------------------------------------------------------------------------------------------


def test_cell_work_writes_the_dot_product_as_a_sum():
    work = cell_work(_steps(ARTICLE), "scores", 1, 0)
    assert work.text == "scores[1,0] = 4·7 + 5·8 + 6·9 = 122"
    assert r"4 \cdot 7 + 5 \cdot 8 + 6 \cdot 9 = 122" in work.latex
    assert {(h.table, h.row, h.col) for h in work.highlights} == {("Q", 1, None), ("Kᵀ", None, 0), ("scores", 1, 0)}


@pytest.mark.parametrize("step_id", ["scores", "scaled", "masked", "softmax", "output"])
def test_cell_work_ends_with_the_cell_value(step_id):
    s = _steps(examples.random_example(5, 4, 3, 2), causal_mask(4))
    rows, cols = cell_shape(s, step_id)
    target = {"scores": s.scores, "scaled": s.scaled, "masked": s.masked, "softmax": s.weights, "output": s.output}
    for i in range(rows):
        for j in range(cols):
            value = target[step_id][i, j]
            shown = cell_work(s, step_id, i, j).text.rsplit(" = ", 1)[-1].split(" (")[0]
            if np.isfinite(value):
                assert float(shown.replace("−", "-")) == pytest.approx(value, abs=5e-4)
            else:
                assert "−∞" in shown


def test_cell_work_shortens_long_vectors_but_keeps_every_term_in_text():
    rng = np.random.default_rng(0)
    s = sdpa_steps(rng.normal(size=(1, 32)), rng.normal(size=(5, 32)), rng.normal(size=(5, 32)))
    work = cell_work(s, "scores", 0, 2, row_offset=7)
    assert r"\cdots" in work.latex and "32 terms" in work.latex
    assert work.text.count("·") == 32 and work.text.startswith("scores[7,2] = ")
    assert MAX_TERMS < 32


def test_cell_work_for_inputs_is_none_and_bad_cells_raise():
    s = _steps(ARTICLE)
    assert cell_work(s, "inputs", 0, 0) is None
    with pytest.raises(ValueError, match="outside"):
        cell_work(s, "scores", 2, 0)


# --- check my answer ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1 2\n3 4", "1, 2; 3, 4", "[[1, 2], [3, 4]]", " 1\t2 \n\n 3 4 \n"])
def test_parse_matrix_formats(typed):
    np.testing.assert_array_equal(parse_matrix(typed), [[1, 2], [3, 4]])


@pytest.mark.parametrize("typed", ["", "1 2\n3", "1 x", "1 " * 3000])
def test_parse_matrix_errors_say_how_to_type(typed):
    with pytest.raises(AnswerFormatError, match="One row per line|too long"):
        parse_matrix(typed)


def test_parse_matrix_names_the_line_and_entry_of_a_typo():
    with pytest.raises(AnswerFormatError, match="Line 2, entry 1 is not a number"):
        parse_matrix("1 2\nthree 4")


def test_check_answer_right_within_tolerance():
    s = _steps(examples.clean_example())
    typed = "\n".join(" ".join(f"{x:.3f}" for x in row) for row in s.weights)
    result = check_answer("weights", typed, s.weights, 0.01)
    assert result.ok and "Right" in result.message and not result.wrong.any()


def test_check_answer_points_at_the_first_wrong_cell():
    s = _steps(examples.clean_example())
    wrong = s.scores.copy()
    wrong[1, 2] += 1
    wrong[2, 0] -= 3
    typed = "\n".join(" ".join(str(x) for x in row) for row in wrong)
    result = check_answer("scores", typed, s.scores, 0.01)
    assert not result.ok and result.first_wrong == (1, 2)
    assert "2 of 9 cells" in result.message and "row 1, column 2" in result.message
    assert result.wrong.sum() == 2


def test_check_answer_wrong_shape_and_masked_cells():
    s = _steps(examples.clean_example(), causal_mask(3))
    assert "should be 3×3" in check_answer("scores", "1 2", s.scores).message
    masked = "\n".join(" ".join("-inf" if np.isneginf(x) else str(x) for x in row) for row in s.masked)
    assert check_answer("masked", masked, s.masked).ok


# --- tables and figures -------------------------------------------------------------------------------------------


def test_table_frame_compacts_long_vectors_and_keeps_the_highlighted_one():
    m = np.arange(2 * 32, dtype=float).reshape(2, 32)
    axes = Axes(indexed(["a", "b"]), indexed(["a", "b"]))
    frame = table_frame(Table("Q", m, "query", "dim"), axes, keep=(None, 20))
    first = worked_tables.COMPACT_KEEP
    assert list(frame.columns[:first]) == [f"d{i}" for i in range(first)] and "d20" in frame.columns
    assert sum(c.startswith(ELLIPSIS) for c in frame.columns) == 2
    assert shown_positions(5) == [0, 1, 2, 3, 4]
    full = table_frame(Table("Q", m, "query", "dim"), axes, compact=False)
    assert full.shape == (2, 32) and full.iloc[1, 31] == "63"


@pytest.mark.parametrize("n, first, shown", [
    (32, 5, [0, 1, 2, 3, 4, None]),
    (32, 4, [0, 1, 2, 3, None]),  # presentation mode's larger type
    (6, 4, [0, 1, 2, 3, 4, 5]),  # a gap would hide no more than it takes
    (7, 4, [0, 1, 2, 3, None]),
], ids=["laptop", "presentation", "short", "just-long"])
def test_shown_positions_keeps_the_first_entries_then_a_gap(n, first, shown):
    assert shown_positions(n, first=first) == shown
    frame = table_frame(Table("K", np.zeros((2, n)), "key", "dim"), Axes(("a", "b"), ("a", "b")), first=first)
    assert len(frame.columns) == len(shown)


def test_styled_marks_the_cell_band_and_wrong_cells():
    from attnviz.teaching.cells import Highlight

    m = np.array([[1.0, 2.0], [3.0, 4.5]])
    axes = Axes(indexed(["the", "the"]), indexed(["the", "the"]))
    table = Table("scores", m, "query", "key", row_sums=True)
    frame = table_frame(table, axes)
    assert list(frame.index) == ["0 · the", "1 · the"] and frame.loc["1 · the", "row sum"] == "7.500"
    ctx = styled(table, axes, (Highlight("scores", 1, None), Highlight("scores", 1, 0)))._compute().ctx
    assert any("f59e0b" in p[1] for p in ctx[(1, 0)]) and any("fde68a" in p[1] for p in ctx[(1, 1)])
    assert (0, 0) not in ctx or not ctx[(0, 0)]
    wrong = styled(table, axes, wrong=np.array([[True, False], [False, False]]))._compute().ctx
    assert any("fca5a5" in p[1] for p in wrong[(0, 0)])


def test_saturation_figure_fields():
    sat = examples.saturation()
    fig = saturation_figure(sat, 64, scale=False)
    assert [t.name for t in fig.data] == ["divided by √d_k", "not divided", "this example's setting"]
    assert fig.data[2].x == (64,) and fig.data[2].y[0] == pytest.approx(sat.unscaled[sat.dims.index(64)])
    assert fig.layout.xaxis.type == "log" and list(fig.layout.xaxis.tickvals) == list(sat.dims)


def test_comparison_figure_escapes_and_keeps_repeated_tokens():
    tokens = [Token(t, None, None, False) for t in ("<b>x</b>", "the", "the")]
    fig = comparison_figure(np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5]), tokens, 1)
    ticks = list(fig.layout.xaxis.ticktext)
    assert ticks == ["0 · &lt;b&gt;x&lt;/b&gt;", "1 · the", "2 · the"]
    assert list(fig.layout.xaxis.tickvals) == [0, 1, 2] and "1 · the" in fig.layout.title.text
    assert fig.layout.yaxis.range == (0, 1)



@pytest.mark.parametrize("mask", [None, "causal"], ids=["scaled-step", "masked-step"])
def test_cell_work_with_scaling_off_names_the_unscaled_scores(mask):
    steps = sdpa_steps(np.ones((2, 4)), np.ones((2, 4)), np.ones((2, 1)), causal_mask(2) if mask else None, scale=False)
    work = cell_work(steps, "masked" if mask else "scaled", 1, 0)
    assert r"\text{unscaled}" in work.latex and r"\text{scaled}" not in work.latex
    assert "unscaled" in {h.table for h in work.highlights}
