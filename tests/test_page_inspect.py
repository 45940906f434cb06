"""AppTest over the home and Inspect pages, driving the `text` widget."""

import json

import numpy as np

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import APP, open_page, shown

import attnviz

pytestmark = pytest.mark.usefixtures("fresh_caches")


def _inspect(query=None):
    return open_page("pages/1_Inspect.py", query)


def _charts(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _title(chart):
    return chart["layout"].get("title", {}).get("text", "")


def test_home_page_names_the_model_and_device():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    shown = " ".join(t.value for t in at.text)
    assert attnviz.BUILTIN_NAME in shown and "Device: cpu" in shown
    assert "6 layers × 12 heads" in shown


def test_inspect_default_text_shows_prediction_overview_head_and_averages():
    at = _inspect()
    assert not at.exception and not at.error
    charts = _charts(at)
    assert len(charts) == 4  # prediction, one head, overview, one average
    titles = [_title(c) for c in charts]
    assert any("All 72 heads" in t for t in titles)
    assert any(t.startswith("Layer 0, head 0") for t in titles)
    assert any(t.startswith("Layer 0, mean over heads") for t in titles)
    assert at.code[0].value.startswith("[CLS] │ ")
    at.radio(key="average").set_value("Mean of all layers and heads").run()
    assert any(_title(c).startswith("Mean over all layers and heads") for c in _charts(at))


def test_inspect_chinese_and_repeated_words():
    at = _inspect()
    at.text_area(key="text").set_value("我爱学习编程。the cat and the cat").run()
    assert not at.exception and not at.error
    head = next(c for c in _charts(at) if _title(c).startswith("Layer 0, head 0"))
    ticks = head["layout"]["xaxis"]["ticktext"]
    assert ticks[1] == "我" and ticks.count("the") == 2 and ticks.count("cat") == 2
    assert len(head["layout"]["xaxis"]["tickvals"]) == len(ticks)


def test_inspect_empty_text_asks_for_text_and_shows_no_prediction():
    at = _inspect()
    at.text_area(key="text").set_value("   \u200b ").run()
    assert not at.exception
    assert any("Enter some text" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 0


def test_inspect_long_text_says_what_was_truncated():
    at = _inspect()
    at.text_area(key="text").set_value("word " * 700).run()
    assert not at.exception
    assert any("showing the first 512 of 702 tokens" in w.value for w in at.warning)


def test_inspect_markup_is_escaped_in_every_chart():
    at = _inspect()
    at.text_area(key="text").set_value("<b>bold</b> <a href='http://x'>link</a> <img src=x onerror=alert(1)>").run()
    assert not at.exception
    labels = []  # every token label: axis ticks and per-cell hover data of every chart
    for chart in _charts(at):
        for axis in (v for k, v in chart["layout"].items() if k.startswith(("xaxis", "yaxis"))):
            labels += axis.get("ticktext", [])
        for trace in chart["data"]:
            labels += [x for x in np.ravel(np.asarray(trace.get("customdata", []), dtype=object)) if isinstance(x, str)]
    assert labels and any("&lt;" in t for t in labels) and any("&gt;" in t for t in labels)
    assert not [t for t in labels if "<" in t or ">" in t]


def test_inspect_restores_view_from_url_and_writes_it_back():
    at = _inspect({"text": "the cat sat on the mat", "layer": "3", "head": "7"})
    assert not at.exception
    assert at.text_area(key="text").value == "the cat sat on the mat"
    assert at.selectbox(key="layer").value == 3 and at.selectbox(key="head").value == 7
    at.selectbox(key="head").set_value(2).run()
    assert at.query_params["head"] == ["2"] or at.query_params["head"] == "2"


def test_inspect_bad_url_values_fall_back_quietly():
    at = _inspect({"layer": "99", "head": "x"})
    assert not at.exception
    assert at.selectbox(key="layer").value == 0 and at.selectbox(key="head").value == 0


def test_inspect_other_model_from_a_local_folder(tiny_classifier_dir):
    at = _inspect()
    at.selectbox(key="model_choice").set_value(at.selectbox(key="model_choice").options[-1]).run()
    at.text_input(key="model_custom").set_value(str(tiny_classifier_dir)).run()
    assert not at.exception and not at.error
    overview = next(c for c in _charts(at) if "heads:" in _title(c))
    assert _title(overview).startswith("All 8 heads")


def test_inspect_missing_model_shows_a_message_not_a_trace():
    at = _inspect()
    at.selectbox(key="model_choice").set_value(at.selectbox(key="model_choice").options[-1]).run()
    at.text_input(key="model_custom").set_value("./no/such/model").run()
    assert not at.exception
    assert any("built-in model" in shown(e.value) for e in at.error)


def _prediction(at):
    """Labels of the prediction chart, most probable first."""
    chart = next(c for c in _charts(at) if c["data"][0].get("type") == "bar")
    return chart["layout"]["yaxis"]["ticktext"]


def test_inspect_default_model_is_the_sentiment_classifier_without_label_editor():
    at = _inspect()
    at.text_area(key="text").set_value("The movie was not good at all").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="model_choice").value == attnviz.BUILTIN_NAME
    assert _prediction(at) == ["negative", "positive"]
    assert any("classifier head" in c.value for c in at.caption)
    assert not [t for t in at.text_area if t.key == "labels_spec"]


def test_inspect_zero_shot_builtin_uses_the_edited_labels():
    at = _inspect()
    at.selectbox(key="model_choice").set_value(attnviz.BUILTIN_ZERO_SHOT_NAME).run()
    at.text_area(key="labels_spec").set_value("sport: football, tennis, a match\nfood: a meal, cooking, a recipe").run()
    at.text_area(key="text").set_value("We cooked pasta with tomato sauce for dinner.").run()
    assert not at.exception and not at.error
    assert _prediction(at) == ["food", "sport"]
    assert any("zero-shot" in c.value for c in at.caption)
    assert at.query_params["model"] in ([attnviz.BUILTIN_ZERO_SHOT_NAME], attnviz.BUILTIN_ZERO_SHOT_NAME)


def test_long_text_turns_on_the_square_root_scale_until_the_user_chooses():
    at = _inspect()
    assert at.toggle(key="sqrt_scale").value is False  # a short default sentence: linear colours
    at.text_area(key="text").set_value("word " * 100).run()
    assert at.toggle(key="sqrt_scale").value is True
    head = next(c for c in _charts(at) if _title(c).startswith("Layer 0, head 0"))
    assert "√" in head["data"][0]["colorbar"]["title"]["text"]
    at.toggle(key="sqrt_scale").set_value(False).run()  # the user's choice sticks
    at.text_area(key="text").set_value("word " * 120).run()
    assert at.toggle(key="sqrt_scale").value is False
