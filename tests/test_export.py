import csv
import io
import json

import numpy as np
import pytest

from attnviz.export import head_csv, long_csv, safe_cell, to_json
from attnviz.types import Token

TOKENS = (
    Token("[CLS]", None, None, True),
    Token("=SUM(A1)", 0, 8, False),
    Token("+1", 9, 11, False),
    Token("the", 12, 15, False),
    Token("[SEP]", None, None, True),
)


def _att(n=5):
    rng = np.random.default_rng(0)
    a = rng.random((2, 3, n, n)).astype(np.float32)
    return a / a.sum(-1, keepdims=True)


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@x", "\tx", "\rx"], ids=["eq", "plus", "minus", "at", "tab", "cr"])
def test_safe_cell_prefixes_formulas(value):
    assert safe_cell(value) == "'" + value


def test_safe_cell_keeps_plain_text():
    assert safe_cell("the") == "the"


def _cells(text):
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_head_csv_is_square_with_labels_and_no_formula_cells():
    text = head_csv(_att()[0, 0], TOKENS)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 6 and all(len(r) == 6 for r in rows)
    assert rows[2][0] == "1:=SUM(A1)" and rows[0][2] == "1:=SUM(A1)"  # the token as typed, index first
    assert abs(sum(float(x) for x in rows[1][1:]) - 1) < 1e-4
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in _cells(text))


def test_long_csv_has_a_row_per_weight():
    text = long_csv(_att(), TOKENS, first_layer=4)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 * 3 * 5 * 5
    assert {r["layer"] for r in rows} == {"4", "5"}
    assert not any(c.startswith(("=", "+", "-", "@")) for c in _cells(text))


def test_json_keeps_orientation_and_tokens():
    att = _att()
    data = json.loads(to_json(att, TOKENS, "m", [0, 1]))
    assert np.allclose(np.array(data["attentions"]), att, atol=1e-6)
    assert data["tokens"][1]["text"] == "'=SUM(A1)"
    assert "query" in data["orientation"]
