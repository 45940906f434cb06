"""AppTest over the attention-block stages of the Worked example page."""

import pytest

from tests.apptest import open_page

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
