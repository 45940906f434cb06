"""The attention block against PyTorch and transformers: multi-head, RoPE, GQA, KV cache, cross-attention."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from attnviz.attention_math import ShapeError
from attnviz.teaching.block import (kv_cache_step, multi_head_steps, rope, rope_scores_by_distance, rotate_half, sinusoidal_positions,
                                split_heads)


def _weights(seed: int, d_model: int, n_heads: int, n_kv: int, d_k: int, d_kv_model: int | None = None):
    rng = np.random.default_rng(seed)
    d_kv_model = d_kv_model or d_model
    return dict(
        w_q=rng.normal(size=(d_model, n_heads * d_k)), w_k=rng.normal(size=(d_kv_model, n_kv * d_k)),
        w_v=rng.normal(size=(d_kv_model, n_kv * d_k)), w_o=rng.normal(size=(n_heads * d_k, d_model)),
        b_q=rng.normal(size=n_heads * d_k), b_k=rng.normal(size=n_kv * d_k), b_v=rng.normal(size=n_kv * d_k),
        b_o=rng.normal(size=d_model),
    )


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_multi_head_steps_matches_torch_multi_head_attention_forward(causal):
    T, E, H = 5, 8, 2
    w = _weights(0, E, H, H, E // H)
    x = np.random.default_rng(1).normal(size=(T, E))
    got = multi_head_steps(x, n_heads=H, causal=causal, **w)
    # PyTorch keeps in_proj_weight as (3E, E) applied as x @ Wᵀ: our (d_in, d_out) matrices transposed, stacked.
    in_w = torch.tensor(np.concatenate([w["w_q"].T, w["w_k"].T, w["w_v"].T]))
    in_b = torch.tensor(np.concatenate([w["b_q"], w["b_k"], w["b_v"]]))
    xt = torch.tensor(x)[:, None, :]  # [T, batch 1, E]
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None  # True = hidden
    out, weights = torch.nn.functional.multi_head_attention_forward(
        xt, xt, xt, E, H, in_w, in_b, None, None, False, 0.0, torch.tensor(w["w_o"].T), torch.tensor(w["b_o"]),
        training=False, need_weights=True, attn_mask=mask, average_attn_weights=False)
    np.testing.assert_allclose(got.output, out[:, 0].numpy(), atol=1e-10)
    np.testing.assert_allclose(got.weights, weights[0].numpy(), atol=1e-10)
    assert got.concat.shape == (T, E) and len(got.heads) == H


def test_rope_matches_transformers_apply_rotary_pos_emb():
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb

    d, T, base = 8, 6, 500.0
    config = LlamaConfig(hidden_size=16, num_attention_heads=2, head_dim=d, rope_parameters={"rope_theta": base,
                                                                                             "rope_type": "default"})
    rng = np.random.default_rng(2)
    q, k = rng.normal(size=(2, T, d)), rng.normal(size=(2, T, d))
    positions = torch.arange(T)[None]
    emb = LlamaRotaryEmbedding(config).to(torch.float64)
    cos, sin = emb(torch.zeros(1, T, d, dtype=torch.float64), positions)
    want_q, want_k = apply_rotary_pos_emb(torch.tensor(q)[None], torch.tensor(k)[None], cos.double(), sin.double())
    np.testing.assert_allclose(rope(q, np.arange(T), base), want_q[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(rope(k, np.arange(T), base), want_k[0].numpy(), atol=1e-6)


def test_rope_scores_depend_only_on_distance():
    rng = np.random.default_rng(3)
    s = rope_scores_by_distance(rng.normal(size=6), rng.normal(size=6), 7, base=10.0)
    for offset in range(-6, 7):
        diagonal = np.diagonal(s, offset)
        np.testing.assert_allclose(diagonal, diagonal[0], atol=1e-12)
    assert not np.allclose(np.diagonal(s, 1)[0], np.diagonal(s, 2)[0])


def test_rotate_half_pairs_dimension_i_with_i_plus_half():
    np.testing.assert_array_equal(rotate_half(np.array([1.0, 2, 3, 4])), [-3, -4, 1, 2])


def test_gqa_matches_repeat_then_attend():
    T, E, H, G, d = 4, 8, 4, 2, 4
    w = _weights(4, E, H, G, d)
    w["w_o"] = np.random.default_rng(5).normal(size=(H * d, E))
    x = np.random.default_rng(6).normal(size=(T, E))
    got = multi_head_steps(x, n_heads=H, n_kv_heads=G, causal=True, rope_base=10000.0, **w)
    assert list(got.kv_head) == [0, 0, 1, 1]
    # Reference: transformers' repeat_kv on the rotated K/V, then ordinary per-head attention in torch.
    from transformers.models.llama.modeling_llama import repeat_kv

    k = repeat_kv(torch.tensor(np.array(got.k))[None], H // G)[0]
    v = repeat_kv(torch.tensor(np.array(got.v))[None], H // G)[0]
    want = torch.nn.functional.scaled_dot_product_attention(torch.tensor(np.array(got.q)), k, v, is_causal=True)
    np.testing.assert_allclose(got.concat, want.permute(1, 0, 2).reshape(T, H * d).numpy(), atol=1e-10)


@pytest.mark.parametrize("rope_base", [None, 10000.0], ids=["no-rope", "rope"])
def test_kv_cache_row_equals_last_row_of_full_causal(rope_base):
    w = _weights(7, 6, 2, 1, 4)
    w["w_o"] = np.random.default_rng(8).normal(size=(8, 6))
    x = np.random.default_rng(9).normal(size=(5, 6))
    step = kv_cache_step(x, n_heads=2, n_kv_heads=1, rope_base=rope_base, **w)
    assert step.new.q.shape == (2, 1, 4) and step.new.k.shape == (1, 5, 4)
    np.testing.assert_allclose(step.new.weights[:, 0], step.full.weights[:, -1], atol=1e-12)
    np.testing.assert_allclose(step.new.output[0], step.full.output[-1], atol=1e-12)
    assert step.max_abs_diff < 1e-12
    assert (step.full.weights[:, 0, 1:] == 0).all()  # the mask really hid later tokens


def test_cross_attention_is_rectangular_and_matches_torch():
    Tq, Tk, E, H = 3, 5, 4, 2
    w = _weights(10, E, H, H, E // H)
    rng = np.random.default_rng(11)
    xq, xkv = rng.normal(size=(Tq, E)), rng.normal(size=(Tk, E))
    got = multi_head_steps(xq, n_heads=H, x_kv=xkv, **w)
    assert got.weights.shape == (H, Tq, Tk)
    out, _ = torch.nn.functional.multi_head_attention_forward(
        torch.tensor(xq)[:, None], torch.tensor(xkv)[:, None], torch.tensor(xkv)[:, None], E, H, None,
        torch.tensor(np.concatenate([w["b_q"], w["b_k"], w["b_v"]])), None, None, False, 0.0, torch.tensor(w["w_o"].T), torch.tensor(w["b_o"]), training=False, need_weights=False,
        use_separate_proj_weight=True, q_proj_weight=torch.tensor(w["w_q"].T), k_proj_weight=torch.tensor(w["w_k"].T),
        v_proj_weight=torch.tensor(w["w_v"].T))
    np.testing.assert_allclose(got.output, out[:, 0].numpy(), atol=1e-10)


def test_sinusoidal_positions_follow_the_paper():
    pe = sinusoidal_positions(4, 6)
    assert pe.shape == (4, 6)
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1, 0, 1])
    np.testing.assert_allclose(pe[3, 2], np.sin(3 / 10000 ** (2 / 6)))
    np.testing.assert_allclose(pe[3, 3], np.cos(3 / 10000 ** (2 / 6)))


def test_split_heads_gives_each_head_its_own_columns():
    m = np.arange(12.0).reshape(2, 6)
    np.testing.assert_array_equal(split_heads(m, 2)[1], [[3, 4, 5], [9, 10, 11]])


@pytest.mark.parametrize("n_heads,n_kv", [(3, 2), (2, 0)], ids=["not-multiple", "zero"])
def test_multi_head_steps_rejects_head_counts_that_do_not_divide(n_heads, n_kv):
    w = _weights(0, 6, 6, 6, 1)
    with pytest.raises(ShapeError, match="multiple"):
        multi_head_steps(np.ones((2, 6)), n_heads=n_heads, n_kv_heads=n_kv, **w)


def test_multi_head_steps_names_mismatched_weight_shapes():
    w = _weights(0, 4, 2, 2, 2)
    with pytest.raises(ShapeError, match="W_Q has 4 rows but X has 3 columns"):
        multi_head_steps(np.ones((2, 3)), n_heads=2, **w)
