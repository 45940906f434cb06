"""sdpa_steps: parity with torch, softmax properties, shape errors, the ordered steps."""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from attnviz.attention_math import (
    STEP_IDS,
    ShapeError,
    causal_mask,
    format_number,
    sdpa_steps,
    softmax,
    source_code,
)

SHAPES = [(1, 1, 1, 1), (2, 2, 3, 2), (3, 5, 4, 2), (6, 6, 8, 3), (4, 7, 32, 32)]


def _random(seed, n_q, n_k, d_k, d_v, spread=3.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, spread, (n_q, d_k)), rng.normal(0, spread, (n_k, d_k)), rng.normal(0, spread, (n_k, d_v)))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("causal", [False, True], ids=["no_mask", "causal"])
def test_sdpa_steps_matches_torch(shape, causal):
    n_q, n_k, d_k, d_v = shape
    if causal and n_q != n_k:
        n_k = n_q
    q, k, v = _random(sum(shape), n_q, n_k, d_k, d_v)
    steps = sdpa_steps(q, k, v, causal_mask(n_q, n_k) if causal else None)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a)[None, None] for a in (q, k, v)), is_causal=causal
    )[0, 0].numpy()
    assert steps.output.dtype == np.float64
    np.testing.assert_allclose(steps.output, expected, rtol=1e-10, atol=1e-10)


def test_sdpa_steps_without_scaling_matches_torch_with_scale_one():
    q, k, v = _random(7, 3, 3, 16, 2)
    steps = sdpa_steps(q, k, v, scale=False)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a)[None, None] for a in (q, k, v)), scale=1.0
    )[0, 0].numpy()
    np.testing.assert_allclose(steps.output, expected, atol=1e-10)
    np.testing.assert_array_equal(steps.scaled, steps.scores)


