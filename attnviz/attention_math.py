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
