import json

import numpy as np
import plotly.colors as pc
import pytest

from attnviz import figures
from attnviz.types import Prediction, Token


def _tokens(texts):
    return tuple(Token(t, None, None, True) if t.startswith("[") else Token(t, 0, 1, False) for t in texts)


def _att(layers, heads, n, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.random((layers, heads, n, n)).astype(np.float32)
    return a / a.sum(-1, keepdims=True)


REPEATED = _tokens(["[CLS]", "the", "cat", "saw", "the", "other", "cat", "and", "the", "dog", "[SEP]"])


def test_head_heatmap_keeps_repeated_tokens_as_separate_columns():
    fig = figures.head_heatmap(_att(1, 1, 11)[0, 0], REPEATED, "t")
    trace = fig.data[0]
    assert np.asarray(trace.z).shape == (11, 11)
    assert list(fig.layout.xaxis.tickvals) == list(range(11))
    assert list(fig.layout.xaxis.ticktext).count("the") == 3
    assert list(fig.layout.yaxis.ticktext) == list(fig.layout.xaxis.ticktext)
    assert fig.layout.xaxis.tickmode == "array"


def test_head_heatmap_scale_and_orientation():
    fig = figures.head_heatmap(_att(1, 1, 11)[0, 0], REPEATED, "t")
    trace = fig.data[0]
    assert (trace.zmin, trace.zmax) == (0.0, 1.0)
    assert "query" in fig.layout.yaxis.title.text and "key" in fig.layout.xaxis.title.text
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1], "first query token on top"


@pytest.mark.parametrize("font_size", [figures.FONT_SIZE, figures.PRESENTATION_FONT_SIZE], ids=["normal", "presentation"])
def test_head_heatmap_colour_bar_lies_above_the_plot_so_a_phone_gives_it_the_whole_width(font_size):
    fig = figures.head_heatmap(_att(1, 1, 16)[0, 0], _tokens(["[CLS]"] + ["w"] * 14 + ["[SEP]"]), "t",
                               font_size=font_size)
    bar, layout = fig.data[0].colorbar, fig.layout
    assert bar.orientation == "h" and bar.thickness <= 12 and bar.yref == "container" and bar.yanchor == "top"
    assert (bar.x, bar.xanchor) == (0.5, "center") and 0 < bar.len <= 1 and bar.lenmode == "fraction"
    # The bar hangs in the top margin, under the title and clear of the plot (the paper starts margin.t down).
    bar_top = (1 - bar.y) * layout.height
    assert 28 <= bar_top and bar_top + bar.thickness + 2 * font_size <= layout.margin.t
    assert layout.title.yref == "container" and layout.margin.r <= 10, "no room kept for a bar at the side"
    # Square cells; on a narrow screen the square hangs from the top, the spare height below it.
    assert layout.yaxis.scaleanchor == "x" and layout.yaxis.constrain == "domain"
    assert layout.yaxis.constraintoward == "top"
    # At desktop sizes the plot keeps its size: 16 rows get what they had with the bar beside it (740 px less
    # its 60 px top margin) below the bar.
    assert layout.height - layout.margin.t == 740 - 60


def test_head_heatmap_hover_names_both_tokens_with_three_decimals():
    fig = figures.head_heatmap(_att(1, 1, 11)[0, 0], REPEATED, "t")
    trace = fig.data[0]
    assert "%{z:.3f}" in trace.hovertemplate
    custom = np.asarray(trace.customdata)
    assert custom.shape == (11, 11)
    assert custom[2, 9] == "cat → dog"  # row 2 is the query, column 9 the key
    light = figures.head_heatmap(_att(1, 1, 11)[0, 0], REPEATED, "t", token_hover=False).data[0]
    assert light.customdata is None and "%{y}" in light.hovertemplate and "%{z:.3f}" in light.hovertemplate


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"), ("<a href='u'>", "&lt;a href='u'&gt;"), ("&lt;i&gt;", "&amp;lt;i&amp;gt;"),
     ('say "hi"', 'say "hi"')],
    ids=["bold", "link", "entity", "quotes-as-typed"],
)
def test_markup_in_tokens_is_escaped_everywhere(text, escaped):
    toks = _tokens(["[CLS]", text, "[SEP]"])
    fig = figures.head_heatmap(_att(1, 1, 3)[0, 0], toks, text)
    assert fig.layout.xaxis.ticktext[1] == escaped
    assert np.asarray(fig.data[0].customdata)[1, 1] == f"{escaped} → {escaped}"
    assert "<b>" not in fig.layout.title.text
    pred = figures.prediction_figure(Prediction((text, "b"), np.array([0.7, 0.3], dtype=np.float32)))
    assert pred.layout.yaxis.ticktext[0] == escaped


def test_thinned_axis_titles_use_english_ordinals():
    assert [figures._ordinal(n) for n in (2, 3, 4, 11, 12, 13, 21, 22, 23, 101)] == [
        "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st"]


def test_long_inputs_thin_ticks_and_drop_per_cell_hover():
    toks = _tokens(["[CLS]"] + ["w"] * 510 + ["[SEP]"])
    fig = figures.head_heatmap(_att(1, 1, 512)[0, 0], toks, "t")
    ticks = fig.layout.xaxis.tickvals
    assert len(ticks) <= figures.TICKS_MAX
    step = ticks[1] - ticks[0]
    assert f"every {step}{'th' if step > 3 else {2: 'nd', 3: 'rd'}[step]} token labelled" in fig.layout.xaxis.title.text
    # Labels stay apart (titles and colour bar above, ~160 px of labels below); larger type labels fewer tokens.
    assert (fig.layout.height - fig.layout.margin.t - 160) / len(ticks) >= figures.LABEL_SPACING * figures.FONT_SIZE
    big = figures.head_heatmap(_att(1, 1, 512)[0, 0], toks, "t", font_size=figures.PRESENTATION_FONT_SIZE)
    assert len(big.layout.yaxis.tickvals) < len(fig.layout.yaxis.tickvals)
    assert fig.layout.yaxis.scaleanchor == "x", "attention is drawn square"
    assert fig.data[0].customdata is None and "query #" in fig.data[0].hovertemplate


