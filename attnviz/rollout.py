"""Attention rollout (Abnar & Zuidema 2020) and the raw attention it is compared with.

Rollout follows attention through the residual stream: each layer's head-mean attention is mixed
half-and-half with the identity (the residual connection), rows are renormalised, and the layers are
multiplied from the first layer up, so row ``i`` of the result says how much of token ``i``'s top-layer
representation flows from each input token.
"""

from __future__ import annotations

import numpy as np

from attnviz.compact import LayerStore
from attnviz.types import Analysis


def _store(source: Analysis | np.ndarray) -> LayerStore | None:
    att = source.attentions if isinstance(source, Analysis) else source
    return att if isinstance(att, LayerStore) else None


def _attentions(source: Analysis | np.ndarray) -> np.ndarray:
    att = source.attentions if isinstance(source, Analysis) else np.asarray(source)
    if att.ndim != 4 or att.shape[2] != att.shape[3]:
        raise ValueError(f"attentions must be [layers, heads, query, key]; got shape {att.shape}")
    return att


def rollout(source: Analysis | np.ndarray, start_layer: int = 0) -> np.ndarray:
    """Rollout float64[query, key] from ``start_layer`` to the last layer.

    ``source`` is an ``Analysis`` or attentions float[layers, heads, query, key]. Each row sums to 1.
    """
    store = _store(source)
    if store is not None and start_layer == 0:  # a long text: rolled out during its forward pass
        return store.summary.rollout.copy()
    att = _attentions(source)
    n_layers, _, n, _ = att.shape
    if not 0 <= start_layer < n_layers:
        raise ValueError(f"start_layer must be in 0..{n_layers - 1}; got {start_layer}")
    identity = np.eye(n)
    joint = identity
    for layer in range(start_layer, n_layers):
        a = 0.5 * att[layer].astype(np.float64).mean(axis=0) + 0.5 * identity  # [T, T]
        a = a / a.sum(axis=-1, keepdims=True)
        # The later layer reads from the earlier one's output, so it multiplies from the left.
        joint = a @ joint  # [T, T]
    return joint


def raw_attention(source: Analysis | np.ndarray, query: int = 0, layer: int = -1) -> np.ndarray:
    """Attention float64[key] of token ``query`` in ``layer`` (default: the first token in the last layer), mean over heads."""
    store = _store(source)
    if store is not None:
        n = store.shape[-1]
        if query % n in (0, n - 1):  # a long text keeps every head's first and last rows
            return store.summary.edge_rows[layer, :, 0 if query % n == 0 else 1].astype(np.float64).mean(axis=0)
        return store[layer][:, query, :].astype(np.float64).mean(axis=0)
    att = _attentions(source)
    return att[layer, :, query, :].astype(np.float64).mean(axis=0)
