"""Run an analysis for a page and turn every failure into a message, never a traceback."""

from __future__ import annotations

import logging
from typing import Callable, TypeVar

import streamlit as st

from attnviz.analysis import truncation_message
from attnviz.errors import AttnvizError, BusyError, InputError
from attnviz.tokens import has_visible_text
from attnviz.types import Analysis
from attnviz.ui.cache import get_analyses, get_model
from attnviz.ui.sidebar import ModelChoice
from attnviz.ui.text import md_escape

log = logging.getLogger("attnviz")
T = TypeVar("T")


def safely(compute: Callable[[], T], doing: str = "running the model") -> T | None:
    """``compute()``, or None after showing why not: a message for the user, never a traceback.

    Messages can quote what a visitor typed (a model name), and st.error renders Markdown: escaped, so
    ``?model=www.evil.example`` is text, not a link in the app's own error box.
    """
    try:
        return compute()
    except BusyError as exc:
        st.warning(md_escape(str(exc)))
    except InputError as exc:
        st.info(md_escape(str(exc)))
    except AttnvizError as exc:
        st.error(md_escape(str(exc)))
    except Exception:  # a model or library bug must not show a traceback to a class
        log.exception("failed while %s", doing)
        st.error(f"Something went wrong while {doing}. Try a shorter text or the built-in model.")
    return None


def model_labels(choice: ModelChoice) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The sidebar's zero-shot labels for encoders; classifiers bring their own."""
    return choice.labels if get_model(choice.name).kind == "encoder" else ()


def run_analysis(text: str, choice: ModelChoice) -> Analysis | None:
    """Analysis of ``text``, or None after showing the user why there is none."""
    found = run_analyses((text,), choice)
    return found[0] if found else None


def run_analyses(texts: tuple[str, ...], choice: ModelChoice) -> tuple[Analysis, ...] | None:
    """Analyses of several texts from one forward pass, or None after showing the user why there are none."""
    if not all(isinstance(t, str) and has_visible_text(t) for t in texts):
        st.info("Enter some text to see the model's attention and prediction.")
        return None
    analyses = safely(lambda: get_analyses(texts, choice.name, model_labels(choice)))
    if analyses is None:
        return None
    for analysis in analyses:
        message = truncation_message(analysis)
        if message:
            st.warning(message)
        for notice in analysis.notices:
            st.warning(notice)
    return analyses