def test_head_heatmap_rejects_mismatched_tokens():
    with pytest.raises(ValueError, match="tokens"):
        figures.head_heatmap(_att(1, 1, 4)[0, 0], REPEATED, "t")


def test_overview_has_one_panel_per_head_with_edge_labels():
    att = _att(6, 12, 10)
    fig = figures.overview_figure(att)
    assert [t.type for t in fig.data] == ["heatmap", "scatter"], "one tiled heatmap, not 72 subplots"
    z = np.asarray(fig.data[0].z)
    assert z.dtype == np.uint8 and z.shape == (6 * 11 - 1, 12 * 11 - 1)
    assert list(fig.layout.xaxis.ticktext) == [f"H{h}" for h in range(12)]
    assert list(fig.layout.yaxis.ticktext) == [f"L{layer}" for layer in range(6)]
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 255)
    # Panel (layer 2, head 5) holds that head's weights, quantised to 0..250.
    panel = z[2 * 11 : 2 * 11 + 10, 5 * 11 : 5 * 11 + 10]
    assert np.abs(panel / 250 - att[2, 5]).max() <= 0.5 / 250 + 1e-6
    assert (z[10, :] == 255).all(), "gap row between layers"


def test_overview_has_a_clickable_marker_at_each_tile_centre():
    fig = figures.overview_figure(_att(6, 12, 10))
    markers = fig.data[1]
    assert len(markers.x) == 6 * 12 and fig.layout.hoverdistance == -1
    i = list(map(list, markers.customdata)).index([2, 5])  # layer 2, head 5
    # The marker of (layer 2, head 5) sits inside that head's panel: rows 22..31, columns 55..64.
    assert 22 <= markers.y[i] <= 31 and 55 <= markers.x[i] <= 64


def test_overview_downsamples_long_inputs_and_says_so():
    att = _att(2, 3, 100)
    fig = figures.overview_figure(att)
    z = np.asarray(fig.data[0].z)
    assert z.shape == (2 * 49 - 1, 3 * 49 - 1)
    assert "100×100 averaged to 48×48" in fig.layout.title.text


def test_block_mean_preserves_the_mean():
    m = _att(1, 1, 100)[0, 0]
    small = figures.block_mean(m, 48)
    assert small.shape == (48, 48) and abs(small.mean() - m.mean()) < 1e-3


def test_overview_payload_is_small_at_512_tokens():
    fig = figures.overview_figure(_att(6, 12, 512))
    assert len(fig.to_json()) < 400_000


def test_prediction_figure_orders_by_probability():
    fig = figures.prediction_figure(Prediction(("neg", "pos", "mixed"), np.array([0.2, 0.7, 0.1], dtype=np.float32)))
    assert list(fig.layout.yaxis.ticktext) == ["pos", "neg", "mixed"]
    assert list(fig.data[0].x) == pytest.approx([0.7, 0.2, 0.1])
    assert tuple(fig.layout.xaxis.range) == (0, 1)
    json.loads(fig.to_json())


def test_square_root_colour_scale_keeps_the_data_and_the_0_to_1_range():
    m = _att(1, 1, 5)[0, 0]
    linear = figures.head_heatmap(m, _tokens(["a"] * 5), "t")
    root = figures.head_heatmap(m, _tokens(["a"] * 5), "t", sqrt_scale=True)
    assert np.array_equal(np.asarray(root.data[0].z), np.asarray(linear.data[0].z))
    assert (root.data[0].zmin, root.data[0].zmax) == (0.0, 1.0)
    positions = [p for p, _ in root.data[0].colorscale]
    # Weight 0.25 gets the colour Viridis puts at 0.5: the stop at position 0.25 is the middle colour.
    middle = figures.weight_colorscale(False)
    assert positions[0] == 0.0 and positions[-1] == 1.0 and 0.25 in positions
    assert dict(figures.weight_colorscale(True))[0.25] == pc.sample_colorscale(middle, [0.5])[0]
    assert "√" in root.data[0].colorbar.title.text and "√" not in linear.data[0].colorbar.title.text


def test_overview_colour_bar_lies_above_the_grid_so_a_phone_gives_the_grid_the_whole_width():
    fig = figures.overview_figure(_att(6, 12, 10))
    bar, layout = fig.data[0].colorbar, fig.layout
    assert bar.orientation == "h" and bar.yref == "container" and bar.yanchor == "top"
    assert (bar.x, bar.xanchor) == (0.5, "center") and layout.margin.r <= 10, "no room kept for a bar at the side"
    bar_top = (1 - bar.y) * layout.height  # under the title's two lines, clear of the head axis above the grid
    assert 2 * 18 <= bar_top and bar_top + bar.thickness + 2 * figures.FONT_SIZE + 40 <= layout.margin.t
    assert layout.yaxis.constrain == "domain" and layout.yaxis.constraintoward == "top"
    assert list(bar.ticktext) == ["0", "0.25", "0.5", "1"]
