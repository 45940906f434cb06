"""Explain figures: assert on their fields."""

import numpy as np
import pytest

from attnviz import figures_explain
from attnviz.types import Prediction
from tests.hand_tokens import bert_tokens

TOKENS = bert_tokens("the <b> the", "the", "<b>", "the")


def test_token_bars_one_panel_per_score_with_duplicate_ticks_and_colours():
    series = {"raw attention": np.array([0.5, 0.1, 0.2, 0.1, 0.1]), "ig": np.array([0.0, -0.2, 0.3, 0.1, 0.0])}
    fig = figures_explain.token_bars(TOKENS, series, "Which tokens matter")
    assert len(fig.data) == 2
    assert [a.text for a in fig.layout.annotations] == ["raw attention", "ig"]
    bottom = fig.layout.xaxis2
    assert list(bottom.ticktext) == ["[CLS]", "the", "&lt;b&gt;", "the", "[SEP]"]
    assert list(bottom.tickvals) == [0, 1, 2, 3, 4]
    colours = list(fig.data[1].marker.color)
    assert colours[0] == figures_explain.SPECIAL and colours[1] == figures_explain.NEGATIVE
    assert colours[2] == figures_explain.POSITIVE


def test_token_bars_reject_wrong_length():
    with pytest.raises(ValueError):
        figures_explain.token_bars(TOKENS, {"x": np.zeros(3)}, "t")


def test_difference_heatmap_is_symmetric_about_zero():
    diff = np.zeros((5, 5), dtype=np.float32)
    diff[1, 2], diff[3, 0] = 0.3, -0.1
    fig = figures_explain.difference_heatmap(diff, TOKENS, "B − A")
    trace = fig.data[0]
    assert trace.zmin == pytest.approx(-0.3) and trace.zmax == pytest.approx(0.3) and trace.zmid == 0
    assert "key token" in fig.layout.xaxis.title.text and "query token" in fig.layout.yaxis.title.text
    assert list(fig.layout.xaxis.ticktext).count("the") == 2


def test_head_grid_lays_layers_down_and_heads_across():
    fig = figures_explain.head_grid(np.arange(6.0).reshape(2, 3) - 2, "importance", "Δ p")
    assert np.asarray(fig.data[0].z).shape == (2, 3)
    assert fig.layout.yaxis.title.text == "layer" and fig.layout.xaxis.title.text == "head"
    assert fig.data[0].zmin == -3 and fig.data[0].zmax == 3


def test_ablation_figure_has_before_and_after():
    before = Prediction(("neg", "pos"), np.array([0.8, 0.2], dtype=np.float32))
    after = Prediction(("neg", "pos"), np.array([0.4, 0.6], dtype=np.float32))
    fig = figures_explain.ablation_figure(before, after)
    assert [t.name for t in fig.data] == ["all heads on", "chosen heads off"]
    assert list(fig.data[1].x) == pytest.approx([0.4, 0.6])
    assert list(fig.layout.yaxis.ticktext) == ["neg", "pos"]
