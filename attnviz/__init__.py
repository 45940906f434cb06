"""attnviz: look inside a transformer's attention. A UI-free library; the Streamlit app lives in app.py and pages/.

>>> import attnviz
>>> a = attnviz.analyze("The cat sat on the mat.")
>>> a.attentions.shape  # (layers, heads, query, key)
"""

from attnviz.analysis import analyze, embed
from attnviz.errors import AttentionError, AttnvizError, BusyError, InputError, ModelLoadError
from attnviz.loading import BUILTIN_CHOICES, BUILTIN_NAME, BUILTIN_ZERO_SHOT_NAME, LoadedModel, load_model
from attnviz.types import Analysis, Prediction, Token

__all__ = [
    "BUILTIN_CHOICES",
    "BUILTIN_NAME",
    "BUILTIN_ZERO_SHOT_NAME",
    "Analysis",
    "AttentionError",
    "AttnvizError",
    "BusyError",
    "InputError",
    "LoadedModel",
    "ModelLoadError",
    "Prediction",
    "Token",
    "analyze",
    "embed",
    "load_model",
]
