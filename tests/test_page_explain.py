"""AppTest over the Explain page and the Inspect view toggles."""

import base64
import json

import numpy as np
import pytest

from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")


def _page(path, query=None):
    return open_page(path, query, timeout=180)


def _charts(at):
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _titles(at):
    return [c["layout"].get("title", {}).get("text", "") for c in _charts(at).values()]


def _texts(at):
    return " ".join(t.value for t in at.text)


def test_explain_default_shows_bars_agreement_heads_and_compare():
    at = _page("pages/3_Explain.py")
    assert not at.exception and not at.error
    assert not any(t.startswith("Head importance") for t in _titles(at))  # the slow part waits for its button
    assert "first-order estimate" in _texts(at)  # gradient × input by default; integrated gradients when chosen
    at.radio(key="attr_method").set_value("integrated_gradients").run()
    at.button(key="measure_importance").click().run()
    assert not at.exception and not at.error
    titles = _titles(at)
    assert "Which tokens matter: attention vs gradients" in titles
    assert any(t.startswith("Head importance") for t in titles)
    assert any(t.startswith("B − A, layer 5, head 0") for t in titles)
    assert "Completeness: the scores sum to" in _texts(at)
    assert "only in B: not" in _texts(at)
    frames = {d.proto.id: d.value for d in at.dataframe}
    heads = next(v for v in frames.values() if "importance" in v.columns)
    assert len(heads) == 72 and list(heads["importance"]) == sorted(heads["importance"], reverse=True)
    agreement = next(v for v in frames.values() if "Spearman ρ" in v.columns)
    assert list(agreement["scores"]) == [
        "raw attention vs rollout", "raw attention vs integrated gradients", "rollout vs integrated gradients"
    ]
    assert any("Abnar & Zuidema" in m.value for m in at.markdown)


def test_explain_reads_text_from_url_and_keeps_it_in_the_url():
    at = _page("pages/3_Explain.py", {"text": "the cat sat on the mat"})
    assert not at.exception
    assert at.text_area(key="text").value == "the cat sat on the mat"
    at.text_area(key="text").set_value("a dog ran").run()
    assert at.query_params["text"] in ("a dog ran", ["a dog ran"])


def test_text_carries_over_from_inspect_to_explain_and_back():
    at = _page("pages/1_Inspect.py")
    at.text_area(key="text").set_value("the film was wonderful").run()
    at.switch_page("pages/3_Explain.py").run()
    assert not at.exception and at.text_area(key="text").value == "the film was wonderful"
    at.text_area(key="text").set_value("the film was dull").run()
    at.switch_page("pages/1_Inspect.py").run()
    assert at.text_area(key="text").value == "the film was dull"


def test_explain_ablation_of_every_layer_changes_the_prediction_live():
    at = _page("pages/3_Explain.py")
    assert any("Choose heads or layers" in i.value for i in at.info)
    at.multiselect(key="ablate_layers").set_value(list(range(6))).run()
    assert not at.exception
    line = next(t.value for t in at.text if "heads off" in t.value)
    assert line.startswith("72 of 72 heads off")
    before, after = (float(x) for x in line.split("p(")[1].split(")")[1].split(";")[0].split("→"))
    assert before != after
    ablation = next(c for c in _charts(at).values() if len(c["data"]) == 2 and c["data"][1].get("name") == "chosen heads off")
    assert ablation["data"][0]["x"] != ablation["data"][1]["x"]


def test_explain_opens_the_picked_head_on_inspect():
    at = _page("pages/3_Explain.py")
    button = at.button(key="open_on_inspect")
    layer, head = (int(w) for w in button.label.split("layer ")[1].split(" on")[0].split(", head "))
    button.click().run()
    assert not at.exception
    assert at.selectbox(key="layer").value == layer and at.selectbox(key="head").value == head
    assert any(t.startswith(f"Layer {layer}, head {head}") for t in _titles(at))


def test_explain_compare_same_tokenization_and_gradient_x_input():
    at = _page("pages/3_Explain.py")
    at.text_input(key="compare_b").set_value("the film was bad").run()
    at.radio(key="attr_method").set_value("gradient_x_input").run()
    assert not at.exception
    assert any("matched position by position" in c.value for c in at.caption)
    diff = next(c for c in _charts(at).values() if c["layout"].get("title", {}).get("text", "").startswith("B − A"))
    assert "good/bad" in diff["layout"]["xaxis"]["ticktext"]
    assert "Gradient × input" in _texts(at)


def test_explain_with_a_local_classifier(tiny_classifier_dir):
    at = _page("pages/3_Explain.py")
    at.selectbox(key="model_choice").set_value(at.selectbox(key="model_choice").options[-1]).run()
    at.text_input(key="model_custom").set_value(str(tiny_classifier_dir)).run()
    assert not at.exception and not at.error
    assert "Gradient × input of the logit of" in _texts(at)
    at.selectbox(key="explain_target").set_value("positive").run()
    assert "logit of 'positive'" in _texts(at)


@pytest.mark.parametrize("text", ["   ", "<b>x</b> <img src=x onerror=alert(1)> 我爱 🙂"], ids=["empty", "hostile"])
def test_explain_bad_input_never_crashes(text):
    at = _page("pages/3_Explain.py")
    at.text_area(key="text").set_value(text).run()
    assert not at.exception
    for chart in _charts(at).values():
        assert "<img" not in json.dumps(chart)


def test_inspect_toggles_hide_special_tokens_and_merge_subwords():
    at = _page("pages/1_Inspect.py")
    at.text_area(key="text").set_value("tokenization works").run()
    head = lambda: next(c for c in _charts(at).values() if c["layout"].get("title", {}).get("text", "").startswith("Layer 0, head 0"))  # noqa: E731
    assert "##ization" in head()["layout"]["xaxis"]["ticktext"]
    at.toggle(key="hide_special").set_value(True).run()
    at.toggle(key="merge_subwords").set_value(True).run()
    assert not at.exception
    chart = head()
    assert "special tokens hidden, rows renormalised" in chart["layout"]["title"]["text"]
    assert chart["layout"]["xaxis"]["ticktext"] == ["tokenization", "works"]
    z = chart["data"][0]["z"]
    if isinstance(z, dict):  # plotly sends NumPy arrays as base64 typed arrays
        z = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(2, 2)
    assert np.asarray(z, dtype=float).sum(axis=1) == pytest.approx([1.0, 1.0], abs=1e-3)
    assert any("special tokens hidden" in c.value for c in at.caption)


def test_head_importance_measured_once_is_shown_to_the_next_session_without_its_button():
    first = _page("pages/3_Explain.py", {"text": "the film was fine"})
    first.button(key="measure_importance").click().run()
    assert not first.exception and any(t.startswith("Head importance") for t in _titles(first))
    second = _page("pages/3_Explain.py", {"text": "the film was fine"})
    assert not second.exception and any(t.startswith("Head importance") for t in _titles(second))
    assert not any(b.key == "measure_importance" for b in second.button)
