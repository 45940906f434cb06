"""Run an analysis for a page and turn every failure into a message, never a traceback."""

from __future__ import annotations

import logging

import streamlit as st

from attnviz.analysis import truncation_message
from attnviz.errors import AttnvizError, BusyError, InputError
from attnviz.tokens import has_visible_text
from attnviz.types import Analysis
from attnviz.ui.cache import get_analyses, get_model
from attnviz.ui.sidebar import ModelChoice

log = logging.getLogger("attnviz")


def run_analysis(text: str, choice: ModelChoice) -> Analysis | None:
    """Analysis of ``text``, or None after showing the user why there is none."""
    found = run_analyses((text,), choice)
    return found[0] if found else None


def run_analyses(texts: tuple[str, ...], choice: ModelChoice) -> tuple[Analysis, ...] | None:
    """Analyses of several texts from one forward pass, or None after showing the user why there are none."""
    if not all(isinstance(t, str) and has_visible_text(t) for t in texts):
        st.info("Enter some text to see the model's attention and prediction.")
        return None
    try:
        model = get_model(choice.name)
        labels = choice.labels if model.kind == "encoder" else ()
        analyses = get_analyses(texts, choice.name, labels)
    except BusyError as exc:
        st.warning(str(exc))
        return None
    except InputError as exc:
        st.info(str(exc))
        return None
    except AttnvizError as exc:
        st.error(str(exc))
        return None
    except Exception:  # a model or library bug must not show a traceback to a class
        log.exception("analysis failed")
        st.error("Something went wrong while running the model. Try a shorter text or the built-in model.")
        return None
    for analysis in analyses:
        message = truncation_message(analysis)
        if message:
            st.warning(message)
        for notice in analysis.notices:
            st.warning(notice)
    return analyses
