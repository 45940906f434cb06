"""AppTest: the Explain page's faithfulness scoreboard (behind its button) and value-norm attention."""

import json

import pytest

from attnviz.scoreboard import METHODS
from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")


def _titles(at):
    return [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]


def _frame(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_scoreboard_waits_for_its_button_then_scores_six_methods():
    at = open_page("pages/3_Explain.py", {"text": "The film was not good at all."}, timeout=240)
    assert not at.exception
    assert not any(t.startswith("Deletion curves") for t in _titles(at))
    assert all("comprehensiveness ↑" not in d.value.columns for d in at.dataframe)
    at.button(key="scoreboard_run").click().run()
    assert not at.exception and not at.error
    table = _frame(at, "comprehensiveness ↑")
    assert list(table["method"]) == [*METHODS.values(), "random ranking (mean of 5)"]
    assert table["comprehensiveness ↑"].between(-1, 1).all()
    assert any(t.startswith("Deletion curves, p(negative)") for t in _titles(at))
    assert "methods beat chance here" in " ".join(t.value for t in at.text)
    assert any("higher is better" in m.value for m in at.markdown)
    # A rerun (another widget) keeps the board for the same text and class without clicking again.
    at.toggle(key="value_norms_on").set_value(True).run()
    assert "comprehensiveness ↑" in _frame(at, "comprehensiveness ↑").columns
    assert any(t.startswith("Deletion curves") for t in _titles(at))


def test_value_norms_for_a_head_and_a_layer_sum():
    at = open_page("pages/3_Explain.py", {"text": "the cat sat on the mat"}, timeout=240)
    at.toggle(key="value_norms_on").set_value(True).run()
    assert not at.exception and not at.error
    assert "‖α·f(x)‖, layer 5, sum over heads" in _titles(at)
    at.selectbox(key="value_norm_head").set_value(3).run()
    at.selectbox(key="value_norm_layer").set_value(0).run()
    assert not at.exception
    assert "‖α·f(x)‖, layer 0, head 3" in _titles(at)
    assert "Value norms vs raw attention" in _titles(at)
