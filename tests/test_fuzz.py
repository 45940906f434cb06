"""Property-based fuzzing: any text gives a valid Analysis or a friendly AttnvizError, and every figure builds."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import attnviz
from attnviz import export, figures
from attnviz.errors import AttnvizError

# Any code point, lone surrogates included, biased towards the characters that break text pipelines.
NASTY = "\x00\x01\x1b\x7f\u200b\u200c\u200d\u200e\u200f\u202e\u2066\ufeff\u0301\u0338\ud800\udfff" \
        "👩‍👩‍👧🏳️‍🌈我爱学习שלום مرحبا<b>&lt;=+-@\t\r\n "
texts = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=80),
    st.text(alphabet=st.sampled_from(NASTY), max_size=80),
    st.lists(st.sampled_from(["the", "cat", "=1+2", "-", "@x", "我", "##s", "<script>", " "]), max_size=40).map(" ".join),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(1, 1_000_000 // 4)),
)
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _check_exports(a) -> None:
    for row in csv.reader(io.StringIO(export.head_csv(a.attentions[0, 0], a.tokens))):
        assert not any(cell.startswith(FORMULA) for cell in row)
    data = json.loads(export.to_json(a.attentions[:1], a.tokens, a.model_name, [0]))
    assert not any(t["text"].startswith(FORMULA) for t in data["tokens"])


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=texts)
def test_any_text_is_analysed_or_refused_with_a_message(tiny_classifier, text):
    try:
        a = attnviz.analyze(text, tiny_classifier)
    except AttnvizError as exc:
        assert str(exc).strip()
        return
    n = len(a.tokens)
    assert a.attentions.dtype == np.float32
    assert a.attentions.shape == (tiny_classifier.n_layers, tiny_classifier.n_heads, n, n)
    assert 0 < n <= tiny_classifier.max_tokens
    assert np.isfinite(a.attentions).all()
    assert np.abs(a.attentions.sum(axis=-1, dtype=np.float32) - 1).max() <= 1e-5
    assert all(t.special or (0 <= t.start <= t.end <= len(a.text)) for t in a.tokens)
    heat = figures.head_heatmap(a.attentions[0, 0], a.tokens, "head")
    assert len(heat.data[0].z) == n
    ticks, labels = list(heat.layout.xaxis.tickvals), list(heat.layout.xaxis.ticktext)
    # Long texts label every k-th token only; each label sits at its own token's position.
    assert ticks[0] == 0 and ticks == list(range(0, n, ticks[1] - ticks[0] if len(ticks) > 1 else 1))
    assert labels == [figures.token_label(a.tokens[i]) for i in ticks]
    assert not any("<b>" in label or "<a" in label for label in heat.layout.xaxis.ticktext)
    figures.overview_figure(a.attentions)
    figures.prediction_figure(a.prediction)
    _check_exports(a)


@pytest.mark.parametrize("unit", ["a", "我", "👩‍👩‍👧", "\ud800", "\x00", "<b>x</b> "])
def test_one_megabyte_paste_is_capped_and_reported(tiny_classifier, unit):
    text = unit * (1_000_000 // len(unit))
    try:
        a = attnviz.analyze(text, tiny_classifier)
    except AttnvizError as exc:
        assert str(exc).strip()
        return
    assert a.truncated and len(a.tokens) <= tiny_classifier.max_tokens
