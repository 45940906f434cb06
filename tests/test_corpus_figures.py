"""Corpus figures and per-label scores: fields, scales and escaping."""

from __future__ import annotations

import numpy as np
import pytest

from attnviz.corpus.figures import confusion_figure, head_means_figure
from attnviz.corpus.query import per_label_scores
from attnviz.evaluate import compute_metrics

GOLD = ["neg", "neg", "pos", "pos", "pos", "<b>"]
PRED = ["neg", "pos", "pos", "pos", "neg", "<b>"]


def test_per_label_scores_from_the_confusion_matrix():
    m = compute_metrics(GOLD, PRED, ["neg", "pos"])
    rows = {r["label"]: r for r in per_label_scores(m)}
    assert rows["pos"]["precision"] == pytest.approx(2 / 3) and rows["pos"]["recall"] == pytest.approx(2 / 3)
    assert rows["neg"]["support"] == 2 and rows["<b>"]["f1"] == pytest.approx(1.0)
    binary = compute_metrics(GOLD[:5], PRED[:5], ["neg", "pos"])
    assert {r["label"]: r for r in per_label_scores(binary)}["pos"]["f1"] == pytest.approx(binary.f1)


def test_confusion_figure_has_true_rows_and_escaped_labels():
    m = compute_metrics(GOLD, PRED, ["neg", "pos"])
    fig = confusion_figure(m)
    assert fig.data[0].z.tolist() == [list(r) for r in m.confusion]
    assert list(fig.layout.yaxis.ticktext) == ["neg", "pos", "&lt;b&gt;"]
    assert fig.layout.yaxis.title.text == "true label" and fig.layout.xaxis.title.text == "predicted label"
    assert fig.data[0].text[0][1] == "1<br>50%"


@pytest.mark.parametrize(("statistic", "zmax"), [("special_share", 1.0), ("entropy", 3.5)], ids=["share", "entropy"])
def test_head_means_figure_scale(statistic, zmax):
    grid = np.linspace(0, 3.5 if statistic == "entropy" else 0.5, 12).reshape(3, 4)
    fig = head_means_figure(grid, statistic, "what it is", 1234)
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == pytest.approx(zmax)
    assert list(fig.layout.yaxis.tickvals) == [0, 1, 2] and fig.layout.yaxis.autorange == "reversed"
    assert "1,234 rows" in fig.layout.title.text