@pytest.mark.parametrize("seed", range(5))
def test_weights_rows_sum_to_one_and_intermediates_agree(seed):
    q, k, v = _random(seed, 4, 5, 3, 2, spread=10.0)
    s = sdpa_steps(q, k, v)
    np.testing.assert_allclose(s.weights.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(s.scores, q @ k.T)
    np.testing.assert_allclose(s.scaled, q @ k.T / math.sqrt(3))
    np.testing.assert_allclose(s.exps.max(axis=1), 1.0)  # the row maximum was subtracted
    np.testing.assert_allclose(s.exps / s.exp_sums[:, None], s.weights)
    assert (s.weights > 0).all()


@pytest.mark.parametrize("shift", [-1000.0, -3.5, 0.25, 700.0])
def test_softmax_is_shift_invariant(shift):
    x = np.random.default_rng(1).normal(0, 5, (3, 6))
    np.testing.assert_allclose(softmax(x + shift), softmax(x), atol=1e-12)


def test_shift_of_the_scores_leaves_the_weights_unchanged():
    # An extra dimension with Q = 1 and K = c adds c to every score of every row.
    q, k, v = _random(3, 3, 3, 4, 2)
    shifted = sdpa_steps(np.hstack([q, np.ones((3, 1))]), np.hstack([k, np.full((3, 1), 5.0)]), v, scale=False)
    base = sdpa_steps(q, k, v, scale=False)
    np.testing.assert_allclose(shifted.scores, base.scores + 5.0)
    np.testing.assert_allclose(shifted.weights, base.weights, atol=1e-12)


def test_large_scores_do_not_overflow():
    s = sdpa_steps([[1000.0, 1000.0]], [[1.0, 1.0], [1.1, 1.0]], [[1.0], [2.0]], scale=False)
    assert np.isfinite(s.weights).all()
    np.testing.assert_allclose(s.weights, [[0.0, 1.0]], atol=1e-12)


def test_causal_mask_gives_zero_weight_to_later_tokens():
    q, k, v = _random(5, 4, 4, 3, 2)
    s = sdpa_steps(q, k, v, causal_mask(4))
    later = ~np.tril(np.ones((4, 4), dtype=bool))
    assert np.isneginf(s.masked[later]).all() and (s.weights[later] == 0).all()
    assert s.causal
    np.testing.assert_allclose(s.weights[0], [1, 0, 0, 0])


@pytest.mark.parametrize(
    ("q", "k", "v", "mask", "message"),
    [
        ([[1, 2, 3], [4, 5, 6]], [[7, 8], [9, 10]], [[1, 2], [3, 4]], None,
         "Q is 2×3 but K is 2×2: Q and K need the same number of columns (d_k)"),
        ([[1, 2]], [[1, 2], [3, 4]], [[1, 2]], None, "K is 2×2 but V is 1×2: K and V need the same number of rows"),
        ([[1, 2]], [[1, 2]], [[1, 2]], [[True, True]], "The mask is 1×2 but the scores are 1×1"),
        ([[1, float("nan")]], [[1, 2]], [[1]], None, "Q[0,1] is empty or not a finite number"),
        ([1, 2], [[1, 2]], [[1]], None, "Q must be a matrix"),
        ([[1, 2], [3, 4]], [[1, 2], [3, 4]], [[1], [2]], [[False, False], [True, True]],
         "hides every key from query 0"),
    ],
    ids=["q_k_columns", "k_v_rows", "mask_shape", "nan_cell", "vector", "empty_mask_row"],
)
def test_shape_errors_name_both_shapes(q, k, v, mask, message):
    with pytest.raises(ShapeError) as info:
        sdpa_steps(q, k, v, mask)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_steps_are_ordered_and_mask_step_only_with_a_mask():
    q, k, v = _random(2, 3, 3, 4, 2)
    plain = sdpa_steps(q, k, v).steps()
    assert [s.id for s in plain] == [i for i in STEP_IDS if i != "masked"]
    masked = sdpa_steps(q, k, v, causal_mask(3)).steps()
    assert [s.id for s in masked] == list(STEP_IDS)
    for step in masked:
        assert step.title and step.explanation and step.formula and step.tables
        assert step.tables[-1].matrix is step.matrix or step.id == "inputs"


def test_scaled_step_prints_d_k_and_its_root():
    s = sdpa_steps(np.ones((2, 9)), np.ones((2, 9)), np.ones((2, 1)))
    step = s.step("scaled")
    assert "√d_k = √9 = 3" in step.explanation and r"\sqrt{9}" in step.formula
    off = sdpa_steps(np.ones((2, 9)), np.ones((2, 9)), np.ones((2, 1)), scale=False).step("scaled")
    assert "switched off" in off.explanation
    # With scaling off no table, formula or worked cell calls the scores "scaled".
    unscaled = sdpa_steps(np.ones((2, 9)), np.ones((2, 9)), np.ones((2, 1)), scale=False)
    names = [t.name for step in unscaled.steps() for t in step.tables]
    assert "unscaled" in names and "scaled" not in names
    assert r"\text{scaled}" not in "".join(step.formula for step in unscaled.steps())


def test_softmax_step_shows_exponentials_and_row_sums():
    step = sdpa_steps(np.eye(2), np.eye(2), np.eye(2)).step("softmax")
    assert [t.name for t in step.tables] == ["scaled", "e^(x − m)", "weights"]
    assert [t.row_sums for t in step.tables] == [False, True, True]


def test_arrays_are_read_only():
    s = sdpa_steps(np.eye(2), np.eye(2), np.eye(2))
    with pytest.raises(ValueError):
        s.weights[0, 0] = 3.0


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [(122.0, 3, "122"), (0.5, 3, "0.500"), (-np.inf, 3, "−∞"), (3.0666e-05, 3, "3.07e-05"), (0.99997, 3, "1.000"),
     (7.0e41, 3, "7.00e+41"), (0.0, 3, "0"), (0.45454, 4, "0.4545")],
)
def test_format_number(x, decimals, expected):
    assert format_number(x, decimals) == expected


def test_format_number_row_sum_keeps_decimals():
    assert format_number(1.0, 3, whole=False) == "1.000"


def test_source_code_is_the_function_itself():
    assert source_code().lstrip().startswith("def sdpa_steps(")


def test_library_modules_do_not_import_streamlit():
    code = (
        "import sys, attnviz, attnviz.attention_math, attnviz.teaching.examples, attnviz.teaching.cells, "
        "attnviz.teaching.answers, attnviz.qkv, attnviz.teaching.figures; print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
