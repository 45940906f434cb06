"""AppTest: Inspect on a tiny random BART shows encoder, decoder and cross-attention for a source/target pair."""

import base64

import numpy as np
import pytest

from attnviz.seq2seq import analyze_pair
from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")
SOURCE = "我爱学习编程。"


def _inspect(model_dir):
    return open_page("pages/1_Inspect.py", {"model": str(model_dir), "text": SOURCE})


def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _heatmap(at):
    import json

    charts = [c for c in at.get("plotly_chart") if json.loads(c.proto.spec)["data"][0]["type"] == "heatmap"]
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


@pytest.mark.parametrize("kind", ["encoder", "decoder", "cross"])
def test_inspect_shows_each_attention_kind_of_an_encoder_decoder(tiny_bart_dir, kind):
    import attnviz

    at = _inspect(tiny_bart_dir)
    _ok(at)
    assert at.text_area(key="s2s_target").value  # the target box exists only for encoder–decoder models
    at.radio(key="s2s_kind").set_value(kind).run()
    at.selectbox(key="s2s_layer").set_value(1).run()
    _ok(at)
    want = analyze_pair(SOURCE, at.text_area(key="s2s_target").value, attnviz.load_model(str(tiny_bart_dir)))
    spec = _heatmap(at)
    query, keys = want.axes(kind)
    z = spec["data"][0]["z"]
    z = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(len(query), len(keys))
    np.testing.assert_allclose(z, want.attentions(kind)[1, 0], atol=1e-6)  # layer 1, head 0: what was picked
    assert len(spec["layout"]["yaxis"]["ticktext"]) == len(query)
    assert len(spec["layout"]["xaxis"]["ticktext"]) == len(keys)
    if kind == "cross":
        assert len(query) != len(keys) and [c for c in at.caption if "decoder tokens ×" in c.value]


def test_inspect_hides_the_target_box_for_an_encoder(tiny_classifier_dir):
    at = _inspect(tiny_classifier_dir)
    _ok(at)
    assert not [t for t in at.text_area if t.key == "s2s_target"]
