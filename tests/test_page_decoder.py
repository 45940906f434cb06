"""AppTest: Inspect and Explain with the built-in SmolLM2-135M (next token, head types, the induction probe)."""

import json

import pytest

import attnviz
from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches", "smollm2")

MARY = "When Mary and John went to the store, John gave a drink to"


def _page(path):
    return open_page(path, {"model": attnviz.SMOLLM2_NAME, "text": MARY}, timeout=300)


def _charts(at):
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _texts(at):
    return " ".join(t.value for t in at.text)


def test_inspect_smollm2_shows_next_token_and_head_types():
    at = _page("pages/1_Inspect.py")
    assert not at.exception and not at.error
    charts = list(_charts(at).values())
    bars = next(c for c in charts if c["data"][0].get("type") == "bar")
    assert bars["layout"]["yaxis"]["ticktext"][0] == "␣Mary"
    assert bars["layout"]["yaxis"]["ticktext"][-1] == "all other tokens"
    assert "Most probable next token: ␣Mary" in _texts(at)
    types = next(c for c in charts if len(c["data"]) == 4 and all(d["type"] == "heatmap" for d in c["data"]))
    assert types["data"][0]["z"]["shape"] == "30, 9"  # layers × heads


def test_inspect_induction_probe_finds_an_induction_head():
    at = _page("pages/1_Inspect.py")
    at.button(key="induction_probe").click().run()
    assert not at.exception and not at.error
    words = at.text_area(key="text").value.split()
    assert words[: len(words) // 2] == words[len(words) // 2 :]
    strongest = next(t.value for t in at.text if t.value.startswith("Strongest induction head"))
    score = float(strongest.split("(")[1].split(")")[0])
    assert score >= 0.7


def test_explain_smollm2_explains_the_next_token():
    at = _page("pages/3_Explain.py")
    assert not at.exception and not at.error
    target = at.selectbox(key="explain_target")
    assert isinstance(target.value, int) and target.options[0] == "␣Mary"  # a vocabulary id, shown as its text
    assert "logit of the next token ' Mary'" in _texts(at)
    at.button(key="measure_importance").click().run()  # head importance is measured on request, never on load
    assert not at.exception and not at.error
    at.session_state["head_table_columns"] = "Head types"  # the table shows one group of statistics at a time
    at.run()
    frames = [d.value for d in at.dataframe]
    heads = next(v for v in frames if "importance" in v.columns)
    assert len(heads) == 270 and {"induction", "sink", "duplicate_token"} <= set(heads.columns)
    at.multiselect(key="ablate_layers").select(0).run()
    assert not at.exception and not at.error
    assert "9 of 270 heads off: p( Mary) 0.923 → " in _texts(at)


def test_inspect_long_text_is_kept_layer_by_layer_and_another_layer_is_recomputed():
    from attnviz.compact import LayerStore
    from attnviz.ui.cache import get_analysis

    long = " ".join(["the cat sat on the mat and looked at the dog"] * 30)  # ~330 tokens: past COMPACT_BYTES
    at = open_page("pages/1_Inspect.py", {"model": attnviz.SMOLLM2_NAME, "text": long}, timeout=300)
    assert not at.exception and not at.error
    analysis = get_analysis(long, attnviz.SMOLLM2_NAME)
    assert isinstance(analysis.attentions, LayerStore) and not analysis.attentions.holds(12)
    at.selectbox(key="layer").set_value(12).run(timeout=300)
    assert not at.exception and not at.error
    assert analysis.attentions.holds(12)
    n = analysis.n_tokens
    heads = [c for c in _charts(at).values() if c["data"][0].get("type") == "heatmap" and "Layer 12, head" in
             c["layout"].get("title", {}).get("text", "")]
    assert heads and heads[0]["data"][0]["z"]["shape"] == f"{n}, {n}"
    assert "Strongest induction head" in _texts(at)
