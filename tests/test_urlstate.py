import pytest

from attnviz.urlstate import MAX_URL_TEXT, ViewState, parse_view_state, view_params


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ViewState()),
        ({"text": "hi", "layer": "2", "head": "11"}, ViewState(text="hi", layer=2, head=11)),
        ({"layer": "6", "head": "-1"}, ViewState()),
        ({"layer": "abc", "head": "1.5"}, ViewState()),
        ({"layer": ["3", "4"]}, ViewState(layer=3)),
        ({"model": "  "}, ViewState()),
        ({"model": " org/m "}, ViewState(model="org/m")),
        ({"layer": None, "text": 5}, ViewState()),
    ],
    ids=["empty", "full", "out-of-range", "not-int", "list", "blank-model", "model", "wrong-types"],
)
def test_parse_view_state_falls_back_quietly(params, expected):
    assert parse_view_state(params, n_layers=6, n_heads=12) == expected


def test_parse_view_state_caps_text():
    state = parse_view_state({"text": "x" * 1_000_000}, 6, 12)
    assert state.text is not None and len(state.text) == 20_000


def test_view_params_roundtrip():
    state = ViewState(text="the cat", model="org/m", layer=1, head=3)
    assert parse_view_state(view_params(state), 6, 12) == state


def test_view_params_leaves_out_long_text():
    assert "text" not in view_params(ViewState(text="x" * (MAX_URL_TEXT + 1)))


def test_view_params_can_leave_the_head_out():
    state = ViewState(text="the cat", model=None, layer=3, head=4)
    assert view_params(state, include_head=False) == {"text": "the cat"}
    assert view_params(state) == {"layer": "3", "head": "4", "text": "the cat"}
