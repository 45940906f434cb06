import csv
import io
import json

import numpy as np
import pytest

from attnviz.export import head_csv, long_csv, safe_cell, to_json
from attnviz.types import Token
from tests.hand_tokens import bert_tokens

TOKENS = bert_tokens("=SUM(A1) +1 the", "=SUM(A1)", "+1", "the")


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


def test_npz_round_trips_to_the_exact_float32_tensor_with_tokens_and_offsets():
    from attnviz.export import tensor_npz

    att = _att()
    data = np.load(io.BytesIO(tensor_npz(att, TOKENS, "m", [4, 5])), allow_pickle=False)
    assert data["attentions"].dtype == np.float32 and np.array_equal(data["attentions"], att)
    assert list(data["layers"]) == [4, 5] and str(data["model"]) == "m" and "query" in str(data["orientation"])
    assert list(data["token_text"]) == [t.text for t in TOKENS]
    assert list(data["token_start"]) == [-1, 0, 9, 12, -1] and list(data["token_end"]) == [-1, 8, 11, 15, -1]
    assert list(data["token_special"]) == [True, False, False, False, True]


def test_npz_in_float16_is_half_the_tensor_and_close_to_it():
    from attnviz.export import tensor_npz

    att = np.tile(_att(), (1, 1, 20, 20)) / 20  # 100 tokens, so the tensor outweighs the token arrays
    tokens = TOKENS * 20
    full, half = tensor_npz(att, tokens, "m", [0, 1]), tensor_npz(att, tokens, "m", [0, 1], dtype="float16")
    weights = np.load(io.BytesIO(half), allow_pickle=False)["attentions"]
    assert weights.dtype == np.float16 and np.allclose(weights, att, atol=1e-3)
    assert len(half) < 0.6 * len(full)


@pytest.mark.parametrize(
    "build", [lambda a: head_csv(a[0, 0], TOKENS * 103), lambda a: long_csv(a, TOKENS * 103),
              lambda a: to_json(a, TOKENS * 103, "m", [0, 1])],
    ids=["head-csv", "long-csv", "json"],
)
def test_text_exports_past_the_cap_say_to_use_the_binary_file(build):
    from attnviz.export import ExportTooLarge

    att = np.full((2, 3, 515, 515), 1 / 515, dtype=np.float32)  # 515² > 512² weights in even one head
    with pytest.raises(ExportTooLarge, match=r"binary \.npz"):
        build(att)


def test_long_csv_quotes_token_labels_and_keeps_every_weight():
    att = _att()
    tokens = (Token('a,"b', 0, 4, False),) + TOKENS[1:]
    rows = list(csv.DictReader(io.StringIO(long_csv(att, tokens))))
    assert rows[0]["query_token"] == 'a,"b' and rows[1]["key_token"] == "'=SUM(A1)"
    weights = np.array([float(r["weight"]) for r in rows]).reshape(att.shape)
    np.testing.assert_allclose(weights, att, atol=5e-7)


@pytest.mark.usefixtures("fresh_caches")
def test_inspect_offers_the_npz_and_disables_text_exports_past_the_cap():
    from tests.apptest import open_page

    at = open_page("pages/1_Inspect.py", {"text": " ".join(["the film was good"] * 40)})  # 162 tokens
    assert not at.exception
    ids = {b.proto.id: b for b in at.get("download_button")}
    labels = sorted(b.proto.label for b in ids.values())
    assert labels == ["All (.npz)", "Head CSV", "Head JSON"], labels
    capped = {b.label: b for b in at.button if b.label in ("Layer CSV", "Layer JSON", "All CSV", "All JSON")}
    assert set(capped) == {"Layer CSV", "Layer JSON", "All CSV", "All JSON"}
    assert all(b.disabled and "binary .npz" in b.help for b in capped.values())
