"""AppTest over the Worked example page: steps, presets, the article's errors, check my answer, the real model."""

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import APP, open_page

from attnviz.teaching import examples
from attnviz.attention_math import sdpa_steps

PAGE = "pages/2_Worked_example.py"

pytestmark = pytest.mark.usefixtures("fresh_caches")


def _page(query=None):
    return open_page(PAGE, query)


def _ok(at):
    """No exception, and no error box but the article audit's own findings when the article example is open."""
    assert not at.exception, at.exception
    expected = set()
    if at.selectbox(key="we_example").value == "article":
        findings = examples.audit(examples.article_claim())
        expected = {f"**{i}. {f.title}.** {f.detail}" for i, f in enumerate(findings, 1) if not f.ok}
    assert {e.value for e in at.error} == expected


def _param(at, name):
    value = at.query_params[name]
    return value[0] if isinstance(value, list) else value


def test_default_page_starts_at_the_inputs_of_the_clean_example():
    at = _page()
    _ok(at)
    assert at.selectbox(key="we_example").value == "clean"
    assert at.radio(key="we_step").value == "inputs"
    assert at.subheader[0].value == "Step 1 of 5: Q, K and V"
    assert at.button(key="we_prev").disabled
    assert len(at.table) == 3


def test_next_walks_through_every_step_and_writes_it_to_the_url():
    at = _page()
    seen = [at.radio(key="we_step").value]
    while not at.button(key="we_next").disabled:
        at.button(key="we_next").click().run()
        _ok(at)
        seen.append(at.radio(key="we_step").value)
        assert _param(at, "step") == seen[-1]
        assert len(at.latex) >= 2
    assert seen == ["inputs", "scores", "scaled", "softmax", "output"]
    at.button(key="we_prev").click().run()
    assert at.radio(key="we_step").value == "softmax"


def test_scores_step_shows_the_chosen_cell_as_a_sum():
    at = _page({"example": "article", "step": "scores"})
    _ok(at)
    s = sdpa_steps(examples.article_fixed().q, examples.article_fixed().k, examples.article_fixed().v)
    assert any(rf"4 \cdot 7 + 5 \cdot 8 + 6 \cdot 9 = {int(s.scores[1, 0])}" in x.value for x in at.latex)
    at.selectbox(key="we_cell_col").set_value(1).run()
    assert any(rf"4 \cdot 10 + 5 \cdot 11 + 6 \cdot 12 = {int(s.scores[1, 1])}" in x.value for x in at.latex)


def test_url_step_masked_turns_on_the_causal_mask():
    at = _page({"step": "masked"})
    _ok(at)
    assert at.toggle(key="we_causal").value is True
    assert at.radio(key="we_step").value == "masked"
    assert at.subheader[0].value.startswith("Step 4 of 6: Mask")


def test_bad_url_values_fall_back_quietly():
    at = _page({"example": "nope", "step": "<script>"})
    _ok(at)
    assert at.selectbox(key="we_example").value == "clean" and at.radio(key="we_step").value == "inputs"


@pytest.mark.parametrize("example_id", ["clean", "article", "single", "sqrt_dk", "random"])
def test_every_preset_runs_each_step(example_id):
    at = _page()
    at.selectbox(key="we_example").set_value(example_id).run()
    _ok(at)
    for step_id in at.radio(key="we_step").options:
        at.radio(key="we_step").set_value(step_id).run()
        _ok(at)
    assert _param(at, "example") == example_id


def test_article_preset_explains_its_three_errors_then_runs_a_corrected_version():
    at = _page({"example": "article"})
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 3
    assert "Q is 2×3 but K is 2×2" in errors[0]
    assert "0.3636 + 0.1818 = 0.5454" in errors[1]
    assert "[[12.091, 13.091], [6.363, 6.908]]" in errors[2]
    assert any(s.value == "A corrected version that runs" for s in at.subheader)
    assert at.radio(key="we_step").value == "inputs" and len(at.table) >= 9
    # Nobody recorded which article it was: the page says so instead of naming one.
    assert any(c.value == examples.ARTICLE_SOURCE for c in at.caption) and "not recorded" in examples.ARTICLE_SOURCE


def test_single_preset_weight_is_one():
    at = _page({"example": "single", "step": "softmax"})
    _ok(at)
    assert any(r"\frac{1}{1} = 1" in x.value for x in at.latex)


def test_sqrt_dk_toggle_and_slider_change_the_saturation_marker():
    at = _page({"example": "sqrt_dk"})
    _ok(at)
    at.select_slider(key="we_sqrt_dk").set_value(512).run()
    at.toggle(key="we_scale").set_value(False).run()
    _ok(at)
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    marker = next(t for t in fig["data"] if t["name"] == "this example's setting")
    assert marker["x"] == [512] and marker["y"][0] > 0.9
    assert at.subheader[0].value  # the step-through still renders


def test_random_example_changes_with_the_seed():
    at = _page({"example": "random", "step": "scores"})
    first = [t.value.to_json() for t in at.table]
    at.button(key="we_reroll").click().run()
    _ok(at)
    assert at.number_input(key="we_seed").value == 1
    assert [t.value.to_json() for t in at.table] != first


