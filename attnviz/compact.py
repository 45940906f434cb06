"""Long texts without the full attention tensor: each layer is reduced as the forward pass produces it.

At 1,024 tokens SmolLM2's attention is 30 × 9 × 1024² float32 = 1.13 GB, more than the app's whole analysis cache.
``forward_compact`` hooks every layer's attention module and, while that layer's weights exist, keeps only what the
pages draw or derive: the per-head statistics and head types, the tiled overview (block-averaged, float16), the mean
over every layer and head, rollout, every head's first and last query rows (raw attention from the first or the
predicting token), and the full weights of the layers asked for. Any other layer is recomputed on demand
(``LayerStore.layer``), stopping the forward pass once that layer has run.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from attnviz.architectures import attr_path, layers_of
from attnviz.errors import AttentionError, AttnvizError
from attnviz.extraction import ROW_SUM_TOLERANCE
from attnviz.types import Token

# Layouts whose attention module (the parent of the output projection) returns (output, weights).
COMPACT_LAYOUTS = ("Llama", "GPT-2", "GPT-J")
OVERVIEW_PANEL = 48  # the overview's panel size at most, in cells per head (figures draws with it)
SLOTS = 2  # full layers held at once: the one drawn and the one before it
# The app's threshold (attnviz.ui.cache; bench/decoder.py measures with it): a language model's attention past
# this many bytes (SmolLM2 past ~240 tokens) is kept layer by layer: at 1,024 tokens the full 1.13 GB would not
# fit the whole cache and would be recomputed on every rerun; the compact form is ~90 MB (statistics of every
# head, the drawn layer, one more layer slot).
COMPACT_BYTES = 64_000_000


class FullTensorNeeded(AttnvizError):
    """Something asked for the whole tensor of a long text, which is kept layer by layer only."""


@dataclass(frozen=True)
class Summary:
    """What a long text keeps for every layer and head (see the module docstring)."""

    overview: np.ndarray  # float16[layers, heads, P, P], block means of each head
    mean: np.ndarray  # float32[query, key], mean over all layers and heads
    rollout: np.ndarray  # float64[query, key], attention rollout from layer 0 (attnviz.rollout), float32 products
    edge_rows: np.ndarray  # float32[layers, heads, 2, key]: query rows 0 and T-1
    head_stats: dict[str, np.ndarray]  # attnviz.head_stats.STAT_NAMES -> float64[layers, heads]
    head_types: dict[str, np.ndarray]  # attnviz.head_types.TYPES -> float64[layers, heads]

    @property
    def nbytes(self) -> int:
        arrays = [self.overview, self.mean, self.rollout, self.edge_rows, *self.head_stats.values(),
                  *self.head_types.values()]
        return int(sum(a.nbytes for a in arrays))


class LayerStore:
    """Stands in for float32[layers, heads, query, key]: ``store[l]``, ``store[l, h]``, ``store[l, h, q]`` work
    (a layer not held is recomputed); anything that would need every layer at once raises FullTensorNeeded."""

    ndim = 4
    dtype = np.dtype(np.float32)

    def __init__(self, shape: tuple[int, int, int, int], summary: Summary, kept: dict[int, np.ndarray],
                 fetch: Callable[[int], np.ndarray]) -> None:
        self.shape = shape
        self.summary = summary
        self._fetch = fetch
        self._layers: OrderedDict[int, np.ndarray] = OrderedDict(sorted(kept.items())[-SLOTS:])
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def layer_bytes(self) -> int:
        return int(np.prod(self.shape[1:])) * 4

    @property
    def nbytes(self) -> int:
        """What this store can hold at most: the summary and SLOTS full layers (the cache budgets by it)."""
        return self.summary.nbytes + SLOTS * self.layer_bytes

    def holds(self, layer: int) -> bool:
        """Is ``layer`` held in full (so reading it runs nothing)?"""
        with self._lock:
            return layer % self.shape[0] in self._layers

    def layer(self, layer: int) -> np.ndarray:
        """float32[heads, query, key] of ``layer`` (negative counts from the end), read-only."""
        n_layers = self.shape[0]
        if not -n_layers <= layer < n_layers:
            raise IndexError(f"layer {layer} out of range for {n_layers} layers")
        layer %= n_layers
        with self._lock:
            found = self._layers.get(layer)
            if found is not None:
                self._layers.move_to_end(layer)
                return found
        weights = self._fetch(layer)
        weights.flags.writeable = False
        with self._lock:
            self._layers[layer] = weights
            while len(self._layers) > SLOTS:
                self._layers.popitem(last=False)
        return weights

    def __getitem__(self, key: Any) -> np.ndarray:
        first, rest = (key[0], key[1:]) if isinstance(key, tuple) and key else (key, ())
        if not isinstance(first, (int, np.integer)):
            raise FullTensorNeeded(self._too_large("Slicing across layers"))
        return self.layer(int(first))[rest] if rest else self.layer(int(first))

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise FullTensorNeeded(self._too_large("This view"))

    def __len__(self) -> int:
        return self.shape[0]

    def _too_large(self, what: str) -> str:
        return (f"{what} needs every layer's attention at once ({self.size * 4 / 1e9:.2f} GB at {self.shape[-1]} "
                "tokens), which is kept one layer at a time here. Use one layer, or a shorter text.")


def supports(loaded: Any) -> bool:
    """Can ``forward_compact`` run on this model (a layout whose attention module returns its weights)?"""
    found = layers_of(loaded.model)
    return found is not None and found[0].name in COMPACT_LAYOUTS


def _attention_modules(model: Any) -> list[Any]:
    found = layers_of(model)
    if found is None or found[0].name not in COMPACT_LAYOUTS:
        raise AttentionError("Long texts are kept layer by layer only for Llama-, GPT-2- and GPT-J-style models.")
    layout, layers = found
    return [attr_path(layer, layout.output.rsplit(".", 1)[0]) for layer in layers]


class _Stop(Exception):
    """Raised by a hook once the layer it waited for has run: the rest of the forward pass is not needed."""


def _weights(output: Any, layer: int) -> Any:
    weights = output[1] if isinstance(output, tuple) and len(output) > 1 else None
    if weights is None or weights.ndim != 4 or weights.shape[0] != 1 or weights.shape[-1] != weights.shape[-2]:
        raise AttentionError(
            f"Layer {layer}'s attention module returned no attention weights; the model must be loaded with "
            'attn_implementation="eager".'
        )
    weights = weights[0].detach().float().cpu()  # [H, T, T]
    sums = weights.sum(-1)
    if not bool(sums.isfinite().all()) or float((sums - 1).abs().max()) > ROW_SUM_TOLERANCE:
        raise AttentionError(f"Layer {layer}'s attention rows are not softmax weights (NaN, or rows not summing to 1).")
    return weights


def _run(loaded: Any, input_ids: Sequence[int], hook_for: Callable[[int], Callable | None]) -> Any:
    """The base model once over ``input_ids`` under the gate, ``hook_for(layer)`` on each attention module."""
    import torch

    modules = _attention_modules(loaded.model)
    with loaded.gate.hold():
        handles = [m.register_forward_hook(h) for i, m in enumerate(modules) if (h := hook_for(i)) is not None]
        try:
            ids = torch.tensor([list(input_ids)], dtype=torch.long, device=loaded.device)
            with torch.inference_mode():
                out = loaded.model.base_model(input_ids=ids, attention_mask=torch.ones_like(ids), return_dict=True)
                last = out.last_hidden_state[0, -1]
                return loaded.model.get_output_embeddings()(last).float().cpu().numpy()  # [vocab]
        finally:
            for handle in handles:
                handle.remove()


def fetch_layer(loaded: Any, input_ids: Sequence[int], layer: int) -> np.ndarray:
    """float32[heads, query, key] of one layer, recomputed (the pass stops after that layer)."""
    found: list[np.ndarray] = []

    def keep(module: Any, args: Any, output: Any) -> None:
        found.append(_weights(output, layer).numpy())
        raise _Stop

    try:
        _run(loaded, input_ids, lambda i: keep if i == layer else None)
    except _Stop:
        pass
    return found[0]


def forward_compact(
    loaded: Any, input_ids: Sequence[int], tokens: Sequence[Token], keep_layers: Sequence[int] = (0,)
) -> tuple[LayerStore, np.ndarray]:
    """(the LayerStore of ``input_ids``, next-token logits float32[vocab]) from ONE forward pass."""
    import torch

    from attnviz.head_stats import STAT_NAMES, key_features, layer_statistics
    from attnviz.head_types import TYPES, detector_marks, layer_scores

    n_layers, n_heads, n = loaded.n_layers, loaded.n_heads, len(input_ids)
    keep = {k % n_layers for k in keep_layers}
    # Cast once: the weights are float32 and a per-layer cast of these T²-row tables costs ~1.5 s at 1,000 tokens.
    keys, marks = key_features(tokens).float(), detector_marks(list(input_ids)).astype(np.float32)
    panel = min(n, OVERVIEW_PANEL)
    overview = np.zeros((n_layers, n_heads, panel, panel), dtype=np.float16)
    edge_rows = np.zeros((n_layers, n_heads, 2, n), dtype=np.float32)
    stats = {name: np.zeros((n_layers, n_heads)) for name in STAT_NAMES}
    types = {name: np.zeros((n_layers, n_heads)) for name in TYPES}
    total = torch.zeros((n, n), dtype=torch.float64)
    # float32: thirty 1024² products in float64 cost more than the forward's own attention on two cores.
    joint = torch.eye(n)
    kept: dict[int, np.ndarray] = {}
    seen: list[int] = []

    def reducer(layer: int) -> Callable:
        def reduce(module: Any, args: Any, output: Any) -> None:
            nonlocal joint
            a = _weights(output, layer)  # float32[H, T, T]
            for name, values in layer_statistics(a, keys).items():
                stats[name][layer] = values
            for name, values in layer_scores(a.numpy(), marks).items():
                types[name][layer] = values
            overview[layer] = torch.nn.functional.adaptive_avg_pool2d(a, panel).numpy()
            edge_rows[layer] = a[:, [0, n - 1], :].numpy()
            mean = a.mean(0)  # [T, T]
            total.add_(mean)
            # Rollout (attnviz.rollout): half attention, half identity, rows renormalised, later layers on the left.
            mixed = 0.5 * mean + 0.5 * torch.eye(n)
            joint = (mixed / mixed.sum(-1, keepdim=True)) @ joint
            if layer in keep:
                kept[layer] = a.numpy().copy()
            seen.append(layer)

        return reduce

    logits = _run(loaded, input_ids, reducer)
    if sorted(seen) != list(range(n_layers)):
        raise AttentionError(f"Expected one attention tensor per layer ({n_layers}), got {len(seen)}.")
    summary = Summary(
        overview=overview, mean=(total / n_layers).float().numpy(), rollout=joint.double().numpy(), edge_rows=edge_rows,
        head_stats=stats, head_types=types,
    )
    for array in (summary.overview, summary.mean, summary.rollout, summary.edge_rows, *stats.values(), *types.values()):
        array.flags.writeable = False
    model_ref = weakref.ref(loaded)
    ids = tuple(input_ids)

    def fetch(layer: int) -> np.ndarray:
        model = model_ref()
        if model is None:
            raise AttnvizError("The model behind this analysis was unloaded; run the text again.")
        return fetch_layer(model, ids, layer)

    return LayerStore((n_layers, n_heads, n, n), summary, kept, fetch), logits
