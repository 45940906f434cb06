"""AppTest over the attention-block stages of the Worked example page."""

import pytest

from tests.apptest import open_page, shown

PAGE = "pages/2_Worked_example.py"

pytestmark = pytest.mark.usefixtures("fresh_caches")


def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("stage", ["multihead", "rope", "gqa", "kv_cache", "cross"])
def test_every_toy_stage_renders_from_the_url(stage):
    at = open_page(PAGE, {"stage": stage})
    _ok(at)
    assert at.selectbox(key="we_stage").value == stage
    assert any("every number" in e.label for e in at.expander)


def test_multihead_steps_walk_to_the_output_projection():
    at = open_page(PAGE, {"stage": "multihead"})
    for step in ("project", "split", "heads", "concat", "output"):
        at.radio(key="we_mh_step").set_value(step).run()
        _ok(at)
    assert [t for t in at.markdown if "**output** · 3×4" in t.value]
    assert [t for t in at.markdown if "**W_O** · 4×4" in shown(t.value)]  # the toy's weights, to multiply out by hand
    at.radio(key="we_mh_step").set_value("project").run()
    assert {"**W_Q** · 4×4", "**W_K** · 4×4", "**W_V** · 4×4"} <= {shown(t.value) for t in at.markdown}


def test_kv_cache_stage_shows_the_cached_row_equals_the_full_row():
    at = open_page(PAGE, {"stage": "kv_cache"})
    assert "max |cached row − full last row|" in at.success[0].value
    assert float(at.success[0].value.rsplit("= ", 1)[1]) < 1e-12


def test_cross_stage_diagnoses_the_article_slip():
    at = open_page(PAGE, {"stage": "cross"})
    assert "context vector" in at.warning[0].value and "Toy numbers" in at.info[0].value


def test_real_model_stage_matches_builtin_minilm_within_1e_5():
    at = open_page(PAGE, {"stage": "model"})
    _ok(at)
    value = at.success[0].value
    assert "max |multi_head_steps output − model's attention output|" in value
    assert float(value.split("= ", 1)[1].split(";", 1)[0]) <= 1e-5


def test_real_model_stage_redoes_a_smollm2_layer_with_rope_and_gqa(smollm2):
    import attnviz

    at = open_page(PAGE, {"stage": "model", "model": attnviz.SMOLLM2_NAME}, timeout=300)
    at.number_input(key="we_block_layer").set_value(24).run()
    _ok(at)
    assert "9 query heads, 3 K/V heads" in at.info[0].value and "causal, RoPE" in at.info[0].value
    relative = float(at.success[0].value.split("largest output number", 1)[1].split(": ", 1)[1].split(" ", 1)[0])
    assert relative <= 1e-5 and "float32" in at.caption[0].value


def test_presentation_mode_on_a_stage_keeps_working():
    at = open_page(PAGE, {"stage": "rope"})
    at.toggle(key="presentation").set_value(True).run()
    _ok(at)
    assert "depends only on the distance" in at.success[0].value


def _expected(stage: str) -> dict:
    """What each stage's Check my answer should accept, computed here from the library, not copied from the page."""
    import numpy as np

    from attnviz.teaching import block_examples as bp
    from attnviz.teaching.block import kv_cache_step, multi_head_steps, rope, rope_scores_by_distance

    def run(ex, **kw):
        return multi_head_steps(ex.x, ex.w_q, ex.w_k, ex.w_v, ex.w_o, ex.n_heads, ex.n_kv_heads, x_kv=ex.x_kv, **kw)

    if stage == "multihead":
        s = run(bp.multihead_example())
        return {"concat": s.concat, "output": s.output}
    if stage == "rope":  # the page's defaults: base 10, 6 positions, its toy q and k
        q, k = np.array([1.0, 0.0, 0.5, 1.0]), np.array([0.5, 1.0, 1.0, 0.0])
        return {"rotated_q": rope(np.repeat(q[None], 6, axis=0), np.arange(6), 10.0),
                "scores": rope_scores_by_distance(q, k, 6, 10.0)}
    if stage == "gqa":
        s = run(bp.gqa_example(), causal=True, rope_base=10000.0)
        return {"weights_head_1": s.weights[1], "weights_head_2": s.weights[2]}
    if stage == "kv_cache":
        ex = bp.gqa_example()
        step = kv_cache_step(ex.x, ex.w_q, ex.w_k, ex.w_v, ex.w_o, ex.n_heads, ex.n_kv_heads, rope_base=10000.0)
        return {"new_weights": step.new.weights[:, 0], "new_output": step.new.output}
    s = run(bp.translation_example())
    return {"weights": s.weights[0], "output": s.output}


def _typed(m) -> str:
    return "\n".join(" ".join(f"{x:.4f}" for x in row) for row in m)


PREFIXES = {"multihead": "we_mh", "rope": "we_rope", "gqa": "we_gqa", "kv_cache": "we_kv", "cross": "we_cross"}


@pytest.mark.parametrize("stage", list(PREFIXES))
def test_check_my_answer_on_each_stage_marks_right_and_names_the_wrong_cell(stage):
    prefix = PREFIXES[stage]
    (right_name, right), (wrong_name, wrong) = _expected(stage).items()
    wrong = wrong.copy()
    wrong[0, -1] += 0.5
    at = open_page(PAGE, {"stage": stage})
    tables_before = len(at.table)
    at.text_area(key=f"{prefix}_answer_{right_name}").set_value(_typed(right))
    at.text_area(key=f"{prefix}_answer_{wrong_name}").set_value(_typed(wrong))
    at.button(key=f"{prefix}_check").click().run()
    assert not at.exception, at.exception
    assert [m for m in at.success if "Right" in m.value]
    col = wrong.shape[1] - 1
    assert [m for m in at.error if f"1 of {wrong.size} cells" in m.value and f"row 0, column {col}" in m.value]
    assert len(at.table) == tables_before + 1  # the wrong typed matrix is shown back, its wrong cell in red


def test_check_my_answer_on_a_stage_names_a_wrong_shape():
    at = open_page(PAGE, {"stage": "cross"})
    at.text_area(key="we_cross_answer_weights").set_value("0.5 0.5\n0.5 0.5")
    at.button(key="we_cross_check").click().run()
    assert not at.exception
    assert [m for m in at.error if "is 2×2" in m.value and "8 rows of 5 numbers" in m.value]
