"""Figures for faithfulness and value norms: fields, escaping, orientation."""

import numpy as np
import pytest

from attnviz.faithfulness import _result
from attnviz.figures_faithfulness import deletion_curves, value_norm_heatmap
from attnviz.scoreboard import Scoreboard
from attnviz.types import Token


def _tokens(*texts):
    return tuple(Token(t, None, None, t.startswith("[")) for t in texts)


def _board():
    tokens = _tokens("[CLS]", "a", "a", "<b>", "[SEP]")
    make = lambda without: _result("a a <b>", tokens, "<pos>", (10, 50), (1, 2), 0.9, without, [0.8, 0.85])  # noqa: E731
    return Scoreboard("a a <b>", "<pos>", {"rollout": make([0.5, 0.2]), "mine": make([0.7, 0.6])}, make([0.8, 0.7]), 5)


def test_deletion_curves_one_line_per_method_and_a_dashed_random():
    fig = deletion_curves(_board())
    assert [t.name for t in fig.data] == ["Rollout", "mine", "random ranking (mean of 5)"]
    assert list(fig.data[0].x) == [0, 1, 2] and list(fig.data[0].y) == [0.9, 0.5, 0.2]
    assert list(fig.layout.xaxis.ticktext) == ["0 %", "10 %", "50 %"]
    assert fig.data[-1].line.dash == "dash"
    assert fig.layout.yaxis.range == (0, 1.02)
    assert fig.layout.title.text == "Deletion curves, p(&lt;pos&gt;)"


def test_value_norm_heatmap_keeps_duplicates_and_scales_to_its_maximum():
    tokens = _tokens("[CLS]", "a", "a", "<b>")
    matrix = np.arange(16, dtype=np.float32).reshape(4, 4)
    fig = value_norm_heatmap(matrix, tokens, "‖α·f(x)‖, layer 0, head 1")
    heat = fig.data[0]
    assert heat.zmin == 0.0 and heat.zmax == pytest.approx(15.0)
    assert list(fig.layout.xaxis.ticktext) == ["[CLS]", "a", "a", "&lt;b&gt;"]
    assert fig.layout.yaxis.range == (3.5, -0.5)  # query 0 at the top
    assert fig.layout.xaxis.title.text.startswith("key") and fig.layout.yaxis.title.text.startswith("query")
    with pytest.raises(ValueError):
        value_norm_heatmap(matrix[:3, :3], tokens, "x")
