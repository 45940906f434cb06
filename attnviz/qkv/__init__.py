"""Public home of the real-model recomputation (kept for ``from attnviz.qkv import model_qkv, recompute``).

The code lives in ``attnviz.teaching.real_model``. This is a package rather than ``qkv.py`` so that git follows
the old file to its new place.
"""

from attnviz.teaching.real_model import (
    MATCH_TOLERANCE,
    MAX_TOKENS,
    ModelQKV,
    Recomputed,
    UnsupportedModelError,
    model_qkv,
    projections,
    recompute,
)

__all__ = [
    "MATCH_TOLERANCE",
    "MAX_TOKENS",
    "ModelQKV",
    "Recomputed",
    "UnsupportedModelError",
    "model_qkv",
    "projections",
    "recompute",
]
