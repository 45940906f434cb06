"""Public home of the worked example's math (kept for ``from attnviz.attention_math import sdpa_steps``).

The code lives in ``attnviz.teaching.sdpa`` (arrays) and ``attnviz.teaching.steps`` (what each step says).
"""

from attnviz.teaching.sdpa import (
    STEP_IDS,
    AttentionSteps,
    ShapeError,
    causal_mask,
    dims,
    format_number,
    sdpa_steps,
    softmax,
    source_code,
)
from attnviz.teaching.steps import Step, Table

__all__ = [
    "STEP_IDS",
    "AttentionSteps",
    "ShapeError",
    "Step",
    "Table",
    "causal_mask",
    "dims",
    "format_number",
    "sdpa_steps",
    "softmax",
    "source_code",
]

_BLOCK_NAMES = ("MultiHeadSteps", "KVCacheStep", "multi_head_steps", "kv_cache_step", "rope", "sinusoidal_positions")


def __getattr__(name: str):
    """The whole attention block lives in teaching.block (imported on first use, so importing this module stays light); re-exported lazily for one path."""
    if name in _BLOCK_NAMES:
        from attnviz.teaching import block as block_math

        return getattr(block_math, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
