"""The attention-block figures: one panel per head, wrapped past four, rows = queries, weights on 0..1."""

import numpy as np
import pytest

from attnviz.teaching.block_figures import heads_figure


def _weights(n_heads, n_q, n_k):
    w = np.random.default_rng(0).random((n_heads, n_q, n_k))
    return w / w.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize(("n_heads", "rows"), [(1, 1), (4, 1), (9, 3), (12, 4)], ids=["1", "4", "9", "12"])
def test_heads_figure_wraps_many_heads_three_to_a_row(n_heads, rows):
    fig = heads_figure(_weights(n_heads, 3, 5), list("abc"), list("vwxyz"), [f"head {h}" for h in range(n_heads)])
    assert len(fig.data) == n_heads
    assert all(t.zmin == 0 and t.zmax == 1 and t.z.shape == (3, 5) for t in fig.data)
    y_domains = {tuple(fig.layout[f"yaxis{'' if h == 0 else h + 1}"].domain) for h in range(n_heads)}
    assert len(y_domains) == rows


def test_heads_figure_names_queries_on_each_rows_first_panel_only():
    fig = heads_figure(_weights(9, 3, 5), ["q0", "q0", "q2"], list("vwxyz"), [f"head {h}" for h in range(9)])
    first, second, fourth = fig.layout.yaxis, fig.layout.yaxis2, fig.layout.yaxis4
    assert list(first.ticktext) == ["q0", "q0", "q2"] and list(fourth.ticktext) == ["q0", "q0", "q2"]
    assert set(second.ticktext) == {""}
    assert list(fig.layout.xaxis2.ticktext) == list("vwxyz")


def test_heads_figure_writes_numbers_in_cells_for_toy_sizes_only():
    small = heads_figure(_weights(2, 3, 5), list("abc"), list("vwxyz"), ["a", "b"])
    big = heads_figure(_weights(2, 3, 20), list("abc"), [str(i) for i in range(20)], ["a", "b"])
    assert small.data[0].texttemplate == "%{text}" and big.data[0].texttemplate is None