def test_check_my_answer_marks_right_and_wrong_and_names_the_first_wrong_cell():
    ex = examples.clean_example()
    s = sdpa_steps(ex.q, ex.k, ex.v)
    at = _page()
    at.text_area(key="we_answer_scores").set_value("\n".join(" ".join(str(int(x)) for x in r) for r in s.scores))
    wrong = np.round(s.weights, 3)
    wrong[2, 1] = 0.5
    at.text_area(key="we_answer_weights").set_value("\n".join(" ".join(str(x) for x in r) for r in wrong))
    at.button(key="we_check").click().run()
    assert not at.exception
    assert any("Scores" in m.value and "Right" in m.value for m in at.success)
    assert any("row 2, column 1" in m.value for m in at.error)
    assert not any("Output" in m.value for m in [*at.success, *at.error])


def test_check_my_answer_bad_input_says_how_to_type():
    at = _page()
    at.text_area(key="we_answer_output").set_value("1 2\nthree 4")
    at.button(key="we_check").click().run()
    assert not at.exception
    assert any("not a number" in m.value and "One row per line" in m.value for m in at.error)


def test_presentation_toggle_keeps_the_page_working():
    at = _page({"step": "softmax"})
    at.toggle(key="presentation").set_value(True).run()
    _ok(at)
    assert at.subheader[0].value.startswith("Step 4 of 5")


def test_real_model_mode_recomputes_the_builtin_models_attention():
    at = _page({"example": "model", "step": "softmax"})
    _ok(at)
    at.text_area(key="we_text").set_value("我爱学习编程。the cat").run()
    at.selectbox(key="we_layer").set_value(4).run()
    at.selectbox(key="we_head").set_value(9).run()
    at.selectbox(key="we_query").set_value(3).run()
    _ok(at)
    line = next(m.value for m in at.success if "max |recomputed weights − model attention row|" in m.value)
    assert float(re.search(r"= ([0-9.e+-]+)", line).group(1)) <= 1e-5
    assert any(r"\text{weights}_{3," in x.value for x in at.latex)


def test_real_model_mode_uses_the_text_from_inspect():
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/1_Inspect.py").run()
    at.text_area(key="text").set_value("the dog and the cat").run()
    at.switch_page(PAGE).run()
    at.selectbox(key="we_example").set_value("model").run()
    _ok(at)
    assert at.text_area(key="we_text").value == "the dog and the cat"


def test_real_model_mode_with_a_local_tiny_model(tiny_classifier_dir):
    at = _page({"example": "model"})
    at.selectbox(key="model_choice").set_value(at.selectbox(key="model_choice").options[-1]).run()
    at.text_input(key="model_custom").set_value(str(tiny_classifier_dir)).run()
    _ok(at)
    assert at.selectbox(key="we_layer").options == ["0", "1"]
    assert any("max |recomputed" in m.value for m in at.success)


def test_real_model_mode_empty_text_asks_for_text():
    at = _page({"example": "model"})
    at.text_area(key="we_text").set_value("   ").run()
    assert not at.exception
    assert any("Enter some text" in m.value for m in at.info)


def test_changing_the_example_starts_at_step_one():
    at = _page({"example": "clean", "step": "output"})
    at.selectbox(key="we_example").set_value("single").run()
    _ok(at)
    assert at.subheader[0].value.startswith("Step 1 of")


def test_students_compute_first_hides_the_result_until_revealed():
    at = _page({"example": "clean", "step": "scores"})
    at.toggle(key="we_hide_results").set_value(True).run()
    _ok(at)
    assert not any("worked out" in m.value for m in at.markdown)
    assert any("Compute **scores** yourself" in m.value for m in at.info)
    at.button(key="we_reveal_scores").click().run()
    assert any("worked out" in m.value for m in at.markdown)


def test_worked_state_survives_a_trip_to_inspect():
    at = _page({"example": "article", "step": "softmax"})
    at.toggle(key="presentation").set_value(True).run()
    at.switch_page("pages/1_Inspect.py").run()
    at.switch_page(PAGE).run()
    _ok(at)
    assert at.selectbox(key="we_example").value == "article"
    assert at.subheader[-1].value.startswith("Step 4 of") or any(
        s.value.startswith("Step 4 of") for s in at.subheader)
    assert at.toggle(key="presentation").value is True


def test_an_earlier_url_from_back_or_forward_brings_back_its_example_step_and_presentation_mode():
    at = open_page("pages/2_Worked_example.py", {"example": "article", "step": "scores"})
    _ok(at)
    at.button(key="we_next").click().run()
    assert _param(at, "step") == "scaled" and "present" not in at.query_params
    at.query_params.update({"example": "clean", "step": "softmax", "present": "1"})  # what Back would restore
    at.run()
    _ok(at)
    assert at.selectbox(key="we_example").value == "clean" and at.radio(key="we_step").value == "softmax"
    assert at.toggle(key="presentation").value is True and _param(at, "present") == "1"
    at.run()  # the URL it wrote itself is not a history move: the widgets keep the choice
    at.radio(key="we_step").set_value("output").run()
    assert at.radio(key="we_step").value == "output" and _param(at, "step") == "output"
