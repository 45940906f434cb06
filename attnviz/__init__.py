"""attnviz: look inside a transformer's attention. A UI-free library; the Streamlit app lives in app.py and pages/.

>>> import attnviz
>>> a = attnviz.analyze("The cat sat on the mat.")
>>> a.attentions.shape  # (layers, heads, query, key)
"""

from attnviz.analysis import analyze, analyze_many, embed
from attnviz.attribution import Attribution, attribute, rank_agreement
from attnviz.compare import AttentionDifference, attention_difference
from attnviz.errors import (
    AttentionError,
    AttnvizError,
    BusyError,
    CancelledError,
    InputError,
    ModelLoadError,
    ResourceError,
)
from attnviz.faithfulness import Faithfulness, faithfulness
from attnviz.grad_rollout import GradRollout, grad_rollout
from attnviz.head_stats import HeadStats, ablate, head_importance, head_statistics
from attnviz.head_types import HeadTypes, head_types
from attnviz.loading import (
    BUILTIN_CHOICES,
    BUILTIN_NAME,
    BUILTIN_ZERO_SHOT_NAME,
    SMOLLM2_NAME,
    LoadedModel,
    load_model,
)
from attnviz.rollout import raw_attention, rollout
from attnviz.scoreboard import Scoreboard, scoreboard
from attnviz.seq2seq import PairAnalysis, analyze_pair
from attnviz.types import Analysis, Prediction, Token
from attnviz.value_norms import value_norms
from attnviz.views import View, hide_special, merge_subwords

__all__ = [
    "BUILTIN_CHOICES",
    "BUILTIN_NAME",
    "BUILTIN_ZERO_SHOT_NAME",
    "SMOLLM2_NAME",
    "HeadTypes",
    "head_types",
    "Analysis",
    "AttentionDifference",
    "Attribution",
    "Faithfulness",
    "GradRollout",
    "Scoreboard",
    "HeadStats",
    "View",
    "ablate",
    "attention_difference",
    "attribute",
    "faithfulness",
    "grad_rollout",
    "scoreboard",
    "value_norms",
    "head_importance",
    "head_statistics",
    "hide_special",
    "merge_subwords",
    "rank_agreement",
    "raw_attention",
    "rollout",
    "AttentionError",
    "AttnvizError",
    "BusyError",
    "CancelledError",
    "InputError",
    "LoadedModel",
    "ModelLoadError",
    "ResourceError",
    "Prediction",
    "Token",
    "analyze",
    "analyze_many",
    "analyze_pair",
    "PairAnalysis",
    "embed",
    "load_model",
]
