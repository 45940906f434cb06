import numpy as np
import pytest

from attnviz.figures_decoder import REST, choice_label, head_types_figure, next_token_figure, visible
from attnviz.head_types import HeadTypes
from attnviz.types import Prediction


@pytest.mark.parametrize(("text", "shown"), [(" Mary", "␣Mary"), ("\n", "↵"), ("", "∅"), ("a\tb", "a⇥b")],
                         ids=["space", "newline", "empty", "tab"])
def test_visible_marks_whitespace(text, shown):
    assert visible(text) == shown


def test_next_token_figure_escapes_labels_and_adds_the_rest():
    p = Prediction((" <b>", "\ufffd"), np.array([0.5, 0.2], np.float32), "next-token", (11, 12))
    fig = next_token_figure(p)
    assert list(fig.layout.yaxis.ticktext) == ["␣&lt;b&gt;", "� (byte piece, id 12)", REST]
    assert list(fig.data[0].x) == pytest.approx([0.5, 0.2, 0.3])
    assert tuple(fig.layout.xaxis.range) == (0, 1)


def test_head_types_figure_has_one_panel_per_type_on_one_scale():
    z = np.zeros((3, 2))
    fig = head_types_figure(HeadTypes(z, z, z, z + 0.5))
    assert len(fig.data) == 4
    assert all(t.zmin == 0 and t.zmax == 1 and np.asarray(t.z).shape == (3, 2) for t in fig.data)


def test_choice_label_tells_byte_pieces_apart():
    # Two byte-level pieces of one CJK character both decode to U+FFFD on their own.
    first, second = choice_label("\ufffd", 163), choice_label("\ufffd", 241)
    assert first != second and "163" in first and "241" in second
    assert choice_label(" Mary", 5) == "␣Mary"  # an ordinary token is just its visible text
